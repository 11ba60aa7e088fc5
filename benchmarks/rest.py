"""The REST service under load from a separate process, at 1, 8 and 32 concurrent clients.

    python benchmarks/rest.py [--duration 20] [--int8]
Serves the promoted model with `bentoml serve` on a free localhost port, runs load_client.py
against it with and without evidence, measures the service's resident memory (all its
processes) and, for reference, the same model's in-process time on the 400-word article;
writes benchmarks/results/rest.{json,md} (with --int8, served with TAGGER_INT8=1: rest-int8.*).
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
from collections import Counter
from pathlib import Path

import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, save, test_split_articles  # noqa: E402

from tagger.paths import project_dir  # noqa: E402

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


MODES = {"with evidence": False, "labels only": True}  # name -> load_client --labels-only


def load(port: int, rows: list[dict], concurrency: int, duration: float, labels_only: bool = False) -> dict:
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
            *(["--labels-only"] if labels_only else []),
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


def in_process_ms(article: dict, int8: bool, repeats: int = 10) -> dict[str, float]:
    """Median time of the promoted model on one article in this process: what HTTP and batching add."""
    from tagger.engine.registry import Registry
    from tagger.results.annotate import Annotator

    registry = Registry()
    annotator = Annotator(registry.load(str(registry.promoted()), int8=int8))
    out = {}
    for mode, labels_only in MODES.items():
        annotator.annotate([article], evidence=not labels_only)  # warm-up
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            annotator.annotate([article], evidence=not labels_only)
            times.append((time.perf_counter() - t) * 1000)
        out[mode] = float(np.median(times))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=float, default=20)
    ap.add_argument("--int8", action="store_true", help="serve with int8 matmuls (TAGGER_INT8=1)")
    args = ap.parse_args()
    rows = test_split_articles()
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bentoml",
            "serve",
            "service.service:TaggerService",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        cwd=project_dir(),
        env={**os.environ, "TAGGER_INT8": "1" if args.int8 else "0"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_ready(port, proc)
        idle = rss_mb(proc)
        for labels_only in MODES.values():  # warm-up (int8 compiles at the first request)
            load(port, rows[:8], 1, 3, labels_only)
        results = {"machine": machine(), "int8": args.int8, "idle_rss_mb": idle, "modes": {}}
        article400 = article_of_words(rows, 400)
        for mode, labels_only in MODES.items():
            results["modes"][mode] = {
                "one_client_400_words": load(port, [article400], 1, args.duration, labels_only),
                "runs": [load(port, rows, c, args.duration, labels_only) for c in (1, 8, 32)],
            }
        results["loaded_rss_mb"] = rss_mb(proc)
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(30)
    results["in_process_400_words_ms"] = in_process_ms(article400, args.int8)
    lines = [
        f"# REST service under load{' with int8 matmuls' if args.int8 else ''} "
        f"({results['machine']['cores']} cores, {results['machine']['when']})",
        "",
        f"Test-split articles, {args.duration:.0f} s per level, load from a separate process.",
        "",
        "| mode | clients | requests/s | p50 ms | p95 ms | p99 ms | errors |",
        "|---|---|---|---|---|---|---|",
    ]
    for mode, m in results["modes"].items():
        for r in m["runs"]:
            lines.append(
                f"| {mode} | {r['concurrency']} | {r['requests_per_s']:.1f} | {r['p50_ms']:.0f} "
                f"| {r['p95_ms']:.0f} | {r['p99_ms']:.0f} | {r['errors']} |"
            )
    lines.append("")
    for mode, m in results["modes"].items():
        p400 = m["one_client_400_words"]
        lines.append(
            f"- {mode}, one client, 400-word article: p50 {p400['p50_ms']:.0f} ms, p99 {p400['p99_ms']:.0f} ms "
            f"(the model alone, in-process: {results['in_process_400_words_ms'][mode]:.0f} ms)"
        )
    reasons = sum(
        (Counter(r["error_reasons"]) for m in results["modes"].values() for r in m["runs"]), Counter()
    )
    lines += [
        f"- resident memory of the service (all processes): {idle:.0f} MB idle, "
        f"{results['loaded_rss_mb']:.0f} MB after load",
        *(f"- error: {k} (x{v})" for k, v in reasons.items()),
    ]
    save("rest-int8" if args.int8 else "rest", results, "\n".join(lines))


if __name__ == "__main__":
    main()
