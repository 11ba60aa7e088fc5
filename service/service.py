"""`TaggerService`: the public REST API (validation, per-item errors, metrics, async jobs). The
model is loaded once in `__init__`, in the same process as the API: concurrent calls are merged
into one model call (service/batcher.py) that runs in a thread while the event loop takes requests.

The model used to run in a second BentoML service behind an HTTP hop; serving it here did ~10%
more requests/s at 8 clients (benchmarks/results/rest-AMX.md), and one process holds the weights."""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated, Any

import bentoml
from pydantic import ConfigDict, Field, StrictBool, field_validator
from pydantic_core import PydanticCustomError

from service.admission import Admission
from service.auth import BearerAuth, guarded
from service.batcher import GreedyBatcher
from service.contract import TOO_MUCH_TEXT, ApiError, ContractMiddleware, batch_results
from service.logs import announce, log_model_failures, quiet_refusals
from service.metrics import record
from service.parent_watch import exit_with_parent
from service.workbench import app as workbench
from tagger.engine.registry import Registry, serving_tag
from tagger.engine.runtime import backend_from_env, configure_threads, int8_from_env, max_pending_from_env
from tagger.results.annotate import (
    MAX_BATCH_ITEMS,
    MAX_CHARS,
    MAX_JOB_CHARS,
    MAX_JOB_ITEMS,
    MAX_SYNC_CHARS,
    Annotator,
    article_problem,
    too_much_text,
)
from tagger.results.isolation import model_failure

EVIDENCE_HELP = "Also return the sentences that support each label (false: labels only, about 2x faster)"
# Articles per model call: more adds no throughput on 2 cores, and short calls wait longer. Larger
# calls and jobs run in parts of this size, with short calls served between the parts.
MODEL_CALL_ARTICLES = 8
NON_BLANK = r"\S"
# BentoML declares a service's model on the class, so the tag is read when this module is
# imported; it fails at start, naming the model and the command that trains it.
MODEL_TAG = serving_tag()


class ArticleIn(bentoml.IODescriptor):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(
        min_length=1,
        max_length=MAX_CHARS["text"],
        pattern=NON_BLANK,
        description="Article body, not blank (English; other scripts get a warning)",
    )
    title: str | None = Field(
        default=None, max_length=MAX_CHARS["title"], description="Headline, scored with the text"
    )
    id: Annotated[str, Field(max_length=MAX_CHARS["id"])] | int | None = Field(
        default=None, description="Your id (a string or a whole number), echoed back as given"
    )
    evidence: StrictBool = Field(default=True, description=EVIDENCE_HELP)

    @field_validator("id", mode="before")
    @classmethod
    def _id_as_scored(cls, value: object) -> object:
        """Checked as batch items are (one message, not one per type the id may have)."""
        if problem := article_problem({"text": "-", "id": value}):
            raise PydanticCustomError("id", problem.message.removeprefix("field 'id': "))
        return value


ITEM_HELP = (
    "each an object like /classify's body ({text, title?, id?}). Each item is checked and scored on "
    "its own: a bad one, or one the model fails on, gets {index, id, field, error} in its place in "
    "the results."
)


def articles_field(max_items: int, max_chars: int, above: str) -> Any:
    return Field(
        min_length=1,
        max_length=max_items,
        description=(
            f"1 to {max_items:,} articles, {ITEM_HELP} At most {max_chars:,} characters of text and "
            f"titles in all (413 above that: {above})."
        ),
    )


class BatchIn(bentoml.IODescriptor):
    model_config = ConfigDict(extra="forbid")
    articles: list[Any] = articles_field(MAX_BATCH_ITEMS, MAX_SYNC_CHARS, "use /submit/submit")
    evidence: StrictBool = Field(default=True, description=EVIDENCE_HELP)


class JobIn(BatchIn):
    articles: list[Any] = articles_field(MAX_JOB_ITEMS, MAX_JOB_CHARS, "split it into several jobs")

    @field_validator("articles")
    @classmethod
    def _fits_one_job(cls, articles: list[Any]) -> list[Any]:
        if message := too_much_text(articles, MAX_JOB_CHARS, "job", "split it into several jobs"):
            raise PydanticCustomError(TOO_MUCH_TEXT, message)
        return articles


@bentoml.service(name="article-tagger", workers=1, traffic={"timeout": 300})
class TaggerService:
    model = bentoml.models.BentoModel(MODEL_TAG)

    def __init__(self) -> None:
        configure_threads()
        quiet_refusals()
        exit_with_parent()  # the worker holds the port: it must not outlive a killed server
        tagger = Registry().load(str(self.model.tag), int8=int8_from_env(), backend=backend_from_env())
        # The backend is chosen and compiled here, not at the first call (seconds). int8 compiles at
        # the first call (~15 s) instead: compiling during start-up stalled BentoML's readiness check.
        if tagger.int8:
            ready = "int8 compiles at the first call"
        else:
            ready = f"warmed up in {tagger.warm_up():.1f} s"
        announce("model %s runs on %s in %s (%s)", self.model.tag, tagger.runs_on, tagger.precision, ready)
        self.batcher = GreedyBatcher(Annotator(tagger).annotate, MODEL_CALL_ARTICLES)
        self.admission = Admission(max_pending_from_env())  # synchronous calls only

    @bentoml.api(input_spec=ArticleIn)
    async def classify(
        self, text: str, title: str | None = None, id: str | int | None = None, evidence: bool = True
    ) -> dict:
        """Topics, framing, calibrated scores and evidence for one article."""
        article = {"text": text, "title": title, "id": id}
        if problem := article_problem(article):
            raise ApiError(problem.message, field=problem.field)
        with self.admission.hold(1):
            [result] = await self.batcher.submit([article], evidence)
        if isinstance(result, Exception):
            log_model_failures([result])
            # 422, not 500: the batch retried it alone, so it is this article (BentoML hides 5xx messages)
            raise ApiError(model_failure(result), field="text", status=HTTPStatus.UNPROCESSABLE_ENTITY)
        record([article], [result])
        return result

    @bentoml.api(input_spec=BatchIn)
    async def classify_batch(self, articles: list[Any], evidence: bool = True) -> list[dict]:
        """Results in input order; an invalid item, or one the model fails on, gets {"index", "id",
        "field", "error"} in its place."""
        instead = "send it to /submit/submit (an async job) instead"
        if message := too_much_text(articles, MAX_SYNC_CHARS, "call", instead):
            raise ApiError(
                message,
                field="articles",
                status=HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
            )
        with self.admission.hold(len(articles)):
            return await self._batch(articles, evidence)

    @bentoml.task(input_spec=JobIn)
    async def submit(self, articles: list[Any], evidence: bool = True) -> list[dict]:
        """Async job, its items checked like /classify_batch's: returns a task id at once; poll
        GET /submit/status?task_id=, fetch GET /submit/get?task_id=."""
        return await self._batch(articles, evidence)

    async def _batch(self, articles: list[Any], evidence: bool) -> list[dict]:
        problems = {i: p for i, a in enumerate(articles) if (p := article_problem(a))}
        valid = [a for i, a in enumerate(articles) if i not in problems]
        scored = await self.batcher.submit(valid, evidence) if valid else []
        log_model_failures(scored)
        results = batch_results(articles, problems, scored)
        ok = [(a, r) for a, r in zip(valid, scored) if not isinstance(r, Exception)]
        record([a for a, _ in ok], [r for _, r in ok])
        return results


TaggerService.add_asgi_middleware(BearerAuth)
TaggerService.add_asgi_middleware(ContractMiddleware, validators={"/submit/submit": JobIn}, guarded=guarded)
TaggerService.mount_asgi_app(workbench, path="/")  # the page at / (service/workbench.py)
