"""Evaluation numbers for one model on one labelled set: plain numpy in, plain dict out."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    confusion_matrix,
    f1_score,
    precision_recall_fscore_support,
)

from tagger.data.schema import LabelSchema


def expected_calibration_error(probs: np.ndarray, y: np.ndarray, bins: int = 10) -> tuple[float, list[dict]]:
    """ECE of the top framing probability, and the reliability-diagram bins it came from."""
    conf = probs.max(1)
    correct = probs.argmax(1) == y
    edges = np.linspace(0, 1, bins + 1)
    ece, table = 0.0, []
    for lo, hi in zip(edges[:-1], edges[1:]):
        m = (conf > lo) & (conf <= hi)
        if m.any():
            ece += m.mean() * abs(correct[m].mean() - conf[m].mean())
            table.append(
                {
                    "lo": float(lo),
                    "hi": float(hi),
                    "n": int(m.sum()),
                    "confidence": float(conf[m].mean()),
                    "accuracy": float(correct[m].mean()),
                }
            )
    return float(ece), table


def average_precision(y: np.ndarray, scores: np.ndarray) -> float | None:
    """Area under the precision-recall curve: how well the scores rank, whatever the threshold.
    None when the set has no positive of the label."""
    return float(average_precision_score(y, scores)) if y.any() else None


def evaluate(
    topic_probs: np.ndarray,
    thresholds: dict[str, float],
    y_topics: np.ndarray,
    framing_probs: np.ndarray,
    y_framing: np.ndarray,
    schema: LabelSchema,
) -> dict:
    t = np.array([thresholds.get(name, 0.5) for name in schema.topics])
    pred_topics = (topic_probs >= t).astype(int)
    true_topics = (y_topics > 0.5).astype(int)
    pred_framing = framing_probs.argmax(1)
    labels = list(range(len(schema.framings)))

    per_label = {}
    p, r, f, s = precision_recall_fscore_support(true_topics, pred_topics, average=None, zero_division=0)
    for j, name in enumerate(schema.topics):
        ap = average_precision(true_topics[:, j], topic_probs[:, j])
        per_label[name] = {"precision": p[j], "recall": r[j], "f1": f[j], "ap": ap, "support": int(s[j])}
    p, r, f, s = precision_recall_fscore_support(
        y_framing, pred_framing, labels=labels, average=None, zero_division=0
    )
    for j, name in enumerate(schema.framings):
        ap = average_precision(y_framing == j, framing_probs[:, j])
        per_label[name] = {"precision": p[j], "recall": r[j], "f1": f[j], "ap": ap, "support": int(s[j])}
    ece, bins = expected_calibration_error(framing_probs, y_framing)
    topic_aps = [a for name in schema.topics if (a := per_label[name]["ap"]) is not None]
    return {
        "n": int(len(y_framing)),
        "per_label": {
            k: {m: v if m == "support" or v is None else round(float(v), 4) for m, v in d.items()}
            for k, d in per_label.items()
        },
        "topics_micro_f1": round(
            float(f1_score(true_topics, pred_topics, average="micro", zero_division=0)), 4
        ),
        "topics_macro_f1": round(
            float(f1_score(true_topics, pred_topics, average="macro", zero_division=0)), 4
        ),
        # threshold-free: a low F1 beside a high AP means the cut, not the ranking, is off;
        # undefined (None) on a set where no topic has a positive
        "topics_macro_ap": round(float(np.mean(topic_aps)), 4) if topic_aps else None,
        "framing_accuracy": round(float(accuracy_score(y_framing, pred_framing)), 4),
        "framing_macro_f1": round(
            float(f1_score(y_framing, pred_framing, labels=labels, average="macro", zero_division=0)), 4
        ),
        "framing_confusion": confusion_matrix(y_framing, pred_framing, labels=labels).tolist(),
        "framing_ece": round(ece, 4),
        "reliability": bins,
    }
