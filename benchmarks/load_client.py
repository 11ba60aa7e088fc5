"""A load generator, run as its own process: C concurrent clients POST /classify for D seconds.

    python benchmarks/load_client.py --port 3000 --concurrency 8 --duration 20 --articles rows.json
Prints one JSON object: requests, errors (and why), requests/s, latency percentiles (ms), and how
many times each article was answered (for equal-work figures: tokens/s).
By hand: --token for a server that requires TAGGER_API_TOKEN, --max-requests to stop early.
"""

from __future__ import annotations

import argparse
import collections
import json
import threading
import time
import urllib.request

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--concurrency", type=int, default=1)
    ap.add_argument("--duration", type=float, default=20)
    ap.add_argument("--max-requests", type=int, default=100_000)
    ap.add_argument("--articles", required=True)
    ap.add_argument("--token", default=None)
    ap.add_argument("--labels-only", action="store_true", help="send evidence: false")
    args = ap.parse_args()
    articles = json.loads(open(args.articles, encoding="utf-8").read())
    url = f"http://127.0.0.1:{args.port}/classify"
    latencies: list[float] = []
    errors: collections.Counter[str] = collections.Counter()  # reason -> count
    answered: collections.Counter[int] = collections.Counter()  # article index -> answers
    lock = threading.Lock()
    stop = time.perf_counter() + args.duration

    def client(k: int) -> None:
        i = k
        while time.perf_counter() < stop and len(latencies) < args.max_requests:
            article = articles[i % len(articles)]
            body = json.dumps({**article, "evidence": False} if args.labels_only else article).encode()
            req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
            if args.token:
                req.add_header("Authorization", f"Bearer {args.token}")
            t = time.perf_counter()
            error = None
            try:
                with urllib.request.urlopen(req, timeout=60) as r:
                    r.read()
            except urllib.error.HTTPError as e:
                error = f"HTTP {e.code}: {e.read()[:200].decode(errors='replace')}"
            except Exception as e:  # timeouts, refused or reset connections
                error = f"{type(e).__name__}: {e}"
            with lock:
                if error:
                    errors[error] += 1
                else:
                    latencies.append(time.perf_counter() - t)
                    answered[i % len(articles)] += 1
            i += args.concurrency

    start = time.perf_counter()
    threads = [threading.Thread(target=client, args=(k,)) for k in range(args.concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    lat = np.array(latencies) * 1000 if latencies else np.array([np.nan])
    print(
        json.dumps(
            {
                "concurrency": args.concurrency,
                "requests": len(latencies),
                "errors": sum(errors.values()),
                "error_reasons": dict(errors),
                "requests_per_s": len(latencies) / wall,
                "wall_s": wall,
                "answered": [answered[j] for j in range(len(articles))],
                "p50_ms": float(np.percentile(lat, 50)),
                "p95_ms": float(np.percentile(lat, 95)),
                "p99_ms": float(np.percentile(lat, 99)),
            }
        )
    )


if __name__ == "__main__":
    main()
