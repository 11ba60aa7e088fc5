"""Fairness: the largest synchronous call the API allows, and short calls from other clients
meanwhile. Every short call must be answered; their latency (p50/p95) is what a heavy caller costs
everyone else.

    python benchmarks/fairness.py [--rounds 3]
Serves the promoted model on a free localhost port; writes benchmarks/results/fairness.{json,md}.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import json
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, machine_line, save, test_split_articles  # noqa: E402

from service.local_server import LocalServer  # noqa: E402
from tagger.results.annotate import MAX_BATCH_ITEMS, MAX_SYNC_CHARS  # noqa: E402


def post(port: int, path: str, body: dict) -> tuple[int, float]:
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    t = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=600) as r:
            r.read()
            status = r.status
    except urllib.error.HTTPError as e:
        status = e.code
    return status, time.perf_counter() - t


def round_of(port: int, heavy: list[dict], short: list[dict], clients: int) -> dict:
    with cf.ThreadPoolExecutor(clients + 1) as pool:
        big = pool.submit(post, port, "/classify_batch", {"articles": heavy, "evidence": False})
        time.sleep(0.5)
        shorts = list(pool.map(lambda a: post(port, "/classify", {**a, "evidence": False}), short))
        big_status, big_s = big.result()
    lat = np.array([s for _, s in shorts]) * 1000
    return {
        "heavy_status": big_status,
        "heavy_seconds": round(big_s, 2),
        "short_calls": len(shorts),
        "short_statuses": sorted({s for s, _ in shorts}),
        "short_p50_ms": round(float(np.percentile(lat, 50)), 1),
        "short_p95_ms": round(float(np.percentile(lat, 95)), 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--clients", type=int, default=8)
    args = ap.parse_args()
    rows = test_split_articles()
    words = " ".join(r["text"] for r in rows).split()
    per = MAX_SYNC_CHARS // MAX_BATCH_ITEMS
    heavy = [{"id": f"h{i}", "text": " ".join(words[i * 500 :])[:per]} for i in range(MAX_BATCH_ITEMS)]
    short = [{"id": r["id"], "text": r["text"][:1500]} for r in rows[: args.clients * 3]]
    with LocalServer(timeout=300) as server:
        port = server.port
        post(port, "/classify", short[0])  # warm-up
        rounds = []
        for i in range(args.rounds):
            rounds.append(round_of(port, heavy, short, args.clients))
            print(f"round {i + 1}: {rounds[-1]}", flush=True)
    p95 = max(r["short_p95_ms"] for r in rounds)
    payload = {"machine": machine(), "heavy_chars": sum(len(a["text"]) for a in heavy), "rounds": rounds}
    table = "\n".join(
        [
            f"# Fairness ({machine_line(payload['machine'])})",
            "",
            f"One /classify_batch of {MAX_BATCH_ITEMS} articles, {payload['heavy_chars']:,} characters (the",
            f"largest the API allows), with {len(short)} short /classify calls from {args.clients} other clients.",
            "",
            "| round | heavy call | heavy s | short calls | short statuses | short p50 ms | short p95 ms |",
            "|---|---|---|---|---|---|---|",
            *[
                f"| {i + 1} | {r['heavy_status']} | {r['heavy_seconds']} | {r['short_calls']} | "
                f"{r['short_statuses']} | {r['short_p50_ms']} | {r['short_p95_ms']} |"
                for i, r in enumerate(rounds)
            ],
            "",
            f"Worst p95 of the short calls: {p95} ms.",
        ]
    )
    save("fairness", payload, table)


if __name__ == "__main__":
    main()
