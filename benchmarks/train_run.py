"""`tagger train` as a user runs it: wall time, its phases, peak memory and the run's accuracy.

    python benchmarks/train_run.py [--config default] [--set KEY=VALUE ...]

Trains into the BentoML store like `tagger train` (a model that beats the promoted one is
promoted); the run's folder goes to a temporary directory, its report is summarised here. Writes
benchmarks/results/training-<CPU class>.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, machine_line, run_measured, save  # noqa: E402

SCORE_SETS = ("test split", "realnews-dev", "seeds")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", default="default")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as runs:
        cmd = [sys.executable, "-m", "tagger.cli", "train", "--config", args.config, "--runs-dir", runs]
        cmd += [part for kv in args.set for part in ("--set", kv)]
        print("training:", " ".join(cmd[1:]), flush=True)
        wall, peak_mb = run_measured(cmd, stdout=subprocess.DEVNULL)
        [metrics_file] = Path(runs).glob("*/metrics.json")
        metrics = json.loads(metrics_file.read_text())
    run = metrics["run"]
    info = machine()
    res = {
        "machine": info,
        "config": args.config,
        "overrides": args.set,
        "wall_s": wall,
        "peak_pss_mb": peak_mb,
        "run": run,
    }
    res["scores"] = {
        name: {
            model: {k: m[k] for k in ("topics_macro_f1", "framing_macro_f1")}
            for model, m in per_model.items()
        }
        for name, per_model in metrics["sets"].items()
        if name in SCORE_SETS
    }
    models = list(next(iter(res["scores"].values())))
    phases = ", ".join(f"{k} {v:.0f} s" for k, v in run["phase_seconds"].items())
    lines = [
        f"# Training benchmark: `tagger train --config {args.config}` ({machine_line(info)})",
        "",
        f"- wall time, start-up and saving included: **{wall / 60:.1f} min** ({wall:.0f} s); phases: {phases}",
        f"- training precision {run['train_precision']}; peak memory {peak_mb / 1024:.1f} GB (PSS, all its processes)",
        f"- model `{run['model']}`, config hash `{run['config_hash']}`, data hash `{run['data_hash'][:12]}`, "
        f"seed {run['seed']}, commit `{run['git_commit']}`",
        *([f"- overrides: {', '.join(args.set)}"] if args.set else []),
        "",
        "Macro-F1, topics / framing:",
        "",
        "| set | " + " | ".join(models) + " |",
        "|---|" + "---|" * len(models),
    ]
    for name, per_model in res["scores"].items():
        cells = [f"{m['topics_macro_f1']:.3f} / {m['framing_macro_f1']:.3f}" for m in per_model.values()]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    save(f"training-{info['cpu_class']}", res, "\n".join(lines))


if __name__ == "__main__":
    main()
