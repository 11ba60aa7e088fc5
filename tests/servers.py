"""Helpers for tests that start real `bentoml serve` processes and call them over HTTP."""

import json
import urllib.error
import urllib.request

ARTICLES = [
    {
        "id": "d1",
        "title": "Army chiefs meet",
        "text": "Pakistan's army chief received Bangladesh's principal staff "
        "officer in Rawalpindi, where the two sides discussed joint training and the JF-17 Thunder.",
    },
    {
        "id": "t1",
        "text": "A cargo vessel from Karachi docked at Chattogram on Wednesday carrying rice and sugar, "
        "the first direct shipment between the two ports in decades, port officials said.",
    },
    {
        "id": "n1",
        "text": "Heavy rain flooded low-lying parts of Sylhet overnight and schools were closed "
        "as the river rose above the danger mark, the district administration said.",
    },
]


def call(
    port, path, body=None, raw: bytes | None = None, token=None, method=None, content_type="application/json"
):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method)
    req.add_header("Content-Type", content_type)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            payload = r.read().decode()
            return r.status, json.loads(payload) if "json" in r.headers.get("Content-Type", "") else payload
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
