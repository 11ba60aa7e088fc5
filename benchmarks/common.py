"""Shared helpers for the benchmark scripts: the article mix and result files."""

from __future__ import annotations

import json
import platform
import time

from tagger.corpus import load_labelled
from tagger.schema import REPO_ROOT, LabelSchema
from tagger.split import split_articles
from tagger.windows import article_text

RESULTS = REPO_ROOT / "benchmarks" / "results"


def test_split_articles(limit: int | None = None) -> list[dict]:
    """The corpus's test split (a realistic mix of lengths, never trained on), as request bodies."""
    articles, _ = load_labelled([REPO_ROOT / "labels"], LabelSchema.load())
    test = split_articles(articles)["test"]
    rows = [{"id": a.id, "title": a.title, "text": a.text} for a in test]
    return rows[:limit] if limit else rows


def texts(rows: list[dict]) -> list[str]:
    return [article_text(r["text"], r.get("title")) for r in rows]


def machine() -> dict:
    import os

    import torch

    from tagger.runtime import cpu_class, cpu_name

    return {
        "cpu": cpu_name() or platform.machine(),
        "cpu_class": cpu_class(),
        "cores": len(os.sched_getaffinity(0)),
        "torch": torch.__version__,
        "cuda": torch.cuda.get_device_name() if torch.cuda.is_available() else None,
        "when": time.strftime("%Y-%m-%d %H:%M"),
    }


def save(name: str, payload: dict, table: str) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(payload, indent=2))
    (RESULTS / f"{name}.md").write_text(table + "\n")
    print(table)
    print(f"\nwrote {RESULTS / name}.json and .md")
