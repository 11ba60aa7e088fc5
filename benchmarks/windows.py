"""Window length and overlap, chosen by accuracy: macro-F1 on the real-news dev set and the test
split, and the tokens each setting reads, for one stored model.

    python benchmarks/windows.py [--model TAG]

The model keeps its decision rules; only how articles are cut into windows changes. Writes
benchmarks/results/windows.{json,md}. Without the dev set (a fresh machine) only the test split is scored.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, machine_line, save  # noqa: E402

from tagger.data.corpus import load_labelled  # noqa: E402
from tagger.data.schema import LabelSchema  # noqa: E402
from tagger.data.split import split_articles  # noqa: E402
from tagger.engine.registry import Registry  # noqa: E402
from tagger.engine.runtime import configure_threads  # noqa: E402
from tagger.engine.windows import article_text, make_windows  # noqa: E402
from tagger.paths import labels_dir  # noqa: E402
from training.config import load_config  # noqa: E402
from training.data import label_arrays  # noqa: E402
from training.metrics import evaluate  # noqa: E402
from training.pipeline import load_eval_sets  # noqa: E402

SETTINGS = [(512, 64), (512, 0), (384, 64), (384, 32), (256, 64), (256, 32), (128, 32)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=None)
    args = ap.parse_args()
    configure_threads()
    schema = LabelSchema.load()
    articles, _ = load_labelled([labels_dir()], schema)
    sets = {"test split": split_articles(articles)["test"]}
    if dev := load_eval_sets(load_config("default"), schema).get("realnews-dev"):
        sets = {"realnews-dev": dev, **sets}
    tagger = Registry().load(args.model)
    trained = (tagger.max_length, tagger.overlap)
    rows = []
    for length, overlap in SETTINGS:
        tagger.max_length, tagger.overlap = length, overlap
        row = {"max_length": length, "overlap": overlap}
        for name, items in sets.items():
            docs = [article_text(a.text, a.title) for a in items]
            y_topics, y_framing = label_arrays(items, schema)
            t = time.perf_counter()
            s = tagger.predict_proba(docs)
            m = evaluate(s.topics, tagger.thresholds, y_topics, s.framing, y_framing, schema)
            row[name] = {
                "topics_macro_f1": m["topics_macro_f1"],
                "framing_macro_f1": m["framing_macro_f1"],
                "tokens": sum(
                    len(w) for w in make_windows(tagger.tokenizer, docs, length, overlap).input_ids
                ),
                "seconds": time.perf_counter() - t,
            }
        print(row, flush=True)
        rows.append(row)
    info = machine()
    lines = [
        f"# Window settings ({machine_line(info)})",
        "",
        f"Model {tagger.info.get('tag')}, trained with {trained[0]}-token windows overlapping by {trained[1]}. "
        "Cells: macro-F1 topics / framing, tokens read.",
        "",
        "| max_length | overlap | " + " | ".join(sets) + " |",
        "|---|---|" + "---|" * len(sets),
    ]
    for r in rows:
        cells = [
            f"{r[n]['topics_macro_f1']:.3f} / {r[n]['framing_macro_f1']:.3f}, {r[n]['tokens']:,} tokens"
            for n in sets
        ]
        lines.append(f"| {r['max_length']} | {r['overlap']} | " + " | ".join(cells) + " |")
    save("windows", {"machine": info, "model": tagger.info.get("tag"), "rows": rows}, "\n".join(lines))


if __name__ == "__main__":
    main()
