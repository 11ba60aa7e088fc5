"""The service's edges: bearer-token auth, int8 on request, no model at start, and `bentoml build`.

Kept apart from test_service.py so that no two servers run at once (BentoML servers sharing a
machine's task database conflict at start)."""

import json
import os
import subprocess
import sys
import urllib.request

import numpy as np
import pytest
from servers import ARTICLES, call

from service.local_server import LocalServer
from tagger.engine.runtime import cpu_has_int8_dot

from conftest import REPO

pytestmark = pytest.mark.slow


def test_auth_on_when_token_set(promoted_tiny):
    s = LocalServer(env={"TAGGER_API_TOKEN": "s3cret"}, cwd=REPO)
    try:
        assert call(s.port, "/classify", ARTICLES[0])[0] == 401
        assert call(s.port, "/classify", ARTICLES[0], token="wrong")[0] == 401
        assert call(s.port, "/classify", ARTICLES[0], token="s3cret")[0] == 200
        assert call(s.port, "/healthz", method="GET")[0] == 200
        assert s.log_tail().count("Refused /classify [POST]: 401 missing or wrong bearer token") == 2
        lower = urllib.request.Request(
            f"http://127.0.0.1:{s.port}/classify",
            data=json.dumps(ARTICLES[0]).encode(),
            headers={"Content-Type": "application/json", "Authorization": "bearer s3cret"},
        )
        with urllib.request.urlopen(lower, timeout=60) as r:  # the scheme in any case (RFC 7235)
            assert r.status == 200
        status, body = call(s.port, "/classify", ARTICLES[0], token="wrong")
        assert json.loads(body)["field"] == "Authorization"
        # the contract says which routes need the token, so Swagger UI offers "Authorize"
        status, doc = call(s.port, "/docs.json", method="GET")
        assert doc["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}
        assert doc["paths"]["/classify"]["post"]["security"] == [{"bearer": []}]
        assert "401" in doc["paths"]["/submit/get"]["get"]["responses"]
        assert "security" not in doc["paths"]["/healthz"]["get"]
    finally:
        s.stop()


@pytest.mark.skipif(not cpu_has_int8_dot(), reason="this CPU has no int8 dot products (VNNI/AMX)")
def test_int8_service_gives_what_the_int8_engine_gives(promoted_tiny):
    from tagger.engine.registry import Registry
    from tagger.results.annotate import Annotator

    s = LocalServer(env={"TAGGER_INT8": "1"}, cwd=REPO)
    try:
        status, got = call(s.port, "/classify_batch", {"articles": ARTICLES, "evidence": False})
    finally:
        s.stop()
    assert status == 200, got
    int8_tagger, bf16_tagger = Registry().load(promoted_tiny, int8=True), Registry().load(promoted_tiny)
    int8 = Annotator(int8_tagger).annotate(ARTICLES, evidence=False)
    assert [(r["topics"], r["framing"]) for r in got] == [(r["topics"], r["framing"]) for r in int8]
    gap = max(
        abs(a["topic_scores"][t] - b["topic_scores"][t]) for a, b in zip(got, int8) for t in a["topic_scores"]
    )
    assert gap < 2e-3
    assert {r["model"]["precision"] for r in got} == {"int8"}  # the service ran int8 ...
    texts = [a["text"] for a in ARTICLES]  # ... which really differs from the default path
    assert not np.array_equal(
        int8_tagger.predict_proba(texts).topics, bf16_tagger.predict_proba(texts).topics
    )


def test_no_model_fails_at_start_with_a_clear_message(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-c", "import service.service"],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, "BENTOML_HOME": str(tmp_path)},
    )
    assert proc.returncode != 0
    assert "no promoted 'article-tagger' model" in proc.stderr and "tagger train" in proc.stderr


def test_bentoml_build_makes_a_bento_that_serves(promoted_tiny):
    res = subprocess.run(
        [sys.executable, "-m", "bentoml", "build", "--output", "tag"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    tag = res.stdout.strip().splitlines()[-1].removeprefix("__tag__:")
    assert tag.startswith("article-tagger:")
    s = LocalServer(tag, cwd=REPO)
    try:
        status, out = call(s.port, "/classify", ARTICLES[1])
        assert status == 200 and out["id"] == "t1"
    finally:
        s.stop()
