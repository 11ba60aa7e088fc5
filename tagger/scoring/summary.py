"""The end-of-run summary of a scored file: label counts, framing share by outlet and by month."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from tagger.data.schema import LabelSchema

OUTLET_FIELDS = ("outlet", "outlet_name", "source", "outlet_country")


@dataclass
class ScoreSummary:
    n: int = 0
    labels: Counter = field(default_factory=Counter)
    by_outlet: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    by_month: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    outlet_field: str | None = None

    def add(self, row: dict) -> None:
        self.n += 1
        topics = row["topics"].split(";") if isinstance(row["topics"], str) else list(row["topics"] or [])
        self.labels.update(t for t in topics if t)
        self.labels[row["framing"]] += 1
        if self.outlet_field is None:  # the first row that has one decides (JSON Lines rows vary)
            self.outlet_field = next((f for f in OUTLET_FIELDS if f in row), None)
        if self.outlet_field and row.get(self.outlet_field) not in (None, ""):
            self.by_outlet[str(row[self.outlet_field])][row["framing"]] += 1
        date = str(row.get("date") or "")
        if len(date) >= 7 and date[4] == "-":
            self.by_month[date[:7]][row["framing"]] += 1


def summarize_scores(rows: Iterable[dict]) -> ScoreSummary:
    s = ScoreSummary()
    for row in rows:
        s.add(row)
    return s


def _share_table(title: str, groups: dict[str, Counter], framings: tuple[str, ...]) -> str:
    width = max(20, len(title) + 1)  # "framing by outlet_country" is longer than a key is cut to
    lines = [f"{title:<{width}}" + "".join(f"{f:>15}" for f in framings) + f"{'articles':>10}"]
    for key in sorted(groups):
        c = groups[key]
        total = sum(c.values())
        lines.append(
            f"{key[:width]:<{width}}"
            + "".join(f"{100 * c[f] / total:>14.1f}%" for f in framings)
            + f"{total:>10}"
        )
    return "\n".join(lines)


def format_score_summary(s: ScoreSummary, schema: LabelSchema) -> str:
    parts = [
        f"{s.n} articles scored",
        "\n".join(f"  {label:<15}{s.labels[label]:>8}" for label in (*schema.topics, *schema.framings)),
    ]
    if s.by_outlet:
        parts.append(_share_table(f"framing by {s.outlet_field}", s.by_outlet, schema.framings))
    if s.by_month:
        parts.append(_share_table("framing by month", s.by_month, schema.framings))
    return "\n\n".join(parts)


def plot_score_summary(s: ScoreSummary, schema: LabelSchema, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = (
        [("labels", None)]
        + [(f"framing share by {s.outlet_field}", s.by_outlet)] * bool(s.by_outlet)
        + [("framing share by month", s.by_month)] * bool(s.by_month)
    )
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 4), squeeze=False)
    for ax, (title, groups) in zip(axes[0], panels):
        if groups is None:
            names = [*schema.topics, *schema.framings]
            ax.bar(names, [s.labels[n] for n in names], color="steelblue")
        else:
            keys = sorted(groups)[-24:]
            bottom = [0.0] * len(keys)
            for f in schema.framings:
                share = [groups[k][f] / max(1, sum(groups[k].values())) for k in keys]
                ax.bar(keys, share, bottom=bottom, label=f)
                bottom = [b + v for b, v in zip(bottom, share)]
            ax.legend(fontsize=7)
        ax.set_title(title)
        plt.setp(ax.get_xticklabels(), rotation=45, ha="right", fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
