"""`TaggerService`: the public REST API (validation, per-item errors, metrics, async jobs). The
model runs in `TaggerWorker` (service/worker.py), which batches concurrent calls."""

from __future__ import annotations

from typing import Any

import bentoml
from pydantic import ConfigDict, Field

from service.auth import BearerAuth
from service.metrics import record
from service.retry import retry_on_reset
from service.worker import TaggerWorker
from tagger.results.annotate import MAX_BATCH_ITEMS, MAX_TEXT_CHARS, article_error

EVIDENCE_HELP = "Also return the sentences that support each label (false: labels only, about 2x faster)"


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


@bentoml.service(name="article-tagger", traffic={"timeout": 300})
class TaggerService:
    model = bentoml.depends(TaggerWorker)

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


TaggerService.add_asgi_middleware(BearerAuth)
