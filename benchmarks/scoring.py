"""Batch scoring throughput and peak memory: `tagger score` as a user runs it.

    python benchmarks/scoring.py --rows 2000               # articles/s on the corpus mix
    python benchmarks/scoring.py --rows 100000 --model TAG # peak memory on a long file

Input rows cycle through the corpus's test split (a seed-like mix of lengths) with unique ids.
Peak resident memory of the scoring process is sampled every 0.1 s.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, save, test_split_articles  # noqa: E402

from tagger.paths import project_dir  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=2000)
    ap.add_argument("--model", default=None)
    ap.add_argument("--name", default=None, help="result file name (default scoring-<rows>)")
    args = ap.parse_args()
    base = test_split_articles()
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp, "in.jsonl"), Path(tmp, "out.jsonl")
        with open(src, "w", encoding="utf-8") as f:
            for i in range(args.rows):
                a = base[i % len(base)]
                f.write(json.dumps({**a, "id": f"{a['id']}-{i}"}) + "\n")
        cmd = [sys.executable, "-m", "tagger.cli", "score", str(src), "-o", str(out)]
        if args.model:
            cmd += ["--model", args.model]
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=project_dir(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ps, peak = psutil.Process(proc.pid), 0
        while proc.poll() is None:
            try:
                peak = max(peak, sum(p.memory_info().rss for p in [ps, *ps.children(recursive=True)]))
            except psutil.NoSuchProcess:
                break
            time.sleep(0.1)
        wall = time.perf_counter() - start
        assert proc.returncode == 0, f"tagger score failed ({proc.returncode})"
        words = sum(len(base[i % len(base)]["text"].split()) for i in range(args.rows))
    res = {
        "machine": machine(),
        "rows": args.rows,
        "model": args.model or "promoted",
        "wall_s": wall,
        "articles_per_s": args.rows / wall,
        "mean_words": words / args.rows,
        "peak_rss_mb": peak / 2**20,
    }
    table = "\n".join(
        [
            f"# tagger score, {args.rows} rows ({res['machine']['cores']} cores, {res['machine']['when']})",
            "",
            "| rows | mean words | wall s | articles/s | peak RSS MB |",
            "|---|---|---|---|---|",
            f"| {args.rows} | {res['mean_words']:.0f} | {wall:.1f} | {res['articles_per_s']:.1f} | {res['peak_rss_mb']:.0f} |",
            "",
            "Wall time includes start-up (imports, model load) and the end-of-run summary and chart.",
        ]
    )
    save(args.name or f"scoring-{args.rows}", res, table)


if __name__ == "__main__":
    main()
