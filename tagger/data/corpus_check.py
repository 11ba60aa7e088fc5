"""`tagger labels check`: corpus statistics and near-duplicates, printed as plain tables."""

from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass

from tagger.data.dedup import DEFAULT_THRESHOLD, near_duplicates
from tagger.data.records import Article, Problem
from tagger.data.schema import LabelSchema
from tagger.data.shortcuts import ENFORCED_FROM, MIN_ARTICLES, SHORTCUT_BOUND, shortcut_scores

LONG_WORDS = 600  # roughly one 512-token window


def word_count(text: str) -> int:
    return len(text.split())


@dataclass
class CorpusSummary:
    n: int
    label_counts: Counter
    combination_counts: Counter
    framing_by_country: dict[str, Counter]
    lengths: list[int]
    duplicates: list[tuple[str, str, float]]
    shortcuts: dict[str, float]  # framing macro-F1 of metadata-only and length-only probes

    @property
    def median_words(self) -> float:
        return statistics.median(self.lengths) if self.lengths else 0.0

    @property
    def share_long(self) -> float:
        return sum(n > LONG_WORDS for n in self.lengths) / max(1, self.n)


def summarize_corpus(
    articles: list[Article], schema: LabelSchema, dup_threshold: float = DEFAULT_THRESHOLD
) -> CorpusSummary:
    labels = Counter(t for a in articles for t in a.topics) + Counter(a.framing for a in articles)
    by_country: dict[str, Counter] = {}
    for a in articles:
        by_country.setdefault(a.meta.get("outlet_country", "?"), Counter())[a.framing] += 1
    return CorpusSummary(
        n=len(articles),
        label_counts=labels,
        combination_counts=Counter(schema.combination(a.topics) for a in articles),
        framing_by_country=dict(sorted(by_country.items())),
        lengths=[word_count(a.text) for a in articles],
        duplicates=near_duplicates({a.id: a.text for a in articles}, dup_threshold),
        shortcuts=shortcut_scores(articles, schema) if len(articles) >= MIN_ARTICLES else {},
    )


def duplicate_problems(duplicates: list[tuple[str, str, float]], articles: list[Article]) -> list[Problem]:
    """A problem at the later article of each near-copy pair: the two would straddle the
    train/test split (ids are split by hash) and leak the test into training."""
    source = {a.id: a.source for a in articles}  # "path:line", or "path task #2 (id a6, Label Studio task 6)"
    problems = []
    for first, later, jaccard in duplicates:
        at_line = re.fullmatch(r"(.*):(\d+)", source[later])
        problems.append(
            Problem(
                at_line.group(1) if at_line else source[later],
                int(at_line.group(2)) if at_line else 0,
                f"'{later}' is a near-copy of '{first}' ({source[first]}; 5-word shingle Jaccard "
                f"{jaccard:.2f} >= {DEFAULT_THRESHOLD}): rewrite or drop one",
            )
        )
    return problems


def _table(header: list[str], rows: list[list]) -> str:
    cells = [header] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def format_corpus_summary(s: CorpusSummary, schema: LabelSchema) -> str:
    pct = lambda k: f"{100 * k / max(1, s.n):.1f}%"  # noqa: E731
    parts = [f"{s.n} articles"]
    parts.append(
        _table(
            ["label", "kind", "articles", "share"],
            [[t, "topic", s.label_counts[t], pct(s.label_counts[t])] for t in schema.topics]
            + [[f, "framing", s.label_counts[f], pct(s.label_counts[f])] for f in schema.framings],
        )
    )
    parts.append(
        _table(
            ["topic combination", "articles", "share"],
            [[c, s.combination_counts[c], pct(s.combination_counts[c])] for c in schema.all_combinations()],
        )
    )
    parts.append(
        _table(
            ["outlet country", *schema.framings, "total"],
            [
                [c, *(cnt[f] for f in schema.framings), sum(cnt.values())]
                for c, cnt in s.framing_by_country.items()
            ],
        )
    )
    if s.lengths:
        q = (
            statistics.quantiles(s.lengths, n=10, method="inclusive")
            if len(s.lengths) > 1
            else [s.lengths[0]] * 9
        )
        parts.append(
            _table(
                ["words: min", "p10", "median", "p90", "max", f"> {LONG_WORDS}"],
                [
                    [
                        min(s.lengths),
                        round(q[0]),
                        round(s.median_words),
                        round(q[8]),
                        max(s.lengths),
                        f"{100 * s.share_long:.1f}%",
                    ]
                ],
            )
        )
    if s.shortcuts:
        parts.append(
            _table(
                ["framing guessed from", "5-fold macro-F1", f"bound {SHORTCUT_BOUND}"],
                [[k, v, _bound_status(v, s.n)] for k, v in s.shortcuts.items()],
            )
        )
    if s.duplicates:
        parts.append(_table(["near-duplicate", "of", "jaccard"], [list(d) for d in s.duplicates]))
    else:
        parts.append("near-duplicates: none (5-word shingle Jaccard >= 0.5)")
    return "\n\n".join(parts)


def _bound_status(f1: float, n: int) -> str:
    if f1 <= SHORTCUT_BOUND:
        return "ok"
    return (
        "TOO HIGH" if n >= ENFORCED_FROM else f"high (not enforced below {ENFORCED_FROM:,} articles: noisy)"
    )
