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


RESAMPLES = 1000  # bootstrap resamples of a set's articles, for intervals and paired differences
MACRO_F1 = ("topics_macro_f1", "framing_macro_f1")


def _label_bits(topics: np.ndarray, framing: np.ndarray, n_framings: int) -> tuple[np.ndarray, np.ndarray]:
    """Decisions (or labels) as bools per label, in the order of MACRO_F1: topic bits (items,
    topics) and the framing one-hot (items, framings)."""
    return topics.astype(bool), framing[:, None] == np.arange(n_framings)


def _resamples(n: int, seed: int = 0) -> np.ndarray:
    """RESAMPLES rows of n article indices drawn with replacement."""
    return np.random.default_rng(seed).integers(0, n, size=(RESAMPLES, n))


def _percentiles(values: np.ndarray, level: float = 0.95) -> list[float]:
    return [round(float(v), 4) for v in np.percentile(values, [50 * (1 - level), 50 * (1 + level)])]


def _macro_f1_per_resample(true: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """Macro-F1 of each resample: bool arrays (resamples, items, labels) in, (resamples,) out; a
    label with no true and no predicted item scores 0, as sklearn's zero_division=0 does."""
    tp, fp, fn = (true & pred).sum(1), (~true & pred).sum(1), (true & ~pred).sum(1)
    denom = 2 * tp + fp + fn
    return np.where(denom > 0, 2 * tp / np.maximum(denom, 1), 0.0).mean(1)


def bootstrap_intervals(
    true_topics: np.ndarray,
    pred_topics: np.ndarray,
    y_framing: np.ndarray,
    pred_framing: np.ndarray,
    n_framings: int,
    level: float = 0.95,
    seed: int = 0,
) -> dict[str, list[float]]:
    """Percentile bootstrap intervals of the two macro-F1 scores, articles resampled with
    replacement: on a set of ~100 articles a difference of 0.02 between two models is noise."""
    idx = _resamples(len(y_framing), seed)
    true = _label_bits(true_topics, y_framing, n_framings)
    pred = _label_bits(pred_topics, pred_framing, n_framings)
    return {
        k: _percentiles(_macro_f1_per_resample(t[idx], p[idx]), level)
        for k, t, p in zip(MACRO_F1, true, pred)
    }


def paired_differences(
    new: dict[str, dict], old: dict[str, dict], n_topics: int, n_framings: int
) -> dict | None:
    """Two models' per-article decisions on the same set (`decisions` of `evaluate`): on the
    articles both scored with the same labels, new minus old macro-F1 with a 95% bootstrap interval
    that resamples those articles for both models at once (paired: far tighter than two unpaired
    intervals). None when they share no article."""
    ids = sorted(i for i in new.keys() & old.keys() if new[i]["true"] == old[i]["true"])
    if not ids:
        return None

    def bits(d: dict[str, dict], key: str) -> tuple[np.ndarray, np.ndarray]:
        rows = np.array([d[i][key] for i in ids])  # topic bits, then the framing index
        return _label_bits(rows[:, :n_topics], rows[:, n_topics], n_framings)

    everything, resampled = np.arange(len(ids))[None, :], _resamples(len(ids))
    out: dict = {"n": len(ids)}
    for key, t, a, b in zip(MACRO_F1, bits(new, "true"), bits(new, "pred"), bits(old, "pred")):
        point, spread = (_f1_difference(t, a, b, idx) for idx in (everything, resampled))
        out[key] = {"difference": round(float(point[0]), 4), "interval": _percentiles(spread)}
    return out


def _f1_difference(true: np.ndarray, a: np.ndarray, b: np.ndarray, idx: np.ndarray) -> np.ndarray:
    return _macro_f1_per_resample(true[idx], a[idx]) - _macro_f1_per_resample(true[idx], b[idx])


def evaluate(
    topic_probs: np.ndarray,
    thresholds: dict[str, float],
    y_topics: np.ndarray,
    framing_probs: np.ndarray,
    y_framing: np.ndarray,
    schema: LabelSchema,
    ids: list[str] | None = None,
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
        "intervals": bootstrap_intervals(true_topics, pred_topics, y_framing, pred_framing, len(labels)),
        "framing_ece": round(ece, 4),
        "reliability": bins,
        # per article, for paired comparisons with another model on the same set: topic bits, then
        # the framing index
        **(
            {}
            if ids is None
            else {
                "decisions": {
                    i: {"pred": [*map(int, pt), int(pf)], "true": [*map(int, tt), int(tf)]}
                    for i, pt, pf, tt, tf in zip(ids, pred_topics, pred_framing, true_topics, y_framing)
                }
            }
        ),
    }
