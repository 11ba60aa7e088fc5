"""The REST service under load from a separate process, at 1, 8 and 32 concurrent clients.

    python benchmarks/rest.py [--duration 20]
Serves the promoted model with `bentoml serve` on a free localhost port, runs load_client.py
against it, measures the service's resident memory (all its processes), and writes
benchmarks/results/rest.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, save, test_split_articles  # noqa: E402

from tagger.schema import REPO_ROOT  # noqa: E402

HERE = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(port: int, proc: subprocess.Popen, timeout: float = 300) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("service exited during start")
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2).status == 200:
                return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError("service not ready")


def rss_mb(proc: subprocess.Popen) -> float:
    p = psutil.Process(proc.pid)
    return sum(q.memory_info().rss for q in [p, *p.children(recursive=True)]) / 2**20


def load(port: int, rows: list[dict], concurrency: int, duration: float) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(rows, f)
    out = subprocess.run(
        [
            sys.executable,
            str(HERE / "load_client.py"),
            "--port",
            str(port),
            "--concurrency",
            str(concurrency),
            "--duration",
            str(duration),
            "--articles",
            f.name,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    os.unlink(f.name)
    return json.loads(out.stdout)


def article_of_words(rows: list[dict], words: int) -> dict:
    best = min(rows, key=lambda r: abs(len(r["text"].split()) - words))
    return {"id": best["id"], "text": " ".join(best["text"].split()[:words])}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=float, default=20)
    args = ap.parse_args()
    rows = test_split_articles()
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bentoml",
            "serve",
            "service.service:ArticleTagger",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_ready(port, proc)
        idle = rss_mb(proc)
        load(port, rows[:8], 1, 3)  # warm-up
        results = {"machine": machine(), "idle_rss_mb": idle, "runs": []}
        p400 = load(port, [article_of_words(rows, 400)], 1, args.duration)
        results["one_client_400_words"] = p400
        for c in (1, 8, 32):
            results["runs"].append(load(port, rows, c, args.duration))
        results["loaded_rss_mb"] = rss_mb(proc)
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(30)
    lines = [
        f"# REST service under load ({results['machine']['cores']} cores, {results['machine']['when']})",
        "",
        f"Test-split articles, {args.duration:.0f} s per level, load from a separate process.",
        "",
        "| clients | requests/s | p50 ms | p95 ms | p99 ms | errors |",
        "|---|---|---|---|---|---|",
    ]
    for r in results["runs"]:
        lines.append(
            f"| {r['concurrency']} | {r['requests_per_s']:.1f} | {r['p50_ms']:.0f} | {r['p95_ms']:.0f} "
            f"| {r['p99_ms']:.0f} | {r['errors']} |"
        )
    lines += [
        "",
        f"- one client, 400-word article: p50 {p400['p50_ms']:.0f} ms, p99 {p400['p99_ms']:.0f} ms",
        f"- resident memory of the service (all processes): {idle:.0f} MB idle, "
        f"{results['loaded_rss_mb']:.0f} MB after load",
    ]
    save("rest", results, "\n".join(lines))


if __name__ == "__main__":
    main()
