"""Evaluation report: metrics.json, report.md, PNG plots, and a table for the terminal."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from tagger.data.schema import LabelSchema
from training.metrics import RESAMPLES

REPORT_FILE = "report.md"

HEADLINE = (
    "topics_micro_f1",
    "topics_macro_f1",
    "topics_macro_ap",
    "framing_accuracy",
    "framing_macro_f1",
    "framing_ece",
)


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def comparison_table(results: dict[str, dict]) -> str:
    """Markdown table: one row per model (ours first, then baselines), headline metrics as columns.
    A record from a run older than a metric (`tagger evaluate` shows the training run's baselines)
    gets "-" there."""
    lines = ["| model | " + " | ".join(HEADLINE) + " |", "|---" * (len(HEADLINE) + 1) + "|"]
    for name, m in results.items():
        lines.append(f"| {name} | " + " | ".join(_cell(m.get(k)) for k in HEADLINE) + " |")
    return "\n".join(lines)


def training_metrics(model_dir: Path) -> dict:
    """The figures of a stored model's training run, per set and model ({} if absent)."""
    path = model_dir / "metrics.json"
    return json.loads(path.read_text()).get("sets", {}) if path.exists() else {}


def paired_line(paired: dict | None) -> str:
    """How a new model differs from the promoted one on the same articles, or "" without them."""
    if not paired:
        return ""
    parts = [
        f"{k.split('_')[0]} {d['difference']:+.3f} (95% {d['interval'][0]:+.3f} to {d['interval'][1]:+.3f})"
        for k, d in paired.items()
        if k != "n"
    ]
    return f"paired over {paired['n']} articles, this model minus the promoted: " + ", ".join(parts)


def intervals_line(results: dict[str, dict]) -> str:
    """The 95% bootstrap interval of each model's two macro-F1 scores (articles resampled), or ""
    for records older than the intervals."""
    cells = [
        f"{name} topics {i['topics_macro_f1'][0]:.3f}-{i['topics_macro_f1'][1]:.3f}, "
        f"framing {i['framing_macro_f1'][0]:.3f}-{i['framing_macro_f1'][1]:.3f}"
        for name, m in results.items()
        if (i := m.get("intervals"))
    ]
    return f"95% intervals (articles resampled {RESAMPLES:,} times): " + "; ".join(cells) if cells else ""


def per_label_table(m: dict) -> str:
    lines = ["| label | precision | recall | F1 | AP | support |", "|---|---|---|---|---|---|"]
    for name, d in m["per_label"].items():
        lines.append(
            f"| {name} | {d['precision']:.3f} | {d['recall']:.3f} | {d['f1']:.3f} | {_cell(d['ap'])} "
            f"| {d['support']} |"
        )
    return "\n".join(lines)


def confusion_table(m: dict, schema: LabelSchema) -> str:
    lines = [
        "| true \\ predicted | " + " | ".join(schema.framings) + " |",
        "|---" * (len(schema.framings) + 1) + "|",
    ]
    for name, row in zip(schema.framings, m["framing_confusion"]):
        lines.append(f"| {name} | " + " | ".join(map(str, row)) + " |")
    return "\n".join(lines)


def margins(results: dict[str, dict], ours: str) -> dict[str, dict[str, float]]:
    """Our model's lead over each baseline on the two macro-F1 scores (negative = behind)."""
    return {
        name: {k: round(results[ours][k] - m[k], 4) for k in ("topics_macro_f1", "framing_macro_f1")}
        for name, m in results.items()
        if name != ours
    }


def slug(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-")


def seen_line(counts: dict[str, int], n: int) -> str:
    """Says how many of a set's n articles the model saw in training (`counts` per split)."""
    where = ", ".join(f"{split} {k}" for split, k in counts.items())
    return (
        f"{sum(counts.values())} of {n} articles are texts this model learnt from ({where}), "
        "so its figures there flatter it"
    )


def write_report(
    out_dir: Path,
    title: str,
    results: dict[str, dict[str, dict]],
    schema: LabelSchema,
    run: dict,
    promotion: tuple[bool | None, str] | None = None,
) -> Path:
    """`results` maps set name -> model name -> metrics; in each set the first model is ours and
    the others (baselines) are compared with it. The first set's plots keep the plain file names.
    `run["seen_in_training"]` ({set: {split: count}}) is said under each set it names.
    `promotion` is (promoted, why); promoted None: the model could not be stored at all."""
    out_dir.mkdir(parents=True, exist_ok=True)
    payload = {"run": run, "sets": results, "margins": {}}
    md = [f"# {title}", "", _run_lines(run), ""]
    seen = run.get("seen_in_training", {})
    for i, (set_name, per_model) in enumerate(results.items()):
        ours = next(iter(per_model))
        m = per_model[ours]
        payload["margins"][set_name] = margins(per_model, ours)
        suffix = "" if i == 0 else f"-{slug(set_name)}"
        plots = {kind: f"{kind}{suffix}.png" for kind in ("confusion", "reliability", "per_label_f1")}
        _plot_confusion(m, schema, out_dir / plots["confusion"], set_name)
        _plot_reliability(m, out_dir / plots["reliability"], set_name)
        _plot_per_label(m, out_dir / plots["per_label_f1"], set_name)
        md += [f"## {set_name} ({m['n']} articles)", ""]
        if set_name in seen:
            md += [f"**Warning**: {seen_line(seen[set_name], m['n'])}.", ""]
        md += [comparison_table(per_model), ""]
        md += [intervals_line(per_model), ""]
        if len(per_model) > 1:
            md += [f"Margin of {ours} over each baseline (macro-F1):", ""]
            md += [
                f"- {name}: topics {d['topics_macro_f1']:+.3f}, framing {d['framing_macro_f1']:+.3f}"
                for name, d in payload["margins"][set_name].items()
            ]
            md.append("")
        md += [
            f"Per label ({ours}):",
            "",
            per_label_table(m),
            "",
            f"Framing confusion ({ours}), rows true, columns predicted:",
            "",
            confusion_table(m, schema),
            "",
            " ".join(f"![{kind}]({file})" for kind, file in plots.items()),
            "",
        ]
    if promotion is not None:
        payload["promotion"] = {"promoted": promotion[0], "reason": promotion[1]}
        verdict = {True: "promoted", False: "stored, NOT promoted", None: "NOT stored"}[promotion[0]]
        md += ["## Promotion", "", f"{verdict}: {promotion[1]}", ""]
    (out_dir / "metrics.json").write_text(json.dumps(payload, indent=2))
    path = out_dir / REPORT_FILE
    path.write_text("\n".join(md))
    return path


def _run_lines(run: dict) -> str:
    keys = (
        "model",
        "config",
        "config_hash",
        "data_hash",
        "same_config_and_data_as",
        "init_from",
        "teacher",
        "git_commit",
        "seed",
        "machine",
        "train_precision",
        "wall_seconds",
        "phase_seconds",
    )
    return "\n".join(f"- {k}: `{run[k]}`" for k in keys if k in run)


def _pyplot():
    """matplotlib drawing to files only (no display), chosen when a plot is drawn, not on import."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _plot_confusion(m: dict, schema: LabelSchema, path: Path, set_name: str) -> None:
    plt = _pyplot()
    cm = np.array(m["framing_confusion"])
    fig, ax = plt.subplots(figsize=(4.5, 4))
    ax.imshow(cm, cmap="Blues")
    ax.set_xticks(range(len(schema.framings)), schema.framings, rotation=30, ha="right")
    ax.set_yticks(range(len(schema.framings)), schema.framings)
    for (i, j), v in np.ndenumerate(cm):
        ax.text(j, i, str(v), ha="center", va="center", color="black")
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(f"Framing confusion ({set_name})")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _plot_reliability(m: dict, path: Path, set_name: str) -> None:
    plt = _pyplot()
    bins = m["reliability"]
    fig, ax = plt.subplots(figsize=(4, 4))
    ax.plot([0, 1], [0, 1], "--", color="grey", label="perfect")
    ax.plot([b["confidence"] for b in bins], [b["accuracy"] for b in bins], "o-", label="model")
    ax.set_xlabel("confidence (top framing probability)")
    ax.set_ylabel("accuracy")
    ax.set_title(f"Reliability ({set_name}), ECE {m['framing_ece']:.3f}")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _plot_per_label(m: dict, path: Path, set_name: str) -> None:
    plt = _pyplot()
    names = list(m["per_label"])
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.bar(names, [m["per_label"][n]["f1"] for n in names], color="steelblue")
    ax.set_ylim(0, 1)
    ax.set_ylabel("F1")
    ax.set_title(f"Per-label F1 ({set_name})")
    plt.setp(ax.get_xticklabels(), rotation=30, ha="right")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
