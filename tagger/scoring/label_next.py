"""What to label next: scored rows ordered by the model's uncertainty, kept diverse.

Uncertainty of one row (0 = sure, 1 = a coin toss) is the mean of two parts:
- framing: 1 - (top probability - second probability), the margin between the two best framings;
- topics: the largest 1 - |2p - 1| over the topics' calibrated scores (p = 0.5 is the least sure).

Diversity: rows are picked greedily (maximal marginal relevance). Each step takes the row with the
highest `uncertainty - diversity * similarity`, where similarity is the largest 5-word-shingle
Jaccard similarity to a row already in the queue; a near-copy of a picked story (similarity of
at least `DUPLICATE_JACCARD`) waits until every other row is queued.
"""

from __future__ import annotations

from dataclasses import dataclass

from tagger.data.dedup import DEFAULT_THRESHOLD, shingles

DUPLICATE_JACCARD = DEFAULT_THRESHOLD
TOPIC_PREFIX = "topic_score_"
FRAMING_PREFIX = "framing_score_"


@dataclass(frozen=True)
class QueueItem:
    index: int  # position in the scored rows
    id: str
    uncertainty: float
    similar_to: str | None  # the most similar row already queued, when any is similar at all
    similarity: float


def uncertainty(row: dict) -> float:
    framing = sorted((v for k, v in row.items() if k.startswith(FRAMING_PREFIX)), reverse=True)
    topics = [v for k, v in row.items() if k.startswith(TOPIC_PREFIX)]
    framing_part = 1 - (framing[0] - framing[1]) if len(framing) >= 2 else 0.0
    topic_part = max((1 - abs(2 * p - 1) for p in topics), default=0.0)
    return round((framing_part + topic_part) / 2, 6)


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def label_next(rows: list[dict], limit: int = 50, diversity: float = 1.0) -> list[QueueItem]:
    """Up to `limit` rows, most useful to label first (see the module docstring)."""
    texts = [shingles(f"{r.get('title') or ''} {r.get('text') or ''}") for r in rows]
    unsure = [uncertainty(r) for r in rows]
    nearest: list[tuple[float, int | None]] = [(0.0, None)] * len(rows)
    left = set(range(len(rows)))
    queue: list[QueueItem] = []
    while left and len(queue) < limit:

        def value(i: int) -> tuple[bool, float, float, int]:
            sim = nearest[i][0]
            return (sim < DUPLICATE_JACCARD, unsure[i] - diversity * sim, unsure[i], -i)

        best = max(left, key=value)
        left.remove(best)
        sim, other = nearest[best]
        queue.append(
            QueueItem(
                index=best,
                id=str(rows[best].get("id")),
                uncertainty=unsure[best],
                similar_to=str(rows[other].get("id")) if other is not None and sim > 0 else None,
                similarity=round(sim, 3),
            )
        )
        for i in left:
            s = _jaccard(texts[i], texts[best])
            if s > nearest[i][0]:
                nearest[i] = (s, best)
    return queue
