"""Decision rules fitted on validation: thresholds, temperature, and a framing bias that finds a
prior shift and stays small without one."""

import numpy as np

from tagger.engine.calibration import _macro_f1, fit_framing_bias, fit_temperature, tune_thresholds


def test_thresholds_cut_where_f_beta_is_best_and_beta_favours_recall():
    rng = np.random.default_rng(0)
    y = (rng.random((400, 1)) < 0.3).astype(float)
    # positives score 0.25-0.6, negatives 0-0.3: the best F1 cut is at the top of the overlap
    probs = np.where(y > 0.5, rng.uniform(0.25, 0.6, y.shape), rng.uniform(0.0, 0.3, y.shape))
    f1 = tune_thresholds(probs, y, ("defence",))["defence"]
    recall = tune_thresholds(probs, y, ("defence",), beta=3.0)["defence"]
    assert 0.25 <= recall < f1 <= 0.31
    assert (probs[y > 0.5] >= recall).all()  # weighing recall keeps every positive


def test_temperature_undoes_over_and_under_confidence():
    rng = np.random.default_rng(0)
    z = rng.normal(0, 1.5, (4000, 3))
    p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    y = np.array([rng.choice(3, p=row) for row in p])  # labels drawn from softmax(z): T = 1 is right
    assert abs(fit_temperature(3 * z, y) - 3) < 0.3  # logits 3x too sharp
    assert abs(fit_temperature(z / 2, y) - 0.5) < 0.05  # 2x too flat


def test_framing_bias_recovers_a_shift_and_stays_small_without_one():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 600)
    clean = np.eye(3)[y] * 2.0 + rng.normal(0, 0.8, (600, 3))
    assert max(map(abs, fit_framing_bias(clean, y))) <= 0.3  # noise alone: no real offset
    shifted = clean - np.array([0.0, 0.0, 1.2])  # class 2 systematically under-scored
    bias = fit_framing_bias(shifted, y)
    assert bias[0] == 0.0 and bias[2] > 0.6
    assert _macro_f1((shifted + bias).argmax(1), y, 3) > _macro_f1(shifted.argmax(1), y, 3) + 0.05
