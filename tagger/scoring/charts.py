"""The numbers behind the workbench's charts, all from `summarize_scores` (so they match
`tagger score`'s summary): label counts, framing share by month overall and per outlet country."""

from __future__ import annotations

from collections import Counter

from tagger.data.schema import LabelSchema
from tagger.scoring.summary import summarize_scores

ALL = "all"


def _shares(by_month: dict[str, Counter], framings: tuple[str, ...]) -> list[dict]:
    out = []
    for month in sorted(by_month):
        c = by_month[month]
        total = sum(c.values())
        out.append({"month": month, "n": total, "share": {f: c[f] / total for f in framings}})
    return out


def chart_data(rows: list[dict], schema: LabelSchema) -> dict:
    """{"n", "counts", "topics", "framings", "by_outlet", "outlet_field", "over_time": {group: [...]}}.

    `over_time` has one series per outlet country (rows with `outlet_country`) and one for all
    rows; each point is a month with its article count and the share of each framing.
    """
    summary = summarize_scores(rows)
    countries = sorted({str(r["outlet_country"]) for r in rows if r.get("outlet_country") not in (None, "")})
    over_time = {ALL: _shares(summary.by_month, schema.framings)}
    for country in countries:
        part = summarize_scores(r for r in rows if str(r.get("outlet_country")) == country)
        over_time[country] = _shares(part.by_month, schema.framings)
    return {
        "n": summary.n,
        "topics": list(schema.topics),
        "framings": list(schema.framings),
        "counts": {label: summary.labels[label] for label in (*schema.topics, *schema.framings)},
        "outlet_field": summary.outlet_field or None,
        "by_outlet": {k: dict(v) for k, v in sorted(summary.by_outlet.items())},
        "over_time": over_time,
    }
