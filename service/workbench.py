"""The analyst workbench: the page at `/` (service/static/) and the few calls it needs besides the
public API (which it calls as any client does). Mounted on TaggerService; BearerAuth covers it.
BentoML's Swagger UI, which BentoML serves at `/`, moves to `/docs`.

Calls, all JSON unless noted:
  GET  /workbench/api/schema            label names and definitions
  POST /workbench/api/parse?filename=   raw file bytes -> rows and bad rows, as `tagger score` reads it
  POST /workbench/api/scored            {rows, results} -> scored rows, chart numbers, label-next queue
  POST /workbench/api/download?format=  {rows} -> the scored file (jsonl, csv or parquet)
  POST /workbench/api/corrections       {article, topics, framing, model, model_answer} -> the record
  POST /workbench/api/label-studio      {rows} -> {tasks, config}: Label Studio tasks for the queue
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict
from functools import cache
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from tagger.data.corpus import load_labelled
from tagger.data.feedback import FeedbackLog, correction_record, feedback_path, place
from tagger.data.labelstudio import labelling_config, to_task
from tagger.data.records import Article, FieldError, framing_errors, json_type, topic_errors
from tagger.data.schema import LabelSchema
from tagger.paths import labels_dir
from tagger.scoring.charts import chart_data
from tagger.scoring.label_next import label_next
from tagger.scoring.uploads import parse_upload, request_article, scored_row, write_scored

STATIC = Path(__file__).parent / "static"
MAX_UPLOAD_BYTES = 200 * 1024 * 1024
RESULT_KEYS = ("topics", "topic_scores", "framing", "framing_scores")  # what a scored row is made of
MEDIA = {"jsonl": "application/x-ndjson", "csv": "text/csv", "parquet": "application/vnd.apache.parquet"}


@cache
def schema() -> LabelSchema:
    return LabelSchema.load()


def _error(message: str, status: int = 400, field: str | None = None) -> JSONResponse:
    return JSONResponse({"error": message, **({"field": field} if field else {})}, status_code=status)


def _problem(prefix: str, e: Exception) -> JSONResponse:
    """An error answer, naming its field when the exception does (FieldError)."""
    return _error(prefix + str(e), field=getattr(e, "field", None))


async def _json(request: Request, *required: str) -> dict:
    """The request's JSON object; a missing required field is named (FieldError)."""
    try:
        body = json.loads(await request.body())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ValueError(f"the request body is not valid JSON ({e})") from None
    if not isinstance(body, dict):
        raise ValueError("expected a JSON object")
    for name in required:
        if name not in body:
            raise FieldError(name, f"missing field '{name}'")
    return body


def _objects(body: dict, name: str) -> list[dict]:
    """Field `name` of the body: a list of JSON objects, else a FieldError naming it (and the item)."""
    items = body[name]
    if not isinstance(items, list):
        raise FieldError(name, f"field '{name}' must be a list of objects, got {json_type(items)}")
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise FieldError(name, f"field '{name}': item {i} must be an object, got {json_type(item)}")
    return items


def _labels(body: dict, s: LabelSchema) -> tuple[list[str], str]:
    """A correction's topics and framing, checked as label files are (`tagger labels check`)."""
    labels = {"topics": body.get("topics") or [], "framing": body.get("framing")}
    for name, check in (("topics", topic_errors), ("framing", framing_errors)):
        if errors := check(labels, s):
            raise FieldError(name, "; ".join(map(str, errors)))
    framing = labels["framing"]
    return labels["topics"], framing[0] if isinstance(framing, list) else framing


async def index(_: Request) -> Response:
    return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})


async def swagger(_: Request) -> Response:
    """Swagger UI, which the workbench displaced from `/`, at `/docs`: our page over BentoML's
    assets at /static_content (BentoML's own page would load Google Tag Manager)."""
    return FileResponse(STATIC / "docs.html", headers={"Cache-Control": "no-cache"})


async def get_schema(_: Request) -> Response:
    s = schema()
    return JSONResponse({"topics": s.topics, "framings": s.framings, "definitions": s.definitions})


async def parse(request: Request) -> Response:
    filename = request.query_params.get("filename", "")
    if not filename:
        return _error("missing query parameter 'filename' (its extension gives the format)", field="filename")
    data = await request.body()
    if len(data) > MAX_UPLOAD_BYTES:
        return _error(f"file over {MAX_UPLOAD_BYTES // 2**20} MB", 413)
    try:
        parsed = parse_upload(data, filename)
    except ValueError as e:
        return _error(str(e))
    except Exception as e:  # a broken Parquet file, for one
        return _error(f"could not read {filename}: {e}")
    rows = [{**r, "article": request_article(r["row"])} for r in parsed.rows]
    return JSONResponse({"rows": rows, "errors": parsed.errors})


async def scored(request: Request) -> Response:
    try:
        body = await _json(request, "rows", "results")
        rows, results = _objects(body, "rows"), _objects(body, "results")
        if len(rows) != len(results):
            raise FieldError("results", f"{len(results)} results for {len(rows)} rows: one result per row")
        for i, res in enumerate(results):
            if missing := [k for k in RESULT_KEYS if k not in res]:  # an item error of /classify_batch, say
                why = res.get("error") or f"no {', '.join(map(repr, missing))}"
                raise FieldError("results", f"field 'results': item {i} is not a scored result ({why})")
        rows = [scored_row(row, res) for row, res in zip(rows, results)]
        limit = body.get("limit", 50)
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
            raise FieldError("limit", f"field 'limit': expected a whole number >= 0, got {limit!r}")
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        return _problem("", e)
    queue = [asdict(q) for q in label_next(rows, limit=limit)]
    return JSONResponse({"rows": rows, "charts": chart_data(rows, schema()), "queue": queue})


async def download(request: Request) -> Response:
    fmt = request.query_params.get("format", "jsonl")
    try:
        data = write_scored(_objects(await _json(request, "rows"), "rows"), fmt)
    except (ValueError, KeyError, TypeError) as e:
        return _problem("", e)
    return Response(
        data,
        media_type=MEDIA[fmt],
        headers={"Content-Disposition": f'attachment; filename="scored.{fmt}"'},
    )


async def correct(request: Request) -> Response:
    try:
        body = await _json(request, "article")
        article = body["article"]
        if not isinstance(article, dict):
            raise FieldError("article", "field 'article' must be an object")
        topics, framing = _labels(body, schema())
        record = correction_record(
            article,
            topics,
            framing,
            body.get("model"),
            body.get("model_answer"),
            schema(),
        )
        note = place(record, await asyncio.to_thread(_known_articles))  # reads every label file
        FeedbackLog(feedback_path(), schema()).append(record)
    except (ValueError, KeyError, TypeError, OSError) as e:
        return _problem("correction not saved: ", e)
    answer = {"record": record, "path": str(feedback_path())}
    if note:
        answer["note"] = note
    return JSONResponse(answer)


def _known_articles() -> dict[str, Article]:
    """The labelled articles by id, that a correction could be of or clash with (corpus and corrections)."""
    log, labels = feedback_path().resolve(), labels_dir().resolve()
    paths = [labels] if labels.exists() else []
    if log.exists() and not log.is_relative_to(labels):  # a log inside labels/ is read with it
        paths.append(log)
    return {a.id: a for a in load_labelled(paths, schema())[0]}


async def label_studio(request: Request) -> Response:
    try:
        rows = _objects(await _json(request, "rows"), "rows")
        for i, row in enumerate(rows):
            if not (isinstance(row.get("text"), str) and row["text"].strip()):
                raise FieldError("rows", f"field 'rows': item {i} has no text to label")
        tasks = [
            to_task({k: v for k, v in r.items() if not k.startswith(("topic_score_", "framing_score_"))})
            for r in rows
        ]
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        return _problem("", e)
    return JSONResponse({"tasks": tasks, "config": labelling_config(schema())})


app = Starlette(
    routes=[
        Route("/", index),
        Route("/docs", swagger),
        Mount("/workbench/static", StaticFiles(directory=STATIC), name="workbench-static"),
        Route("/workbench/api/schema", get_schema),
        Route("/workbench/api/parse", parse, methods=["POST"]),
        Route("/workbench/api/scored", scored, methods=["POST"]),
        Route("/workbench/api/download", download, methods=["POST"]),
        Route("/workbench/api/corrections", correct, methods=["POST"]),
        Route("/workbench/api/label-studio", label_studio, methods=["POST"]),
    ]
)
