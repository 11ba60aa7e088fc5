"""Helpers for tests that start real `bentoml serve` processes and call them over HTTP."""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from conftest import REPO

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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(port, path, body=None, raw: bytes | None = None, token=None, method=None):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            payload = r.read().decode()
            return r.status, json.loads(payload) if "json" in r.headers.get("Content-Type", "") else payload
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


class Server:
    """`bentoml serve` in its own process group. Its log goes to a file: a pipe nobody reads would
    fill up with access-log lines and stall the server. Run one at a time: servers sharing a
    BentoML home reset each other's async-task database at start."""

    def __init__(self, target: str, env: dict | None = None):
        self.port = free_port()
        self.log = tempfile.NamedTemporaryFile("w+", prefix="bentoml-serve-", suffix=".log", delete=False)
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bentoml",
                "serve",
                target,
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            cwd=REPO,
            env={**os.environ, "BENTOML_RESULT_STORE": self.log.name + ".tasks.db", **(env or {})},
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.time() + 180
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("server exited:\n" + self.log_tail())
            try:
                if call(self.port, "/readyz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        self.stop()
        raise TimeoutError("server did not become ready:\n" + self.log_tail())

    def log_tail(self) -> str:
        return open(self.log.name, encoding="utf-8", errors="replace").read()[-4000:]

    def stop(self):
        os.killpg(self.proc.pid, 15)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, 9)
        self.log.close()
        os.unlink(self.log.name)
