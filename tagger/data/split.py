"""The one split function: an article's split depends only on a hash of its id.

Adding articles never moves existing ones; with hundreds of articles per label, every label lands
in every split (``missing_labels`` checks that, and training refuses to run otherwise).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from tagger.data.records import Article
from tagger.data.schema import LabelSchema

SPLITS = ("train", "validation", "test")
DEFAULT_FRACTIONS = (0.7, 0.15, 0.15)


def hash_unit(article_id: str, salt: str = "article-tagger-split-v1") -> float:
    """A stable pseudo-random number in [0, 1) for an id."""
    digest = hashlib.sha256(f"{salt}:{article_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def split_of(article_id: str, fractions: Sequence[float] = DEFAULT_FRACTIONS) -> str:
    if len(fractions) != 3 or abs(sum(fractions) - 1) > 1e-9:
        raise ValueError(f"split fractions must be three numbers summing to 1, got {fractions}")
    u = hash_unit(article_id)
    if u < fractions[0]:
        return "train"
    return "validation" if u < fractions[0] + fractions[1] else "test"


def split_articles(
    articles: Sequence[Article], fractions: Sequence[float] = DEFAULT_FRACTIONS
) -> dict[str, list[Article]]:
    out: dict[str, list[Article]] = {s: [] for s in SPLITS}
    for a in articles:
        out[split_of(a.id, fractions)].append(a)
    return out


def missing_labels(splits: dict[str, list[Article]], schema: LabelSchema) -> list[str]:
    """Messages for every (split, label) pair with no article; empty when the split is usable."""
    msgs = []
    for name, arts in splits.items():
        present = {t for a in arts for t in a.topics} | {a.framing for a in arts}
        for label in (*schema.topics, *schema.framings):
            if label not in present:
                msgs.append(f"split '{name}' has no article labelled '{label}' ({len(arts)} articles)")
    return msgs
