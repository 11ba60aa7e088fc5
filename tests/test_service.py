"""A real `bentoml serve` process on a free localhost port, called over HTTP."""

import concurrent.futures as cf
import json
import time
from importlib.metadata import version

import pytest
from servers import ARTICLES, call

from tagger.results.annotate import MAX_BATCH_ITEMS, MAX_JOB_ITEMS, MAX_TEXT_CHARS

from conftest import run_tagger

pytestmark = pytest.mark.slow


def test_classify_shape_and_evidence_offsets(server):
    status, res = call(server.port, "/classify", ARTICLES[0])
    assert status == 200, res
    assert set(res) == {
        "id",
        "topics",
        "topic_scores",
        "framing",
        "framing_scores",
        "evidence",
        "windows",
        "warnings",
        "model",
    }
    assert res["id"] == "d1" and res["windows"] == 1 and res["model"]["tag"].startswith("article-tagger:")
    assert set(res["topic_scores"]) == {"defence", "trade", "diplomacy"}
    assert abs(sum(res["framing_scores"].values()) - 1) < 1e-3
    assert set(res["evidence"]) == {*res["topics"], res["framing"]}
    for items in res["evidence"].values():
        for ev in items:
            assert ARTICLES[0]["text"][ev["start"] : ev["end"]] == ev["text"]


def test_labels_only_calls_skip_evidence(server):
    status, full = call(server.port, "/classify", ARTICLES[0])
    status, bare = call(server.port, "/classify", {**ARTICLES[0], "evidence": False})
    assert status == 200, bare
    assert bare == {k: v for k, v in full.items() if k != "evidence"}
    status, batch = call(server.port, "/classify_batch", {"articles": ARTICLES[:2], "evidence": False})
    assert status == 200, batch
    second = call(server.port, "/classify", {**ARTICLES[1], "evidence": False})[1]
    assert [("evidence" in r, r["framing"]) for r in batch] == [
        (False, bare["framing"]),
        (False, second["framing"]),
    ]


def test_batch_keeps_order_and_reports_bad_items_in_place(server):
    singles = [call(server.port, "/classify", a)[1] for a in ARTICLES]
    items = [
        ARTICLES[0],
        {"id": "bad1", "text": "  "},
        ARTICLES[1],
        {"text": 5},
        {"text": "x", "foo": 1},
        "not an object",
        ARTICLES[2],
        {**ARTICLES[2], "id": 7},  # a numbered row's id: echoed as given, as `tagger score` does
        {"text": "x", "id": False},
    ]
    status, res = call(server.port, "/classify_batch", {"articles": items})
    assert status == 200, res
    assert [r.get("id") for r in res] == ["d1", "bad1", "t1", None, None, None, "n1", 7, False]
    assert res[7]["framing"] == res[6]["framing"]
    assert (
        res[8]["field"] == "id" and "expected a string or a whole number, got true/false" in res[8]["error"]
    )
    status, one = call(server.port, "/classify", {**ARTICLES[2], "id": 7, "evidence": False})
    assert status == 200 and one["id"] == 7, one
    assert res[1] == {
        "index": 1,
        "id": "bad1",
        "field": "text",
        "error": "field 'text': empty or only whitespace",
    }
    assert (
        "field 'text': expected a string" in res[3]["error"] and "unknown field(s) 'foo'" in res[4]["error"]
    )
    assert "expected an object" in res[5]["error"]
    for got, want in zip([res[0], res[2], res[6]], singles):
        assert got["topics"] == want["topics"] and got["framing"] == want["framing"]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/classify", {"text": "   "}, "text"),
        ("/classify", {"text": "x" * (MAX_TEXT_CHARS + 1)}, "text"),
        ("/classify", {"text": 12}, "text"),
        ("/classify", {"title": "no text"}, "text"),
        ("/classify", {"text": "ok", "language": "en"}, "language"),
        ("/classify", {"text": "ok", "id": True}, "id"),
        ("/classify", {"text": "ok", "id": 1.5}, "id"),
        ("/classify_batch", {"articles": [{"text": "a"}] * (MAX_BATCH_ITEMS + 1)}, "articles"),
        ("/classify_batch", {"articles": "nope"}, "articles"),
        ("/classify_batch", {}, "articles"),
        ("/submit/submit", {"articles": [{"text": "a"}] * (MAX_JOB_ITEMS + 1)}, "articles"),
    ],
)
def test_bad_input_gets_4xx_naming_the_field(server, path, body, field):
    status, res = call(server.port, path, body)
    assert 400 <= status < 500, (status, res)
    assert json.loads(res)["field"] == field, res


def test_refused_requests_are_one_line_in_the_server_log(server):
    """BentoML logs a client's 400 as an ERROR with a traceback; the operator gets one line."""
    assert call(server.port, "/classify", {"text": "   "})[0] == 400
    assert call(server.port, "/classify", {"txt": "typo"})[0] == 400
    log = open(server.log.name, encoding="utf-8").read()
    assert "Refused /classify [POST]: 400 field 'text': empty or only whitespace" in log, log[-3000:]
    assert "Refused /classify [POST]: 400 field 'txt': unknown field; also field 'text': missing" in log, log[
        -3000:
    ]
    # refusals BentoML never sees, or does not log: the contract's own checks, the job routes
    assert call(server.port, "/submit/submit", {"articles": []})[0] == 400
    assert call(server.port, "/submit/status", method="GET")[0] == 400
    assert call(server.port, "/classify", raw=b"x", content_type="text/plain")[0] == 415
    log = open(server.log.name, encoding="utf-8").read()
    assert "Refused /submit/submit [POST]: 400 field 'articles'" in log, log[-3000:]
    assert "Refused /submit/status [GET]: 400 " in log, log[-3000:]
    assert "Refused /classify [POST]: 415 Content-Type 'text/plain' is not accepted here" in log, log[-3000:]
    line = "Refused /classify [POST]: 400 field 'text': empty"
    before = log.count(line)
    assert call(server.port, "/classify", {"text": "   "})[0] == 400
    assert open(server.log.name, encoding="utf-8").read().count(line) == before + 1  # not also by BentoML
    assert "Traceback" not in log, log[-3000:]


@pytest.mark.parametrize(
    ("path", "body", "field", "message"),
    [
        ("/workbench/api/scored", {"results": []}, "rows", "missing field 'rows'"),
        ("/workbench/api/scored", {"rows": [], "results": [], "limit": "ten"}, "limit", "field 'limit'"),
        ("/workbench/api/corrections", {"topics": []}, "article", "missing field 'article'"),
        ("/workbench/api/corrections", {"article": "text"}, "article", "must be an object"),
        ("/workbench/api/download", {}, "rows", "missing field 'rows'"),
        ("/workbench/api/label-studio", {}, "rows", "missing field 'rows'"),
        ("/workbench/api/download?format=csv", {"rows": "abc"}, "rows", "must be a list of objects"),
        ("/workbench/api/label-studio", {"rows": [{"id": "a"}, 7]}, "rows", "item 1 must be an object"),
        ("/workbench/api/label-studio", {"rows": [{"id": "a", "text": " "}]}, "rows", "item 0 has no text"),
        ("/workbench/api/scored", {"rows": [{}], "results": []}, "results", "0 results for 1 rows"),
        (
            "/workbench/api/scored",
            {"rows": [{"id": "a"}], "results": [{"index": 0, "error": "the model failed"}]},
            "results",
            "item 0 is not a scored result (the model failed)",
        ),
        (
            "/workbench/api/scored",
            {"rows": [{"id": "a"}], "results": [{"topics": [], "framing": "neutral"}]},
            "results",
            "item 0 is not a scored result (no 'topic_scores', 'framing_scores')",
        ),
        (
            "/workbench/api/corrections",
            {"article": {"text": "x"}, "topics": "trade"},
            "topics",
            "expected a list of label names",
        ),
        (
            "/workbench/api/corrections",
            {"article": {"text": "x"}, "topics": ["trade"], "framing": "pro"},
            "framing",
            "unknown label 'pro'",
        ),
        ("/workbench/api/parse", {}, "filename", "missing query parameter 'filename'"),
        (  # the label files' own check, its field named
            "/workbench/api/corrections",
            {"article": {"text": " "}, "topics": [], "framing": "neutral"},
            "text",
            "correction not saved: field 'text': empty",
        ),
    ],
)
def test_workbench_api_names_the_bad_field(server, path, body, field, message):
    status, res = call(server.port, path, body)
    res = json.loads(res)
    assert status == 400 and res["field"] == field and message in res["error"], res


def test_a_method_a_route_does_not_take_is_answered_405_with_its_methods(server):
    """The API's routes say what the document gives them, the workbench's what they take."""
    import urllib.error
    import urllib.request

    for path, method, allowed in (
        ("/classify", "GET", "POST"),
        ("/workbench/api/parse", "GET", "POST"),
        ("/workbench/api/schema", "POST", "GET"),
    ):
        req = urllib.request.Request(
            f"http://127.0.0.1:{server.port}{path}", data=b"{}" if method == "POST" else None, method=method
        )
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(req, timeout=30)
        assert e.value.code == 405 and allowed in e.value.headers["Allow"].split(", "), (
            path,
            e.value.headers,
        )
        assert "error" in json.loads(e.value.read()), path


def test_body_that_is_not_json(server):
    status, res = call(server.port, "/classify", raw=b"{not json")
    assert status == 400 and "Invalid JSON" in res


def test_non_english_text_is_scored_with_a_warning(server):
    status, res = call(server.port, "/classify", {"text": "ঢাকা ও ইসলামাবাদের মধ্যে সরাসরি বাণিজ্য আবার শুরু হয়েছে"})
    assert status == 200 and any("Bengali" in w for w in res["warnings"])


def test_very_short_text_is_scored_with_a_warning(server):
    status, res = call(server.port, "/classify", {"text": "Karachi port reopens."})
    assert status == 200 and any("only 3 words" in w for w in res["warnings"]), res
    long = " ".join(a["text"] for a in ARTICLES)  # over 25 words
    status, res = call(server.port, "/classify", {"text": long})
    assert status == 200 and not any("words" in w for w in res["warnings"]), res


def test_the_backend_is_chosen_and_compiled_before_the_server_is_ready(server):
    """The first call should not pay for the backend's choice and compile: the server does both at
    start and logs what it chose, which is what every answer then reports."""
    with open(server.log.name) as f:
        started = [line for line in f if "warmed up in" in line]
    assert len(started) == 1, server.log_tail()
    status, res = call(server.port, "/classify", {"text": ARTICLES[0]["text"], "evidence": False})
    assert status == 200, res
    model = res["model"]
    assert f"{model['tag']} runs on {model['backend']} in {model['precision']} (warmed up in" in started[0]


def test_metrics_rise(server):
    def count():
        text = call(server.port, "/metrics")[1]
        return sum(
            float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith("tagger_predictions_total{")
        )

    before = count()
    call(server.port, "/classify_batch", {"articles": ARTICLES})
    assert count() >= before + len(ARTICLES)  # at least one framing label per article
    assert "tagger_input_chars_bucket" in call(server.port, "/metrics")[1]


def test_async_job(server):
    """A job may hold more articles than /classify_batch (which takes MAX_BATCH_ITEMS)."""
    n = MAX_BATCH_ITEMS + 6
    articles = [{**ARTICLES[i % 3], "id": f"{ARTICLES[i % 3]['id']}-{i}"} for i in range(n)]
    status, task = call(server.port, "/submit/submit", {"articles": articles, "evidence": False})
    assert status == 200, task
    status, res = call(server.port, f"/submit/get?task_id={task['task_id']}", method="GET")
    assert status == 200 or (status == 409 and "poll /submit/status" in json.loads(res)["error"]), res
    deadline = time.time() + 60
    while time.time() < deadline:
        status, st = call(server.port, f"/submit/status?task_id={task['task_id']}", method="GET")
        if st["status"] in ("completed", "failed", "canceled"):
            break
        time.sleep(0.3)
    assert st["status"] == "completed", st
    status, res = call(server.port, f"/submit/get?task_id={task['task_id']}", method="GET")
    assert status == 200 and [r["id"] for r in res] == [a["id"] for a in articles]
    for route in ("status", "get"):  # an unknown or missing task id is named as the field at fault
        status, res = call(server.port, f"/submit/{route}?task_id=nope", method="GET")
        assert status == 404 and json.loads(res)["field"] == "task_id", res
        status, res = call(server.port, f"/submit/{route}", method="GET")
        assert status == 400 and json.loads(res)["field"] == "task_id", res
        status, res = call(server.port, f"/submit/{route}?task_id=", method="GET")
        assert status == 400 and json.loads(res) == {"error": "field 'task_id': empty", "field": "task_id"}


def test_openapi_and_health(server):
    assert call(server.port, "/healthz", method="GET")[0] == 200
    assert call(server.port, "/readyz", method="GET")[0] == 200  # the model is loaded
    status, spec = call(server.port, "/docs.json", method="GET")
    assert status == 200 and {"/classify", "/classify_batch", "/submit/submit"} <= set(spec["paths"])
    info = spec["info"]  # ours: BentoML's says version "None", its team as contact, and badge images
    assert info["version"] == version("article-tagger") and "contact" not in info
    assert "topics" in info["description"] and "http" not in info["description"]


def test_50_concurrent_requests_match_single_requests(server):
    texts = [dict(ARTICLES[i % 3], id=f"c{i}") for i in range(50)]
    single = {a["id"]: call(server.port, "/classify", a)[1] for a in ARTICLES}
    with cf.ThreadPoolExecutor(50) as pool:
        results = list(pool.map(lambda a: call(server.port, "/classify", a), texts))
    assert all(status == 200 for status, _ in results)
    for a, (_, res) in zip(texts, results):
        want = single[ARTICLES[int(a["id"][1:]) % 3]["id"]]
        assert res["id"] == a["id"] and res["topics"] == want["topics"] and res["framing"] == want["framing"]
        for k, p in res["topic_scores"].items():
            assert abs(p - want["topic_scores"][k]) < 0.01


def test_tagger_score_gives_the_service_predictions(server, tmp_path):
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text("".join(json.dumps(a) + "\n" for a in ARTICLES), encoding="utf-8")
    res = run_tagger("score", str(src), "-o", str(out))
    assert res.returncode == 0, res.stderr[-2000:]
    scored = [json.loads(x) for x in out.read_text().splitlines()]
    for row, article in zip(scored, ARTICLES):
        served = call(server.port, "/classify", article)[1]
        assert row["topics"] == served["topics"] and row["framing"] == served["framing"]
        assert row["model"] == served["model"]["tag"]
        for k, p in served["topic_scores"].items():
            assert abs(row[f"topic_score_{k}"] - p) < 1e-3


def test_the_worker_ends_when_the_server_process_is_killed(promoted_tiny):
    """BentoML's model worker holds the listening socket: after `kill -9` of the server process it
    went on serving, and the port could not be served again. Now it ends within seconds."""
    import contextlib
    import os
    import signal
    import socket

    import psutil

    from service.local_server import LocalServer

    from conftest import REPO

    server = LocalServer(cwd=REPO)
    workers = psutil.Process(server.proc.pid).children(recursive=True)
    try:
        assert workers, "no worker process found"
        os.kill(server.proc.pid, signal.SIGKILL)
        _, alive = psutil.wait_procs(workers, timeout=30)
        assert not alive, [p.cmdline() for p in alive]
        with socket.socket() as s:  # nothing listens there any more
            assert s.connect_ex(("127.0.0.1", server.port)) != 0
    finally:
        server.stop()
        for p in workers:  # none left behind when this fails
            with contextlib.suppress(psutil.NoSuchProcess):
                p.kill()
