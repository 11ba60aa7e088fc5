"""`TaggerWorker`: the BentoML service that holds the model and batches concurrent calls."""

from __future__ import annotations

import bentoml

from tagger.engine.registry import Registry, serving_tag
from tagger.engine.runtime import configure_threads, int8_from_env
from tagger.results.annotate import Annotator

# BentoML declares a service's model on the class, so the tag is read when this module is
# imported; it fails at start, naming the model and the command that trains it.
MODEL_TAG = serving_tag()


@bentoml.service(name="article-tagger-model", workers=1, traffic={"timeout": 300})
class TaggerWorker:
    model = bentoml.models.BentoModel(MODEL_TAG)

    def __init__(self) -> None:
        configure_threads()
        # int8 compiles at the first request (~15 s), not here: compiling during start-up stalled
        # BentoML's readiness check for minutes.
        self.annotator = Annotator(Registry().load(str(self.model.tag), int8=int8_from_env()))

    # Concurrent requests are merged into calls of up to 16 articles (on 2 cores, larger batches
    # add latency without adding throughput). The batch window adapts to observed latency;
    # max_latency_ms is only the point where BentoML sheds load with a 503, so it is generous.
    @bentoml.api(batchable=True, max_batch_size=16, max_latency_ms=30_000)
    def predict(self, articles: list[dict]) -> list[dict]:
        return self.annotator.annotate(articles)

    @bentoml.api(batchable=True, max_batch_size=16, max_latency_ms=30_000)
    def predict_labels(self, articles: list[dict]) -> list[dict]:
        return self.annotator.annotate(articles, evidence=False)
