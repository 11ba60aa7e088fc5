"""Decision rules fitted on the validation split: per-topic thresholds and a framing temperature."""

from __future__ import annotations

import numpy as np
import torch


def tune_thresholds(probs: np.ndarray, y: np.ndarray, names: tuple[str, ...]) -> dict[str, float]:
    """For each topic, the threshold with the best validation F1 (ties: nearest to 0.5)."""
    grid = np.round(np.arange(0.05, 0.951, 0.01), 2)
    out = {}
    for j, name in enumerate(names):
        best = max(grid, key=lambda t: (_f1(probs[:, j] >= t, y[:, j] > 0.5), -abs(t - 0.5)))
        out[name] = float(best)
    return out


def _f1(pred: np.ndarray, true: np.ndarray) -> float:
    tp = float(np.sum(pred & true))
    denom = float(np.sum(pred) + np.sum(true))
    return 2 * tp / denom if denom else 1.0


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
