"""The inference engine: bf16 and int8 are kept only because their label decisions match fp32 (>= 99.5%)."""

import numpy as np
import pytest
import torch

from tagger.engine import runtime
from tagger.engine.registry import Registry
from tagger.engine.runtime import INT8_ENV, cpu_has_bf16, cpu_has_int8_dot, int8_from_env
from training.config import load_config
from training.data import load_articles
from training.pipeline import run_training

NEEDS_INT8_DOT = pytest.mark.skipif(
    not cpu_has_int8_dot(), reason="this CPU has no int8 dot products (VNNI/AMX)"
)


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
    [({"bf16": True}, cpu_has_bf16()), pytest.param({"int8": True}, True, marks=NEEDS_INT8_DOT)],
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


@pytest.mark.parametrize(
    ("flags", "cpu_class", "bf16", "int8"),
    [
        ({"avx2", "fma"}, "AVX2", False, False),
        ({"avx2", "avx512f", "avx512_vnni"}, "AVX-512", False, True),
        ({"avx2", "avx512f", "avx512_vnni", "avx512_bf16"}, "AVX-512-bf16", True, True),
        ({"avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_int8", "amx_tile"}, "AMX", True, True),
    ],
)
def test_precision_is_chosen_per_cpu_class(monkeypatch, tag, flags, cpu_class, bf16, int8):
    """A test can force the CPU class: the engine's choices follow the flags, and int8 is refused,
    saying why and what to use instead, where the CPU has no int8 dot products."""
    monkeypatch.setattr(runtime, "cpu_flags", lambda: frozenset(flags))
    assert runtime.cpu_class() == cpu_class
    assert runtime.use_bf16(torch.device("cpu"), "auto") is bf16
    assert (runtime.int8_refusal() is None) is int8
    if not int8:
        with pytest.raises(ValueError, match="VNNI or AMX.*AVX2.*20x slower.*Leave int8 off"):
            Registry("t-engine").load(tag, int8=True)


@pytest.mark.parametrize(("value", "on"), [("1", True), ("true", True), ("0", False), ("", False)])
def test_int8_env_setting(monkeypatch, value, on):
    monkeypatch.setenv(INT8_ENV, value)
    assert int8_from_env() is on


def test_int8_env_typo_is_refused(monkeypatch):
    monkeypatch.setenv(INT8_ENV, "yes please")
    with pytest.raises(ValueError, match="TAGGER_INT8='yes please'"):
        int8_from_env()
