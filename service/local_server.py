"""`LocalServer`: `bentoml serve` of a service on a free localhost port, ready when constructed.
Tests, benchmarks and the screenshot script start the real service through it."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from tagger.cli.serve import RESULT_STORE_ENV, SERVICE
from tagger.paths import project_dir


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalServer:
    """`bentoml serve` in its own process group, run from the project folder. Its log goes to a
    file: a pipe nobody reads would fill up with access-log lines and stall the server; its tail is
    in the error if the server dies or is not ready within `timeout` seconds. Each server gets its
    own async-task database: servers sharing one reset each other's tasks at start."""

    def __init__(
        self,
        target: str = SERVICE,
        env: dict | None = None,
        cwd: Path | None = None,
        timeout: float = 180,
        command: list[str] | None = None,
    ):
        """`command` replaces `bentoml serve target` (e.g. `tagger serve`); it gets --host and --port."""
        self.port = free_port()
        self.log = tempfile.NamedTemporaryFile("w+", prefix="bentoml-serve-", suffix=".log", delete=False)
        command = command or [sys.executable, "-m", "bentoml", "serve", target]
        cmd = [*command, "--host", "127.0.0.1", "--port", str(self.port)]
        self.proc = subprocess.Popen(
            cmd,
            cwd=cwd or project_dir(),
            env={**os.environ, RESULT_STORE_ENV: self.log.name + ".tasks.db", **(env or {})},
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("server exited:\n" + self.log_tail())
            try:
                if urllib.request.urlopen(f"http://127.0.0.1:{self.port}/readyz", timeout=2).status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        tail = self.log_tail()  # before stop() removes the log
        self.stop()
        raise TimeoutError("server did not become ready:\n" + tail)

    def log_tail(self) -> str:
        return open(self.log.name, encoding="utf-8", errors="replace").read()[-4000:]

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):  # the whole group may have ended already
            os.killpg(self.proc.pid, 15)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, 9)
        self.log.close()
        os.unlink(self.log.name)
        Path(self.log.name + ".tasks.db").unlink(missing_ok=True)  # its own task store: nobody else reads it

    def __enter__(self) -> LocalServer:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
