"""The inference engine: bf16 is kept only because its label decisions match fp32 (>= 99.5%)."""

import numpy as np
import pytest

from tagger.registry import Registry
from tagger.runtime import cpu_has_bf16
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


def test_bf16_label_decisions_agree_with_fp32(tag, small_corpus, schema):
    texts = [a.text for a in load_articles([small_corpus], schema)]
    fp32 = Registry("t-engine").load(tag, bf16=False)
    bf16 = Registry("t-engine").load(tag, bf16=True)
    d32, s32 = decisions(fp32, texts)
    d16, s16 = decisions(bf16, texts)
    assert (d32 == d16).mean() >= 0.995
    assert np.abs(s32.topics - s16.topics).max() < 0.05  # bf16 really ran: close, not bit-identical
    if cpu_has_bf16():
        assert not np.array_equal(s32.topics, s16.topics)
