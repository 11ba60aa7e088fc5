"""The BentoML service. Two parts: `TaggerModel` holds the network and batches concurrent calls
(adaptive batching); `ArticleTagger` is the public API: validation, per-item errors, metrics, jobs."""

from __future__ import annotations

from typing import Any

import bentoml
from pydantic import ConfigDict, Field

from service.auth import BearerAuth
from service.metrics import record
from service.retry import retry_on_reset
from tagger.classify import MAX_BATCH_ITEMS, MAX_TEXT_CHARS, Classifier, article_error
from tagger.registry import Registry, serving_tag
from tagger.runtime import configure_threads, int8_from_env

EVIDENCE_HELP = "Also return the sentences that support each label (false: labels only, about 2x faster)"
MODEL_TAG = serving_tag()  # fails at start, naming the model and the command that trains it


class ArticleIn(bentoml.IODescriptor):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(
        max_length=MAX_TEXT_CHARS, description="Article body (English; other scripts get a warning)"
    )
    title: str | None = Field(default=None, description="Headline, scored with the text")
    id: str | None = Field(default=None, description="Your id, echoed back")
    evidence: bool = Field(default=True, description=EVIDENCE_HELP)


class BatchIn(bentoml.IODescriptor):
    model_config = ConfigDict(extra="forbid")
    articles: list[Any] = Field(max_length=MAX_BATCH_ITEMS, description=f"Up to {MAX_BATCH_ITEMS} articles")
    evidence: bool = Field(default=True, description=EVIDENCE_HELP)


@bentoml.service(name="article-tagger-model", workers=1, traffic={"timeout": 300})
class TaggerModel:
    model = bentoml.models.BentoModel(MODEL_TAG)

    def __init__(self) -> None:
        configure_threads()
        # int8 compiles at the first request (~15 s), not here: compiling during start-up stalled
        # BentoML's readiness check for minutes.
        self.classifier = Classifier(Registry().load(str(self.model.tag), int8=int8_from_env()))

    # Concurrent requests are merged into calls of up to 16 articles (on 2 cores, larger batches
    # add latency without adding throughput). The batch window adapts to observed latency;
    # max_latency_ms is only the point where BentoML sheds load with a 503, so it is generous.
    @bentoml.api(batchable=True, max_batch_size=16, max_latency_ms=30_000)
    def predict(self, articles: list[dict]) -> list[dict]:
        return self.classifier.classify(articles)

    @bentoml.api(batchable=True, max_batch_size=16, max_latency_ms=30_000)
    def predict_labels(self, articles: list[dict]) -> list[dict]:
        return self.classifier.classify(articles, evidence=False)


@bentoml.service(name="article-tagger", traffic={"timeout": 300})
class ArticleTagger:
    model = bentoml.depends(TaggerModel)

    @bentoml.api(input_spec=ArticleIn)
    async def classify(
        self, text: str, title: str | None = None, id: str | None = None, evidence: bool = True
    ) -> dict:
        """Topics, framing, calibrated scores and evidence for one article."""
        article = {"text": text, "title": title, "id": id}
        if err := article_error(article):
            raise bentoml.exceptions.InvalidArgument(err)
        [result] = await retry_on_reset(self._predict(evidence), [article])
        record([article], [result])
        return result

    @bentoml.api(input_spec=BatchIn)
    async def classify_batch(self, articles: list[Any], evidence: bool = True) -> list[dict]:
        """Results in input order; an invalid item gets {"index", "error"} in its place."""
        return await self._batch(articles, evidence)

    @bentoml.task(input_spec=BatchIn)
    async def submit(self, articles: list[Any], evidence: bool = True) -> list[dict]:
        """Async job: returns a task id at once; poll GET /submit/status?task_id=, fetch GET /submit/get?task_id=."""
        return await self._batch(articles, evidence)

    def _predict(self, evidence: bool):
        return self.model.to_async.predict if evidence else self.model.to_async.predict_labels

    async def _batch(self, articles: list[Any], evidence: bool) -> list[dict]:
        errors = {i: err for i, a in enumerate(articles) if (err := article_error(a))}
        valid = [a for i, a in enumerate(articles) if i not in errors]
        scored = iter(await retry_on_reset(self._predict(evidence), valid) if valid else [])
        results = [
            {"index": i, "id": a.get("id") if isinstance(a, dict) else None, "error": errors[i]}
            if i in errors
            else next(scored)
            for i, a in enumerate(articles)
        ]
        record(valid, [r for r in results if "error" not in r])
        return results


ArticleTagger.add_asgi_middleware(BearerAuth)
