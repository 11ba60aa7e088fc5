"""The API as documented: the live server fuzzed from its own OpenAPI document, one error shape on
every route, bounded work per call and fairness between callers."""

import concurrent.futures as cf
import gzip
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from servers import ARTICLES, call

from service.contract import BENTOML_5XX, BUSY, ContractMiddleware, normalise_error
from tagger.results.annotate import MAX_BATCH_ITEMS, MAX_JOB_CHARS, MAX_SYNC_CHARS, MAX_TEXT_CHARS

from conftest import REPO

pytestmark = pytest.mark.slow
FUZZ_SEED, FUZZ_EXAMPLES = 1, 25


def test_schemathesis_finds_nothing_on_any_route(server):
    """Coverage, fuzzing and stateful phases, every check, a fixed seed and a bounded budget: a
    route that drifts from its document fails here."""
    res = subprocess.run(
        [sys.executable, "-m", "schemathesis.cli", "run", f"http://127.0.0.1:{server.port}/docs.json",
         "--checks", "all", "--phases", "examples,coverage,fuzzing,stateful", "--seed", str(FUZZ_SEED),
         "--max-examples", str(FUZZ_EXAMPLES), "--request-timeout", "120", "--no-color"],
        capture_output=True, text=True, timeout=1200,
    )  # fmt: skip
    assert res.returncode == 0 and "No issues found" in res.stdout, res.stdout[-6000:]


def error_of(status, body):
    assert 400 <= status < 500, (status, body)
    payload = json.loads(body)
    assert isinstance(payload, dict) and set(payload) <= {"error", "field", "index"}, payload
    return payload


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/classify", {"text": "  "}, "text"),  # single
        ("/classify", {"text": "ok", "evidence": "yes"}, "evidence"),  # a string is not a boolean
        ("/classify_batch", {"articles": []}, "articles"),  # batch
        ("/classify_batch", {"articles": ARTICLES, "colour": "red"}, "colour"),
        ("/submit/submit", {"articles": []}, "articles"),  # job: checked before it is queued
        ("/submit/submit", {"articles": ARTICLES, "evidence": "no"}, "evidence"),
    ],
)
def test_every_route_kind_answers_one_error_shape(server, path, body, field):
    assert error_of(*call(server.port, path, body))["field"] == field


def test_too_much_text_for_a_sync_call_points_to_submit(server):
    per = MAX_SYNC_CHARS // 3 + 1
    body = {"articles": [{"text": "word " * (per // 5 + 1)} for _ in range(3)], "evidence": False}
    status, raw = call(server.port, "/classify_batch", body)
    assert status == 413 and "/submit" in error_of(status, raw)["error"]


def test_too_much_text_for_one_job_is_refused_before_it_is_queued(server):
    n = MAX_JOB_CHARS // MAX_TEXT_CHARS + 1
    body = {"articles": [{"text": "w" * MAX_TEXT_CHARS} for _ in range(n)]}
    status, raw = call(server.port, "/submit/submit", body)
    error = error_of(status, raw)
    assert status == 413 and error["field"] == "articles", raw
    assert f"over the limit of {MAX_JOB_CHARS:,}" in error["error"] and "several jobs" in error["error"]


def test_unsupported_route_is_neither_advertised_nor_served(server):
    _, doc = call(server.port, "/docs.json", method="GET")
    assert (
        "/submit/cancel" not in doc["paths"]
        and "/submit" not in doc["paths"]
        and "/submit/submit" in doc["paths"]
    )
    assert doc["components"]["schemas"]["Error"]["required"] == ["error"]
    # every error answer of every route is declared in the one Error shape it is sent in
    errors = [
        (p, code, answer.get("content"))
        for p, ops in doc["paths"].items()
        for op in ops.values()
        for code, answer in op["responses"].items()
        if code >= "400" and "content" in answer
    ]
    assert errors and all(
        c["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"} for *_, c in errors
    ), errors
    # every route with a body documents the 415 a wrong Content-Type gets, and answers it
    with_body = [p for p, ops in doc["paths"].items() if "requestBody" in ops.get("post", {})]
    assert {"/classify", "/classify_batch", "/submit/submit"} <= set(with_body)
    assert all("415" in doc["paths"][p]["post"]["responses"] for p in with_body)
    status, raw = call(server.port, "/classify_batch", raw=b"{}", content_type="text/plain")
    assert (
        status == 415 and "Content-Type 'text/plain' is not accepted here" in error_of(status, raw)["error"]
    )
    # another charset, or a compressed body, is named too (it read as "not valid JSON")
    body = json.dumps(ARTICLES[0]).encode()
    status, raw = call(server.port, "/classify", raw=body, content_type="application/json; charset=utf-16")
    assert status == 415 and "read as UTF-8 only" in error_of(status, raw)["error"], raw
    status, raw = call(server.port, "/classify", raw=body, content_type="application/json; charset=UTF-8")
    assert status == 200, raw
    req = urllib.request.Request(
        f"http://127.0.0.1:{server.port}/classify",
        data=gzip.compress(body),
        headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
    )
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=60)
    assert e.value.code == 415 and json.loads(e.value.read()) == {
        "error": "Content-Encoding 'gzip' is not accepted; send the body uncompressed",
        "field": "Content-Encoding",
    }
    assert (
        "cannot be cancelled"
        in error_of(*call(server.port, "/submit/cancel?task_id=x", method="PUT"))["error"]
    )
    # the job's method called synchronously would skip the size limit of /classify_batch
    status, raw = call(server.port, "/submit", {"articles": [{"text": "Ministers met."}]})
    assert status == 404 and "/submit/submit" in error_of(status, raw)["error"]


def test_a_busy_server_refuses_sync_calls_at_once_and_still_takes_jobs(promoted_tiny):
    """With TAGGER_MAX_PENDING at one full batch, a batch and single calls sent meanwhile cannot all
    be held: whichever arrives second is answered 503 with Retry-After at once (a single call while
    the batch runs, or the batch if a single call got in first). Jobs are not counted."""

    from service.local_server import LocalServer

    def post(port: int, path: str, body) -> tuple[int, str | None, object]:
        req = urllib.request.Request(
            f"http://127.0.0.1:{port}{path}",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                return r.status, None, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, e.headers.get("Retry-After"), json.loads(e.read())

    heavy = {
        "articles": [
            {"id": f"h{i}", "text": "Ministers met in Dhaka. " * 120} for i in range(MAX_BATCH_ITEMS)
        ]
    }
    with LocalServer(cwd=REPO, env={"TAGGER_MAX_PENDING": str(MAX_BATCH_ITEMS)}) as s:
        job = None  # a job sent while a single call is being refused
        # a single call sent at once often gets in before the batch (which is then refused): wait
        # a little longer each try, until singles meet the batch running
        for head_start in (0.0, 0.05, 0.1, 0.2, 0.4):
            with cf.ThreadPoolExecutor(1) as pool:
                big = pool.submit(post, s.port, "/classify_batch", heavy)
                time.sleep(head_start)
                singles = []
                while not big.done():
                    singles.append(post(s.port, "/classify", ARTICLES[0]))
                    if singles[-1][0] == 503 and job is None:
                        job = post(s.port, "/submit/submit", {"articles": ARTICLES})
                answers = [big.result(), *singles]
            refused = [a for a in answers if a[0] != 200]
            assert refused and all(a == (503, "2", {"error": BUSY}) for a in refused), answers
            assert big.result()[0] == 200 or all(a[0] == 200 for a in singles)  # never both refused
            log = open(s.log.name).read()
            refused_path = "/classify_batch" if big.result()[0] == 503 else "/classify"
            assert f"Refused {refused_path} [POST]: 503 {BUSY}" in log, log[-3000:]
            if job:
                break
        assert job, "no single call was refused while the batch ran, in five tries"
        status, _, task = job
        assert status == 200 and "task_id" in task, task  # busy, yet a job is taken


def test_largest_allowed_batch_and_short_calls_meanwhile_are_all_answered(server):
    """The biggest /classify_batch the document allows, and short /classify calls from other
    clients meanwhile: every one is answered (no 503). That short calls run between the batch's
    parts is tested on the batcher itself (test_batcher.py); timings go to benchmarks."""
    per = MAX_SYNC_CHARS // MAX_BATCH_ITEMS
    words = " ".join(ARTICLES[i % 3]["text"] for i in range(40)).split()
    heavy = [{"id": f"h{i}", "text": " ".join(words)[:per]} for i in range(MAX_BATCH_ITEMS)]
    with cf.ThreadPoolExecutor(9) as pool:
        big = pool.submit(call, server.port, "/classify_batch", {"articles": heavy, "evidence": False})
        time.sleep(0.2)
        short = list(pool.map(lambda i: call(server.port, "/classify", ARTICLES[i % 3]), range(24)))
        status, res = big.result()
    assert status == 200 and len(res) == MAX_BATCH_ITEMS
    assert [s for s, _ in short] == [200] * 24


def relay(status: int, body: bytes, path: str = "/classify") -> tuple[int, dict, dict]:
    """What ContractMiddleware sends on for an app that answers `status` with `body`: the status,
    the headers and the JSON body."""
    import asyncio

    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": body})

    sent = []

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": path, "headers": []}
    asyncio.run(ContractMiddleware(app)(scope, None, send))
    return sent[0]["status"], dict(sent[0]["headers"]), json.loads(sent[1]["body"])


def test_error_bodies_are_normalised_and_busy_answers_say_when_to_retry():
    assert normalise_error([{"error": "field 'text': empty"}]) == {"error": "field 'text': empty"}
    pyd = {
        "error": "1 validation error",
        "detail": [{"type": "bool_type", "loc": ["evidence"], "msg": "bad"}],
    }
    assert normalise_error(pyd) == {"error": "field 'evidence': bad", "field": "evidence"}
    typo = {  # {"txt": ...}: the misspelling is named, not the field it stands for
        "error": "2 validation errors",
        "detail": [
            {"type": "missing", "loc": ["text"], "msg": "Field required"},
            {"type": "extra_forbidden", "loc": ["txt"], "msg": "Extra inputs are not permitted"},
        ],
    }
    assert normalise_error(typo) == {
        "error": "field 'txt': unknown field; also field 'text': missing",
        "field": "txt",
    }

    status, headers, body = relay(503, b'{"error": "overloaded"}')
    assert status == 503 and headers[b"retry-after"] == b"2"
    assert body == {"error": "overloaded"}
    # our own 503 (service/admission.py), whose words BentoML hides like any 5xx's
    status, headers, body = relay(503, json.dumps({"error": BENTOML_5XX}).encode())
    assert status == 503 and headers[b"retry-after"] == b"2" and body == {"error": BUSY}


def test_a_job_not_finished_yet_is_a_conflict_that_says_to_poll():
    """BentoML answers 400 (as if the request were wrong) for the results of a job still running."""
    for path, then in (("/submit/get", "then get its results"), ("/submit/retry", "then retry it")):
        status, headers, body = relay(400, b'{"error": "task 4e1f is not completed yet"}', path)
        assert status == 409 and headers[b"retry-after"] == b"2", body
        assert body == {
            "error": f"job 4e1f has not finished yet: poll /submit/status until it is completed, {then}",
            "field": "task_id",
        }
    status, _, body = relay(400, b'{"error": "task_id is required"}', "/submit/get")
    assert status == 400 and body == {"error": "task_id is required", "field": "task_id"}


def test_each_served_address_keeps_its_own_task_store():
    from tagger.cli.serve import task_store

    a, b = task_store("127.0.0.1", 3000), task_store("127.0.0.1", 3001)
    assert a != b and a.parent == b.parent and a.name == "task_result-127.0.0.1-3000.db"


def test_model_failure_and_server_errors_come_in_the_error_shape():
    from service.contract import ApiError
    from tagger.results.isolation import model_failure

    # /classify's answer when the model fails on its article, as BentoML writes a 4xx exception
    failed = ApiError(model_failure(RuntimeError("out of memory")), field="text", status=422)
    status, _, body = relay(422, json.dumps([{"error": str(failed)}]).encode())
    assert status == 422
    assert body == {
        "error": "the model failed on this article (RuntimeError: out of memory)",
        "field": "text",
    }
    # any other server error: BentoML's own words, in the shape
    status, _, body = relay(
        500, b'{"error": "An unexpected error has occurred, please check the server log."}'
    )
    assert status == 500 and body == {
        "error": "An unexpected error has occurred, please check the server log."
    }


def test_refusals_are_logged_as_one_line_and_server_errors_keep_their_traceback(caplog):
    """Every refused request, on every route, is one INFO line from the contract saying what the
    client was told; BentoML's own traceback of a refusal is dropped, a server error's kept."""
    import logging

    from bentoml.exceptions import BentoMLException
    from pydantic import BaseModel

    from service.contract import REQUEST_LOG, ApiError
    from service.logs import DropRefusals

    class Body(BaseModel):
        text: str

    def kept(exc: BaseException) -> bool:
        try:
            raise exc
        except BaseException:
            record = logging.LogRecord(
                "x", logging.ERROR, "f", 1, "Exception on %s [%s]", ("/classify", "POST"), sys.exc_info()
            )
        return DropRefusals().filter(record)

    try:
        Body.model_validate({})
    except Exception as e:
        invalid = e
    assert not kept(invalid) and not kept(ApiError("too much text", field="articles", status=413))
    assert kept(BentoMLException("boom", error_code=500))

    with caplog.at_level(logging.INFO, logger=REQUEST_LOG.name):
        relay(400, json.dumps({"error": "field 'task_id': missing"}).encode())
        relay(503, json.dumps({"error": BENTOML_5XX}).encode())
        relay(200, b'{"topics": []}')
        relay(500, json.dumps({"error": BENTOML_5XX}).encode())
    assert [r.getMessage() for r in caplog.records] == [
        "Refused /classify [GET]: 400 field 'task_id': missing",
        f"Refused /classify [GET]: 503 {BUSY}",
    ]
    assert all(r.levelno == logging.INFO for r in caplog.records)


def openapi_to_json_schema(node):
    """OpenAPI 3.0's `nullable: true` as JSON Schema's null type, everywhere in `node`."""
    if isinstance(node, list):
        return [openapi_to_json_schema(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {k: openapi_to_json_schema(v) for k, v in node.items() if k != "nullable"}
    if node.get("nullable") and "type" in node:
        out["type"] = [node["type"], "null"]
    return out


def test_every_kind_of_answer_matches_the_result_schema_it_is_documented_with(server):
    """/docs.json declares what a result and a batch item's error hold (BentoML said only "an
    object"); real answers of each kind, a finished job's too, match it and nothing else."""
    import jsonschema_rs

    status, doc = call(server.port, "/docs.json", method="GET")
    components = openapi_to_json_schema(doc["components"])

    def check(path, method, answer):
        schema = doc["paths"][path][method]["responses"]["200"]["content"]["application/json"]["schema"]
        jsonschema_rs.validate({**openapi_to_json_schema(schema), "components": components}, answer)

    status, one = call(server.port, "/classify", {**ARTICLES[0], "id": 5})
    assert status == 200 and "evidence" in one, one
    check("/classify", "post", one)
    check(
        "/classify", "post", call(server.port, "/classify", {"text": "Ministers met.", "evidence": False})[1]
    )
    with pytest.raises(ValueError):  # an undeclared field fails: the schema is a real check
        check("/classify", "post", {**one, "colour": "red"})
    items = [ARTICLES[1], {"text": " "}, "not an object", {"text": "x", "id": True}]
    status, batch = call(server.port, "/classify_batch", {"articles": items})
    assert status == 200 and [("error" in r) for r in batch] == [False, True, True, True], batch
    check("/classify_batch", "post", batch)
    status, task = call(server.port, "/submit/submit", {"articles": items})
    deadline = time.time() + 60
    while (
        call(server.port, f"/submit/status?task_id={task['task_id']}", method="GET")[1]["status"]
        != "completed"
    ):
        assert time.time() < deadline, "the job did not finish"
        time.sleep(0.3)
    status, job = call(server.port, f"/submit/get?task_id={task['task_id']}", method="GET")
    assert status == 200 and len(job) == len(items), job
    check("/submit/get", "get", job)
