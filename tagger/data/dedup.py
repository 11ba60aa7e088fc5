"""Near-duplicate detection: Jaccard similarity of 5-word shingles, exact, via an inverted index."""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict

WORD_RE = re.compile(r"\w+")
DEFAULT_THRESHOLD = 0.5


def shingles(text: str, n: int = 5) -> frozenset[str]:
    words = WORD_RE.findall(text.lower())
    if len(words) < n:
        return frozenset([" ".join(words)])
    return frozenset(" ".join(words[i : i + n]) for i in range(len(words) - n + 1))


def fingerprint(text: str) -> str:
    """The same for texts that differ only in case, spacing or punctuation (16 hex digits)."""
    words = " ".join(WORD_RE.findall(text.lower()))
    return hashlib.sha256(words.encode()).hexdigest()[:16]


def near_duplicates(
    docs: dict[str, str], threshold: float = DEFAULT_THRESHOLD
) -> list[tuple[str, str, float]]:
    """Pairs (id_a, id_b, jaccard) with jaccard >= threshold, most similar first.

    Only pairs that share a shingle are ever compared, so this stays fast on thousands of articles.
    """
    sets = {doc_id: shingles(text) for doc_id, text in docs.items()}
    postings: dict[str, list[str]] = defaultdict(list)
    for doc_id, sh in sets.items():
        for s in sh:
            postings[s].append(doc_id)
    shared: Counter[tuple[str, str]] = Counter()
    for ids in postings.values():
        for i, a in enumerate(ids):
            for b in ids[i + 1 :]:
                shared[(a, b)] += 1
    pairs = []
    for (a, b), k in shared.items():
        jac = k / (len(sets[a]) + len(sets[b]) - k)
        if jac >= threshold:
            pairs.append((a, b, round(jac, 3)))
    return sorted(pairs, key=lambda p: -p[2])


def closest_copy(
    text: str, docs: dict[str, str], threshold: float = DEFAULT_THRESHOLD
) -> tuple[str, float] | None:
    """The doc that `text` is a near-copy of, the most similar (id, jaccard), or None."""
    mine = shingles(text)
    best = None
    for doc_id, other in docs.items():
        theirs = shingles(other)
        jac = len(mine & theirs) / len(mine | theirs)
        if jac >= threshold and (best is None or jac > best[1]):
            best = (doc_id, round(jac, 3))
    return best
