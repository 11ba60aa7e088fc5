"""The API contract as clients see it: one error shape for every error answer (4xx and 5xx) on
every route, Retry-After on 503, and the OpenAPI document (/docs.json) corrected to say what this
server really does.

BentoML answers its own validation errors as `{"error", "detail": [pydantic errors]}` and ours as
a one-item list; an ASGI middleware rewrites both into `{"error", "field"?, "index"?}`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from http import HTTPStatus
from urllib.parse import parse_qs

from bentoml.exceptions import BentoMLException
from pydantic import BaseModel, ValidationError

from service.result_schema import declare_results
from tagger.data.records import FieldProblem
from tagger.results.annotate import MAX_BATCH_ITEMS
from tagger.results.isolation import model_failure

RETRY_AFTER_SECONDS = 2
# BentoML's request logger: its records reach the server log at INFO (ours would need the root's
# WARNING); service/logs.py drops its own tracebacks of refusals, logged here once instead
REQUEST_LOG = logging.getLogger("bentoml._internal.server.http_app")
# BentoML hides the message of every 5xx behind this one; our only 5xx of our own is the 503 of
# service/admission.py, whose words the middleware puts back
BENTOML_5XX = "An unexpected error has occurred, please check the server log."
BUSY = (
    f"busy: other calls hold as many articles as the server takes at once; try again after "
    f"{RETRY_AFTER_SECONDS} s (Retry-After), or send large work to /submit/submit"
)
ERROR_SCHEMA = {
    "type": "object",
    "title": "Error",
    "description": "Every 4xx and 5xx answer: what is wrong, and where (`field`; `index` for a batch item).",
    "required": ["error"],
    "properties": {
        "error": {"type": "string", "description": "What is wrong, in words"},
        "field": {"type": "string", "description": "The request field it concerns, e.g. 'text'"},
        "index": {"type": "integer", "description": "Position of the batch item it concerns"},
    },
    "additionalProperties": False,
}
FRIENDLIER = {  # pydantic's wording, where it is obscure for our fields
    "string_pattern_mismatch": "empty or only whitespace",
    "string_too_short": "empty",
    "extra_forbidden": "unknown field",
    "missing": "missing",
}
API_DESCRIPTION = (
    "Tags news articles with their topics (zero or more) and their framing (exactly one), with "
    "calibrated scores and the sentences behind each label. The label names and definitions: "
    "GET /workbench/api/schema. Every error answer is one object, `{error, field?, index?}`."
)
TOO_MUCH_TEXT = "too_much_text"  # a body check's error type that is answered 413, not 400
TASK_ROUTES = {"/submit/status", "/submit/get", "/submit/retry"}  # they take ?task_id=
TASK_STATES = ["pending", "in_progress", "completed", "failed", "canceled"]  # what BentoML reports
UNFINISHED = " is not completed yet"  # BentoML's 400 for /submit/get and /submit/retry of a running job
UNSUPPORTED_ROUTES = {  # BentoML advertises and serves these; this server does not
    "/submit/cancel": "tasks here cannot be cancelled",
    # the job's method called synchronously: no size limit and no turn-taking with other callers
    "/submit": f"send a job to /submit/submit, or up to {MAX_BATCH_ITEMS} articles to /classify_batch",
}


class ApiError(BentoMLException):
    """An error with a field (and batch index) that the middleware turns into the error shape."""

    def __init__(
        self,
        message: str,
        field: str | None = None,
        index: int | None = None,
        status: HTTPStatus = HTTPStatus.BAD_REQUEST,
    ):
        super().__init__(json.dumps(error_body(message, field, index)), error_code=status)


def error_body(message: str, field: str | None = None, index: int | None = None) -> dict:
    body: dict = {"error": message}
    if field is not None:
        body["field"] = field
    if index is not None:
        body["index"] = index
    return body


def batch_results(articles: list, problems: dict[int, FieldProblem], scored: list) -> list:
    """A batch's answer in input order: each article's result, or `{index, id, field, error}` for one
    that failed its checks (`problems`, by index) or that the model failed on (its exception in
    `scored`, which holds the results of the other articles, in order)."""
    scored_iter = iter(scored)
    results = []
    for i, article in enumerate(articles):
        problem = problems.get(i)
        result = None if problem else next(scored_iter)
        if isinstance(result, Exception):
            problem = FieldProblem("text", f"{model_failure(result)}; the others were scored")
        if problem:
            result = {
                "index": i,
                "id": article.get("id") if isinstance(article, dict) else None,
                "field": problem.field,
                "error": problem.message,
            }
        results.append(result)
    return results


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("article-tagger")
    except PackageNotFoundError:  # a Bento runs the source without installing it
        return "unknown"


def _in_words(detail: dict) -> str:
    """One of pydantic's errors in words: "field 'text': missing"."""
    field = ".".join(str(p) for p in detail.get("loc", []))
    msg = FRIENDLIER.get(detail.get("type", ""), detail.get("msg", "invalid value"))
    return f"field '{field}': {msg}" if field else msg


def normalise_error(payload: object) -> dict:
    """Any error body BentoML or our code produced, as the one declared error shape."""
    if isinstance(payload, list) and payload:
        payload = payload[0]
    if not isinstance(payload, dict):
        return error_body(str(payload))
    message = payload.get("error", "")
    if isinstance(message, str) and message.startswith("{"):
        try:
            return json.loads(message)  # an ApiError, already in shape
        except json.JSONDecodeError:
            pass
    detail = payload.get("detail")
    if isinstance(detail, list) and detail and isinstance(detail[0], dict):  # pydantic's errors
        # a misspelt field gives two errors (the unknown one, the missing one): name the misspelling
        first = next((d for d in detail if d.get("type") == "extra_forbidden"), detail[0])
        if first.get("type") == "json_invalid":
            return error_body(f"body is not valid JSON: {first.get('msg', '')}")
        others = [_in_words(d) for d in detail if d is not first]
        more = f"; also {'; '.join(others[:2])}" if others else ""
        more += f" (and {len(others) - 2} more)" if len(others) > 2 else ""
        field = ".".join(str(p) for p in first.get("loc", [])) or None
        return error_body(_in_words(first) + more, field)
    field = payload.get("field")  # our own {error, field} answers (the workbench's) keep it
    return error_body(str(message or payload), field if isinstance(field, str) else None)


def patch_openapi(doc: dict, guarded: Callable[[str], bool] | None = None) -> dict:
    """Make the generated document match behaviour: our error shape on every 4xx, the 413, 422 and
    503 answers, the task states BentoML really reports, no route that cannot work here, and the
    bearer token on the routes that need one (`guarded(path)`, when a token is set)."""
    # BentoML's default description embeds badge images from shields.io and others: Swagger UI
    # would fetch them from those hosts
    info = doc.setdefault("info", {})
    info["description"] = API_DESCRIPTION
    info["version"] = _version()  # BentoML writes "None" for a service run from source
    info.pop("contact", None)  # BentoML's own team, not who runs this server
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR_SCHEMA
    for name in ("InvalidArgument", "NotFound", "InternalServerError"):  # all answered as Error
        schemas.pop(name, None)
    status = schemas.get("TaskStatusResponse")
    if status:
        status["properties"]["status"]["enum"] = TASK_STATES
        status["required"] = ["task_id", "status"]  # submit and retry answer without timestamps
    for path in UNSUPPORTED_ROUTES:
        doc.get("paths", {}).pop(path, None)
    declare_results(doc)
    ref = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, ops in doc.get("paths", {}).items():
        for op in ops.values():
            responses = op.setdefault("responses", {})
            if guarded and guarded(path):  # Swagger UI then offers "Authorize"
                doc["components"].setdefault("securitySchemes", {})["bearer"] = {
                    "type": "http",
                    "scheme": "bearer",
                }
                op["security"] = [{"bearer": []}]
                responses["401"] = {
                    "description": "Missing or wrong bearer token (this server has TAGGER_API_TOKEN set)",
                    "content": ref,
                }
            if "requestBody" in op:
                op["requestBody"]["required"] = True  # every body route needs its JSON object
                responses["415"] = {
                    "description": "A Content-Type this route does not take (it says which it takes)",
                    "content": ref,
                }
            for code in ("400", "404", "500"):
                if code in responses:
                    responses[code]["content"] = ref
            if path == "/classify":
                responses["422"] = {
                    "description": "The model failed on this article (on it alone: sending it again fails again)",
                    "content": ref,
                }
            if path.startswith(("/classify", "/submit")):
                responses["503"] = {
                    "description": f"Busy: try again after the Retry-After header's seconds ({RETRY_AFTER_SECONDS})",
                    "headers": {"Retry-After": {"schema": {"type": "integer"}}},
                    "content": ref,
                }
            if path == "/classify_batch":
                responses["413"] = {
                    "description": "Too much text for one call: use /submit/submit",
                    "content": ref,
                }
            if path in ("/submit/get", "/submit/retry"):
                responses["409"] = {
                    "description": "The job has not finished yet: poll /submit/status (Retry-After says when)",
                    "headers": {"Retry-After": {"schema": {"type": "integer"}}},
                    "content": ref,
                }
            if path == "/submit/submit":
                responses["413"] = {"description": "Too much text for one job: split it", "content": ref}
    return doc


class ContractMiddleware:
    """ASGI middleware: rewrites 4xx and 5xx bodies into the error shape (adding Retry-After to 503s)
    and patches /docs.json on its way out. Other responses pass through untouched."""

    def __init__(
        self,
        app,
        validators: dict[str, type[BaseModel]] | None = None,
        guarded: Callable[[str], bool] | None = None,
    ):
        self.app = app
        self.guarded = guarded  # path -> whether it needs the bearer token (service/auth.py)
        self.validators = validators or {}  # path -> body model, for routes BentoML does not check
        self.allowed: dict[str, str] | None = None  # path -> "GET, POST", read from the document
        self.body_types: dict[str, set[str]] = {}  # path -> media types its body is declared in

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        send = logging_refusals(scope, send)
        is_doc = scope["path"] == "/docs.json"
        if scope["path"] in UNSUPPORTED_ROUTES:
            why = UNSUPPORTED_ROUTES[scope["path"]]
            return await _send_json(
                send, 404, error_body(f"{scope['path']} is not supported by this server: {why}")
            )
        if scope["path"] in TASK_ROUTES and _task_ids(scope) == [""]:  # BentoML looks "" up: 404
            return await _send_json(send, 400, error_body("field 'task_id': empty", "task_id"))
        if scope["method"] == "POST" and (problem := await self._media_type_problem(scope)):
            return await _send_json(send, 415, error_body(problem.message, problem.field))
        model = self.validators.get(scope["path"])
        if model is not None and scope["method"] == "POST":
            body = await _read_body(receive)
            try:
                model.model_validate_json(body or b"null")
            except ValidationError as e:
                detail = e.errors(include_context=False, include_input=False)
                status = 413 if all(d["type"] == TOO_MUCH_TEXT for d in detail) else 400
                return await _send_json(send, status, normalise_error({"error": str(e), "detail": detail}))
            receive = _replay(body, receive)
        start: dict = {}
        chunks: list[bytes] = []

        async def capture(message):
            if message["type"] == "http.response.start":
                start.update(message)
                if not (is_doc or message["status"] >= 400):
                    start["passthrough"] = True
                    await send(message)
                return
            if start.get("passthrough"):
                return await send(message)
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            await self._finish(send, start, b"".join(chunks), is_doc, scope["path"])

        return await self.app(scope, receive, capture)

    async def _finish(self, send, start: dict, body: bytes, is_doc: bool, path: str) -> None:
        status = start["status"]
        try:
            payload = json.loads(body) if body else None
        except ValueError:
            payload = body.decode("utf-8", "replace")
        if is_doc and status == 200 and isinstance(payload, dict):
            return await _send_json(send, status, patch_openapi(payload, self.guarded))
        extra = []
        if status == 503:
            extra.append((b"retry-after", str(RETRY_AFTER_SECONDS).encode()))
        if status == 405:  # RFC 9110: say which methods the route takes
            own = dict(start.get("headers", [])).get(b"allow", b"GET").decode("latin-1")
            extra.append((b"allow", (await self._allowed(path, own)).encode()))
        error = normalise_error(payload)
        if status == 503 and error["error"] == BENTOML_5XX:
            error = error_body(BUSY)
        if status == 400 and path in TASK_ROUTES and error["error"].endswith(UNFINISHED):
            status, error = 409, error_body(_unfinished(error["error"], path), "task_id")
            extra.append((b"retry-after", str(RETRY_AFTER_SECONDS).encode()))
        # an unknown task id (404) or none given (400): both about task_id
        if path in TASK_ROUTES and status in (400, 404) and "field" not in error:
            error["field"] = "task_id"
        await _send_json(send, status, error, extra)

    async def _allowed(self, path: str, own: str) -> str:
        """The methods the document gives the route, else those the app said (the workbench's)."""
        await self._read_document()
        return self.allowed.get(path, own)

    async def _media_type_problem(self, scope) -> FieldProblem | None:
        """A POST whose Content-Type is not one its route declares, in another charset than UTF-8
        or compressed: answered 415, not parsed."""
        await self._read_document()
        declared = self.body_types.get(scope["path"])
        if not declared:
            return None
        headers = dict(scope.get("headers", []))
        header = headers.get(b"content-type", b"application/json").decode("latin-1")
        media, *params = [p.strip().lower() for p in header.split(";")]
        if media not in declared:
            why = f"Content-Type '{header}' is not accepted here; send {' or '.join(sorted(declared))}"
            return FieldProblem("Content-Type", why)
        charset = next((p.split("=", 1)[1].strip('"') for p in params if p.startswith("charset=")), "utf-8")
        if charset not in ("utf-8", "utf8"):
            why = f"Content-Type '{header}': the body is read as UTF-8 only; send it in UTF-8"
            return FieldProblem("Content-Type", why)
        encoding = headers.get(b"content-encoding", b"identity").decode("latin-1").strip().lower()
        if encoding not in ("", "identity"):
            why = f"Content-Encoding '{encoding}' is not accepted; send the body uncompressed"
            return FieldProblem("Content-Encoding", why)
        return None

    async def _read_document(self) -> None:
        if self.allowed is not None:
            return
        doc = patch_openapi(json.loads(await _get(self.app, "/docs.json")), self.guarded)
        self.allowed = {p: ", ".join(sorted(m.upper() for m in ops)) for p, ops in doc["paths"].items()}
        for p, ops in doc["paths"].items():
            body = ops.get("post", {}).get("requestBody", {}).get("content", {})
            if body:
                self.body_types[p] = set(body)


def _task_ids(scope) -> list[str]:
    return parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True).get(
        "task_id", []
    )


def _unfinished(bentoml_message: str, path: str) -> str:
    """A job still running, in words that say what to do (BentoML answers 400 "not completed yet")."""
    job = bentoml_message.removeprefix("task ").removesuffix(UNFINISHED)
    then = "get its results" if path == "/submit/get" else "retry it"
    return f"job {job} has not finished yet: poll /submit/status until it is completed, then {then}"


async def _get(app, path: str) -> bytes:
    """GET a path from the wrapped app itself (no network): the generated document."""
    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [],
        "scheme": "http",
        "server": ("127.0.0.1", 0),
        "client": ("127.0.0.1", 0),
        "http_version": "1.1",
        "root_path": "",
    }
    chunks: list[bytes] = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        if message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return b"".join(chunks)


async def _read_body(receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


def _replay(body: bytes, receive):
    """The already-read body once, then the client's own channel (for its disconnect)."""
    sent = False

    async def replayed():
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replayed


def logging_refusals(scope, send):
    """`send`, logging each refused request (4xx, or busy: 503) as one line: what the client was told."""
    status = 0

    async def logged(message):
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif 400 <= status < 500 or status == 503:
            try:
                said = json.loads(message.get("body") or b"{}").get("error", "")
            except (ValueError, AttributeError):
                said = ""
            REQUEST_LOG.info("Refused %s [%s]: %d %s", scope["path"], scope["method"], status, said)
            status = 0  # once per answer
        await send(message)

    return logged


async def _send_json(send, status: int, payload: object, extra_headers: list | None = None) -> None:
    body = json.dumps(payload).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers + (extra_headers or [])})
    await send({"type": "http.response.body", "body": body})
