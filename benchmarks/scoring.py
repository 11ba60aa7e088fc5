"""Batch scoring throughput and peak memory: `tagger score` as a user runs it.

    python benchmarks/scoring.py --rows 2000               # articles/s on the corpus mix
    python benchmarks/scoring.py --rows 100000 --model TAG # peak memory on a long file

Input rows cycle through the corpus's test split (a seed-like mix of lengths) with unique ids.
Peak memory (PSS) of the scoring process and its children is sampled every second.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, machine_line, run_measured, save, test_split_articles, window_lengths  # noqa: E402
from inference import host_peak  # noqa: E402

from tagger.engine.registry import Registry  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=2000)
    ap.add_argument("--model", default=None)
    ap.add_argument("--name", default=None, help="result file name (default scoring-<rows>)")
    args = ap.parse_args()
    base = test_split_articles()
    print("the matmul peak, and the tokens the model reads of each article ...", flush=True)
    peak = host_peak()
    tokens = [sum(w) for w in window_lengths(Registry().load(args.model), base)]
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp, "in.jsonl"), Path(tmp, "out.jsonl")
        with open(src, "w", encoding="utf-8") as f:
            for i in range(args.rows):
                a = base[i % len(base)]
                f.write(json.dumps({**a, "id": f"{a['id']}-{i}"}) + "\n")
        cmd = [sys.executable, "-m", "tagger.cli", "score", str(src), "-o", str(out)]
        if args.model:
            cmd += ["--model", args.model]
        wall, peak_mb = run_measured(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        words = sum(len(base[i % len(base)]["text"].split()) for i in range(args.rows))
        read = sum(tokens[i % len(base)] for i in range(args.rows))
    res = {
        "machine": machine(),
        "rows": args.rows,
        "model": args.model or "promoted",
        "wall_s": wall,
        "articles_per_s": args.rows / wall,
        "tokens_per_s": read / wall,
        "matmul_peak": peak,
        "mean_words": words / args.rows,
        "peak_pss_mb": peak_mb,
    }
    table = "\n".join(
        [
            f"# tagger score, {args.rows} rows ({machine_line(res['machine'])})",
            "",
            "| rows | mean words | wall s | articles/s | tokens/s | peak PSS MB |",
            "|---|---|---|---|---|---|",
            f"| {args.rows} | {res['mean_words']:.0f} | {wall:.1f} | {res['articles_per_s']:.1f} "
            f"| {res['tokens_per_s']:,.0f} | {res['peak_pss_mb']:.0f} |",
            "",
            "Wall time includes start-up (imports, model load) and the end-of-run summary and chart. "
            "Tokens/s: the tokens the model reads of every article (all its windows). Square "
            f"{peak['precision']} matmul peak measured before the run: {peak['gflops']:.0f} GFLOP/s "
            "(a shared host's speed varies between runs).",
        ]
    )
    save(args.name or f"scoring-{args.rows}", res, table)


if __name__ == "__main__":
    main()
