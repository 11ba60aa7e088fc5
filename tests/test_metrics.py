"""Evaluation numbers: average precision reports ranking quality apart from the decision rule."""

import numpy as np
import pytest

from training.metrics import evaluate
from training.report import HEADLINE, comparison_table


def test_average_precision_sees_a_good_ranking_behind_a_bad_threshold(schema):
    n_topics, n_framings = len(schema.topics), len(schema.framings)
    y_topics = np.zeros((6, n_topics))
    y_topics[:3, 0] = 1  # first topic: three positives, ranked above every negative
    y_topics[[0, 5], 1] = 1  # second topic: a positive ranked last
    # third topic: no positive in this set
    probs = np.zeros((6, n_topics))
    probs[:, 0] = [0.40, 0.35, 0.30, 0.20, 0.10, 0.05]
    probs[:, 1] = [0.90, 0.80, 0.70, 0.60, 0.50, 0.01]
    thresholds = {name: 0.5 for name in schema.topics}  # too high for the first topic's scores
    y_framing = np.arange(6) % n_framings
    framing = np.eye(n_framings)[y_framing] * 0.8 + 0.2 / n_framings

    m = evaluate(probs, thresholds, y_topics, framing, y_framing, schema)
    first, second, third = (m["per_label"][name] for name in schema.topics)
    assert first["f1"] == 0.0 and first["ap"] == 1.0
    assert 0.5 < second["ap"] < 1.0
    assert third["ap"] is None  # no positives: undefined, and left out of the macro mean
    assert m["topics_macro_ap"] == pytest.approx((first["ap"] + second["ap"]) / 2, abs=1e-4)
    assert all(m["per_label"][f]["ap"] == 1.0 for f in schema.framings)


def test_macro_ap_is_undefined_on_a_set_without_topic_positives(schema):
    n_topics, n_framings = len(schema.topics), len(schema.framings)
    y_framing = np.arange(4) % n_framings
    framing = np.eye(n_framings)[y_framing]
    m = evaluate(np.full((4, n_topics), 0.3), {}, np.zeros((4, n_topics)), framing, y_framing, schema)
    assert m["topics_macro_ap"] is None
    row = comparison_table({"ours": m}).splitlines()[2].split(" | ")
    assert row[1 + HEADLINE.index("topics_macro_ap")] == "-"


def test_tables_show_a_dash_for_figures_an_older_run_did_not_record():
    fresh = {k: 0.9 for k in HEADLINE}
    older = {k: 0.8 for k in HEADLINE if k != "topics_macro_ap"}  # stored before AP was reported
    rows = comparison_table({"ours": fresh, "tfidf+logreg (from training)": older}).splitlines()
    assert rows[2].count("0.900") == len(HEADLINE)
    assert rows[3].split(" | ")[1 + HEADLINE.index("topics_macro_ap")] == "-"


def test_bootstrap_intervals_hold_the_score_and_narrow_with_more_articles(schema):
    from sklearn.metrics import f1_score

    from training.metrics import bootstrap_intervals

    rng = np.random.default_rng(1)
    n_topics, n_framings = len(schema.topics), len(schema.framings)
    y_t = rng.random((120, n_topics)) < 0.4
    p_t = np.where(rng.random(y_t.shape) < 0.85, y_t, ~y_t)  # 85% of decisions right
    y_f = rng.integers(0, n_framings, 120)
    p_f = np.where(rng.random(120) < 0.8, y_f, (y_f + 1) % n_framings)

    small = bootstrap_intervals(y_t, p_t, y_f, p_f, n_framings)
    point = f1_score(y_t, p_t, average="macro", zero_division=0)
    assert small["topics_macro_f1"][0] < point < small["topics_macro_f1"][1]
    large = bootstrap_intervals(
        np.tile(y_t, (10, 1)), np.tile(p_t, (10, 1)), np.tile(y_f, 10), np.tile(p_f, 10), 3
    )
    for k in ("topics_macro_f1", "framing_macro_f1"):
        assert large[k][1] - large[k][0] < (small[k][1] - small[k][0]) / 2  # ~1/sqrt(10) as wide
    perfect = bootstrap_intervals(y_t, y_t, y_f, y_f, n_framings)
    assert perfect == {"topics_macro_f1": [1.0, 1.0], "framing_macro_f1": [1.0, 1.0]}


def test_intervals_line_names_each_model_and_skips_older_records():
    from training.report import intervals_line

    fresh = {"intervals": {"topics_macro_f1": [0.88, 0.95], "framing_macro_f1": [0.87, 0.96]}}
    line = intervals_line({"fine-tuned": fresh, "tfidf+logreg (from training)": {}})
    assert "fine-tuned topics 0.880-0.950, framing 0.870-0.960" in line and "tfidf" not in line
    assert intervals_line({"old": {}}) == ""


def test_paired_differences_resample_both_models_on_the_same_articles():
    from training.metrics import paired_differences

    rng = np.random.default_rng(2)
    true = [[*map(int, rng.random(3) < 0.4), int(rng.integers(0, 3))] for _ in range(100)]
    wrong_framing = [[*t[:3], (t[3] + 1) % 3] for t in true]
    better = {f"a{i}": {"pred": t, "true": t} for i, t in enumerate(true)}  # every decision right
    worse = {  # every fourth framing wrong
        f"a{i}": {"pred": wrong_framing[i] if i % 4 == 0 else t, "true": t} for i, t in enumerate(true)
    }
    d = paired_differences(better, worse, 3, 3)
    assert d["n"] == 100 and d["topics_macro_f1"] == {"difference": 0.0, "interval": [0.0, 0.0]}
    lo, hi = d["framing_macro_f1"]["interval"]
    assert 0 < lo < d["framing_macro_f1"]["difference"] < hi  # better, and surely so
    relabelled = {**worse, "a0": {"pred": worse["a0"]["pred"], "true": wrong_framing[0]}}
    assert paired_differences(better, relabelled, 3, 3)["n"] == 99  # only articles with the same labels
    assert paired_differences(better, {"other": worse["a1"]}, 3, 3) is None


def test_accuracy_report_names_the_machine_each_run_trained_on():
    from conftest import load_benchmark

    accuracy = load_benchmark("accuracy")
    sets = {"test split": {"fine-tuned": {"topics_macro_f1": 0.9, "framing_macro_f1": 0.8}}}
    run = {"machine": "Xeon (AMX), 2 cores", "train_precision": "bf16"}
    rows = accuracy.table_rows({"default": {"run": run, "sets": sets}, "old": {"sets": sets}})
    md = accuracy.markdown(rows, {"model": "m", "note": "no dev set"}, "")
    assert "| default | fine-tuned | 0.900 / 0.800 | – | – | Xeon (AMX), 2 cores, bf16 |" in md
    assert "| old | fine-tuned | 0.900 / 0.800 | – | – | not recorded |" in md
