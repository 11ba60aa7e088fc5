"""`TaggerWorker`: the BentoML service that holds the model and batches concurrent calls."""

from __future__ import annotations

import bentoml

from service.batcher import GreedyBatcher
from tagger.engine.registry import Registry, serving_tag
from tagger.engine.runtime import backend_from_env, configure_threads, int8_from_env
from tagger.results.annotate import Annotator

# BentoML declares a service's model on the class, so the tag is read when this module is
# imported; it fails at start, naming the model and the command that trains it.
MODEL_TAG = serving_tag()
MAX_BATCH_ARTICLES = 8  # per model call: more adds no throughput on 2 cores, and short calls wait longer


@bentoml.service(name="article-tagger-model", workers=1, traffic={"timeout": 300})
class TaggerWorker:
    model = bentoml.models.BentoModel(MODEL_TAG)

    def __init__(self) -> None:
        configure_threads()
        # int8 compiles at the first request (~15 s), not here: compiling during start-up stalled
        # BentoML's readiness check for minutes.
        tagger = Registry().load(str(self.model.tag), int8=int8_from_env(), backend=backend_from_env())
        # Concurrent calls are merged into one model call without waiting for a batch to fill
        # (service/batcher.py); BentoML's own batching waited after bursts of load.
        self.batcher = GreedyBatcher(Annotator(tagger).annotate, MAX_BATCH_ARTICLES)

    @bentoml.api
    async def predict(self, articles: list[dict]) -> list[dict]:
        return await self.batcher.submit(articles, evidence=True)

    @bentoml.api
    async def predict_labels(self, articles: list[dict]) -> list[dict]:
        return await self.batcher.submit(articles, evidence=False)
