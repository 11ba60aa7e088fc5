"""The inference engine: bf16 and int8 are kept only because their label decisions match fp32 (>= 99.5%)."""

import numpy as np
import pytest

from tagger.engine.registry import Registry
from tagger.engine.runtime import INT8_ENV, cpu_has_bf16, int8_from_env
from training.config import load_config
from training.data import load_articles
from training.pipeline import run_training


@pytest.fixture(scope="module")
def tag(small_corpus, tmp_path_factory):
    cfg = load_config("tiny", [f"data.paths=[{small_corpus}]", "registry.name=t-engine"])
    return run_training(cfg, "tiny", tmp_path_factory.mktemp("runs")).tag


def decisions(tagger, texts):
    s = tagger.scores(texts)
    th = np.array([tagger.thresholds[t] for t in tagger.schema.topics])
    return np.concatenate([s.topics >= th, s.framing.argmax(1)[:, None]], axis=1), s


@pytest.mark.parametrize(
    ("precision", "really_runs"),
    [({"bf16": True}, cpu_has_bf16()), ({"int8": True}, True)],
    ids=["bf16", "int8"],
)
def test_reduced_precision_label_decisions_agree_with_fp32(tag, small_corpus, schema, precision, really_runs):
    texts = [a.text for a in load_articles([small_corpus], schema)]
    fp32 = Registry("t-engine").load(tag, bf16=False)
    fast = Registry("t-engine").load(tag, **precision)
    d32, s32 = decisions(fp32, texts)
    d_fast, s_fast = decisions(fast, texts)
    assert (d32 == d_fast).mean() >= 0.995
    assert np.abs(s32.topics - s_fast.topics).max() < 0.05
    if really_runs:  # close, not bit-identical: the reduced precision really ran
        assert not np.array_equal(s32.topics, s_fast.topics)
    alone = fast.scores(texts[:1])  # an article's scores don't depend on its batch-mates
    np.testing.assert_allclose(alone.topics[0], s_fast.topics[0], atol=2e-3)


def test_int8_is_refused_off_the_cpu(tag):
    with pytest.raises(ValueError, match="CPU only"):
        Registry("t-engine").load(tag, device="meta", int8=True)


@pytest.mark.parametrize(("value", "on"), [("1", True), ("true", True), ("0", False), ("", False)])
def test_int8_env_setting(monkeypatch, value, on):
    monkeypatch.setenv(INT8_ENV, value)
    assert int8_from_env() is on


def test_int8_env_typo_is_refused(monkeypatch):
    monkeypatch.setenv(INT8_ENV, "yes please")
    with pytest.raises(ValueError, match="TAGGER_INT8='yes please'"):
        int8_from_env()
