"""Accuracy across configs and sets: own test split, real-news dev, seeds; ours beside baselines.

    python benchmarks/accuracy.py --run default=runs/2026-12-01T210522 [--run NAME=DIR ...]
                                  [--model TAG] [--notes benchmarks/accuracy_notes.md] [--append]

Reads each training run's metrics.json (written by `tagger train`), then scores the real-news dev
set with the promoted model (or --model) and breaks its misses down by kind of article: which
framing was taken for which, headline or not, length, the outlet's country (from the address's
domain). Article texts are never printed. Writes benchmarks/results/accuracy.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.parse
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, machine_line, results_dir  # noqa: E402

from tagger.engine.registry import Registry  # noqa: E402
from training.config import load_config  # noqa: E402
from training.pipeline import load_eval_sets  # noqa: E402

SETS = ("test split", "realnews-dev", "seeds")
COUNTRY_SUFFIX = {".pk": "PK", ".bd": "BD", ".in": "IN", ".cn": "CN"}


def outlet_country(url: str) -> str:
    host = urllib.parse.urlparse(url or "").netloc.lower()
    for suffix, country in COUNTRY_SUFFIX.items():
        if host.endswith(suffix) or f"{suffix}." in host:
            return country
    return "other domain"


def length_band(text: str) -> str:
    n = len(text.split())
    return "<150 words" if n < 150 else "150-300 words" if n < 300 else ">=300 words"


def table_rows(runs: dict[str, dict]) -> list[dict]:
    rows = []
    for config, metrics in runs.items():
        sets = metrics["sets"]
        models = list(next(iter(sets.values())))
        run = metrics.get("run", {})
        # bf16 kernels differ by CPU class: the same config and seed score differently on another
        trained_on = (
            f"{run['machine']}, {run.get('train_precision', '?')}" if "machine" in run else "not recorded"
        )
        for model in models:
            row = {"config": config, "model": model, "trained_on": trained_on}
            for s in SETS:
                m = sets.get(s, {}).get(model)
                row[s] = None if m is None else (m["topics_macro_f1"], m["framing_macro_f1"])
            rows.append(row)
    return rows


def error_analysis(tag: str | None) -> dict:
    tagger = Registry().load(tag)
    sets = load_eval_sets(load_config("default"), tagger.schema)
    dev = sets.get("realnews-dev")
    if not dev:
        return {"model": tagger.info["tag"], "note": "real-news dev set not found"}
    preds = tagger.predict([{"text": a.text, "title": a.title} for a in dev])
    kinds: dict[str, Counter] = {k: Counter() for k in ("country", "headline", "length")}
    totals: dict[str, Counter] = {k: Counter() for k in kinds}
    confusions, topic_errors = Counter(), Counter()
    for a, p in zip(dev, preds):
        keys = {
            "country": outlet_country(a.meta.get("url", "")),
            "headline": "with headline" if a.title.strip() else "no headline",
            "length": length_band(a.text),
        }
        wrong = p["framing"] != a.framing
        for k, v in keys.items():
            totals[k][v] += 1
            kinds[k][v] += wrong
        if wrong:
            confusions[f"{a.framing} -> {p['framing']}"] += 1
        for t in tagger.schema.topics:
            if (t in a.topics) != (t in p["topics"]):
                topic_errors[f"{t} {'missed' if t in a.topics else 'false alarm'}"] += 1
    return {
        "model": tagger.info["tag"],
        "articles": len(dev),
        "framing_misses": sum(confusions.values()),
        "confusions": dict(confusions.most_common()),
        "topic_errors": dict(topic_errors.most_common()),
        "miss_rate_by": {k: {v: f"{kinds[k][v]}/{totals[k][v]}" for v in sorted(totals[k])} for k in kinds},
    }


def markdown(rows: list[dict], errors: dict, notes: str) -> str:
    cell = lambda v: "–" if v is None else f"{v[0]:.3f} / {v[1]:.3f}"  # noqa: E731
    md = [
        "# Accuracy: own test split, real-news dev, seeds",
        "",
        f"Report made on: {machine_line(machine())}. Cells are macro-F1 **topics / framing**; each row"
        " names the machine and precision its run trained on (bf16 kernels differ by CPU class).",
        "",
        "| config | model | " + " | ".join(SETS) + " | trained on |",
        "|---|---|" + "---|" * len(SETS) + "---|",
    ]
    md += [
        f"| {r['config']} | {r['model']} | "
        + " | ".join(cell(r[s]) for s in SETS)
        + f" | {r.get('trained_on', 'not recorded')} |"
        for r in rows
    ]
    md += ["", f"## Real-news dev misses of {errors.get('model')}", ""]
    if "confusions" in errors:
        md += [
            f"{errors['framing_misses']} framing misses of {errors['articles']} articles.",
            "",
            "| true -> predicted | articles |",
            "|---|---|",
        ]
        md += [f"| {k} | {v} |" for k, v in errors["confusions"].items()]
        md += ["", "| topic error | articles |", "|---|---|"]
        md += [f"| {k} | {v} |" for k, v in errors["topic_errors"].items()]
        for k, by in errors["miss_rate_by"].items():
            md += ["", f"Framing misses by {k}: " + ", ".join(f"{v} {n}" for v, n in by.items())]
    else:
        md.append(errors.get("note", ""))
    if notes:
        md += ["", notes.strip()]
    return "\n".join(md) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--run", action="append", default=[], metavar="NAME=DIR", help="a training run folder")
    ap.add_argument("--model", default=None, help="model for the error analysis (default: promoted)")
    ap.add_argument("--notes", type=Path, default=None, help="Markdown appended to the report")
    ap.add_argument(
        "--append",
        action="store_true",
        help="keep the rows already in accuracy.json (runs whose folders are gone) and add these after them",
    )
    ap.add_argument(
        "--keep-error-analysis",
        action="store_true",
        help="with --append: keep the error analysis already there (its model need not be stored here)",
    )
    args = ap.parse_args()
    if args.keep_error_analysis and not args.append:
        ap.error("--keep-error-analysis keeps what --append keeps: give both")
    runs = {}
    for item in args.run:
        name, _, folder = item.partition("=")
        runs[name] = json.loads((Path(folder) / "metrics.json").read_text())
        print(f"read {name}: {folder}", flush=True)
    rows = table_rows(runs)
    before = {}
    if args.append and (results_dir() / "accuracy.json").exists():
        before = json.loads((results_dir() / "accuracy.json").read_text())
        rows = [r for r in before["rows"] if r["config"] not in runs] + rows
    if args.keep_error_analysis and "errors" in before:
        errors = before["errors"]
    else:
        print("scoring the real-news dev set for the error analysis ...", flush=True)
        errors = error_analysis(args.model)
    notes = args.notes.read_text() if args.notes else ""
    results = results_dir()
    results.mkdir(parents=True, exist_ok=True)
    (results / "accuracy.json").write_text(
        json.dumps({"machine": machine(), "rows": rows, "errors": errors}, indent=2)
    )
    text = markdown(rows, errors, notes)
    (results / "accuracy.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
