"""Training data: label files -> validated articles -> split -> `datasets.Dataset` of token windows."""

from __future__ import annotations

import hashlib
from pathlib import Path

import datasets
import numpy as np

from tagger import paths
from tagger.data.corpus import LabelFileError, label_files, load_labelled
from tagger.data.dedup import fingerprint
from tagger.data.records import Article
from tagger.data.schema import LabelSchema
from tagger.data.split import missing_labels, split_articles
from tagger.engine.windows import article_text, make_windows
from training.augment import View


def resolve_paths(paths_: list[str]) -> list[Path]:
    """Config paths are relative to the project folder (tagger.paths)."""
    return [paths.resolve(p) for p in paths_]


def load_articles(paths: list[str | Path], schema: LabelSchema) -> list[Article]:
    """Every label file must pass `tagger labels check`, else nothing is trained (same messages)."""
    articles, problems = load_labelled(paths, schema)
    if problems:
        raise LabelFileError(problems)
    if not articles:
        raise ValueError(f"no labelled articles in {', '.join(map(str, paths))}")
    return articles


def data_hash(paths: list[str | Path]) -> str:
    """sha256 over the label files' names and bytes: recorded with every run and model."""
    h = hashlib.sha256()
    for f in label_files(paths):
        h.update(f.name.encode() + b"\0" + f.read_bytes())
    return h.hexdigest()


TRAINED_ON_FILE = "trained_on.json"  # stored with each model: which texts it learnt from


def trained_on(splits: dict[str, list[Article]]) -> dict[str, list[str]]:
    """The fingerprints of the texts a model learnt from (train) or fitted its rules on (validation)."""
    return {k: sorted({fingerprint(a.text) for a in splits[k]}) for k in ("train", "validation")}


def seen_in_training(sets: dict[str, list[Article]], seen: dict[str, list[str]]) -> dict[str, dict[str, int]]:
    """Per set holding any, how many of its articles a model already saw, each counted once, under
    the first of its splits that holds it."""
    splits = {k: set(v) for k, v in seen.items()}
    out = {}
    for name, articles in sets.items():
        counts = {k: 0 for k in splits}
        for p in (fingerprint(a.text) for a in articles):
            if where := next((k for k, v in splits.items() if p in v), None):
                counts[where] += 1
        if found := {k: n for k, n in counts.items() if n}:
            out[name] = found
    return out


def split_for_training(articles: list[Article], schema: LabelSchema, fractions) -> dict[str, list[Article]]:
    splits = split_articles(articles, fractions)
    gaps = missing_labels(splits, schema)
    if gaps:
        raise ValueError("cannot train: " + "; ".join(gaps))
    return splits


def label_arrays(articles: list[Article], schema: LabelSchema) -> tuple[np.ndarray, np.ndarray]:
    """Multi-hot topics (n, k) and framing indices (n,)."""
    y_topics = np.array([[t in a.topics for t in schema.topics] for a in articles], dtype=np.float32)
    y_framing = np.array([schema.framings.index(a.framing) for a in articles], dtype=np.int64)
    return y_topics.reshape(len(articles), len(schema.topics)), y_framing


def to_dataset(
    articles: list[Article],
    schema: LabelSchema,
    tokenizer,
    max_length: int,
    overlap: int,
    views: list[View] | None = None,
) -> datasets.Dataset:
    """One row per article (or per view of one: column `article` says which): its windows' token
    ids and its labels."""
    y_topics, y_framing = label_arrays(articles, schema)
    if views is None:
        views = [View(i, article_text(a.text, a.title), False, bool(a.title)) for i, a in enumerate(articles)]
    rows = [v.article for v in views]
    ds = datasets.Dataset.from_dict(
        {
            "id": [articles[i].id for i in rows],
            "article": rows,
            "text": [v.text for v in views],
            "topics": y_topics[rows].tolist(),
            "framing": y_framing[rows].tolist(),
        }
    )

    def tokenize(batch: dict) -> dict:
        win = make_windows(tokenizer, batch["text"], max_length, overlap)
        windows: list[list[list[int]]] = [[] for _ in batch["text"]]
        for ids, a in zip(win.input_ids, win.article_index):
            windows[a].append(ids)
        return {"windows": windows, "n_tokens": [sum(map(len, w)) for w in windows]}

    return ds.map(
        tokenize, batched=True, remove_columns=["text"], desc="tokenizing", load_from_cache_file=False
    )
