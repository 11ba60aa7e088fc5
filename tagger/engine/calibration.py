"""Decision rules fitted on the validation split: per-topic thresholds and a framing temperature."""

from __future__ import annotations

import numpy as np
import torch


def tune_thresholds(
    probs: np.ndarray, y: np.ndarray, names: tuple[str, ...], beta: float = 1.0
) -> dict[str, float]:
    """For each topic, the threshold with the best validation F-beta (ties: nearest to 0.5).
    beta > 1 weighs recall more: real articles touch a topic more briefly than ours do, so a
    threshold that is just right on our validation split misses real ones."""
    grid = np.round(np.arange(0.05, 0.951, 0.01), 2)
    out = {}
    for j, name in enumerate(names):
        best = max(grid, key=lambda t: (_fbeta(probs[:, j] >= t, y[:, j] > 0.5, beta), -abs(t - 0.5)))
        out[name] = float(best)
    return out


def _fbeta(pred: np.ndarray, true: np.ndarray, beta: float = 1.0) -> float:
    tp = float(np.sum(pred & true))
    denom = (1 + beta**2) * tp + beta**2 * float(np.sum(~pred & true)) + float(np.sum(pred & ~true))
    return (1 + beta**2) * tp / denom if denom else 1.0


def _f1(pred: np.ndarray, true: np.ndarray) -> float:
    return _fbeta(pred, true, 1.0)


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """Temperature scaling: the T > 0 that minimises validation negative log-likelihood."""
    z = torch.tensor(logits, dtype=torch.float64)
    target = torch.tensor(y, dtype=torch.long)
    log_t = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([log_t], lr=0.1, max_iter=200, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(z / log_t.exp(), target)
        loss.backward()
        return loss

    opt.step(closure)
    return float(np.clip(log_t.exp().item(), 0.05, 20.0))


def fit_framing_bias(logits: np.ndarray, y: np.ndarray, span: float = 1.5, step: float = 0.1) -> list[float]:
    """Per-class offsets added to temperature-scaled framing logits, chosen for the best validation
    macro-F1 (a prior shift: our corpus's class mix is not real coverage's). The first class stays
    at 0; ties go to the smallest shift, so a bias appears only when it buys something."""
    k = logits.shape[1]
    grid = np.round(np.arange(-span, span + 1e-9, step), 2)
    best, best_key = np.zeros(k), None
    for b1 in grid:
        for b2 in grid if k > 2 else [0.0]:
            bias = np.array([0.0, b1, b2][:k])
            key = (_macro_f1((logits + bias).argmax(1), y, k), -np.abs(bias).sum())
            if best_key is None or key > best_key:
                best, best_key = bias, key
    return [float(b) for b in best]


def _macro_f1(pred: np.ndarray, y: np.ndarray, k: int) -> float:
    return float(np.mean([_f1(pred == c, y == c) for c in range(k)]))
