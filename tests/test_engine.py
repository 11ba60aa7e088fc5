"""The inference engine: bf16 and int8 are kept only because their label decisions match fp32 (>= 99.5%)."""

import argparse
import copy
import json
import time

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
    s = tagger.predict_proba(texts)
    th = np.array([tagger.thresholds[t] for t in tagger.schema.topics])
    return np.concatenate([s.topics >= th, s.framing.argmax(1)[:, None]], axis=1), s


def test_topics_are_cut_at_one_fixed_threshold_or_at_thresholds_fitted_per_topic(tag, small_corpus, schema):
    """calibration.topic_threshold: one cut for every topic (the default, 0.5), or, when null, per
    topic the cut with the best validation F1, which moves with the scores."""
    from tagger.engine.calibration import tune_thresholds
    from training.data import label_arrays

    tagger = Registry("t-engine").load(tag)
    articles = load_articles([small_corpus], schema)
    texts = [a.text for a in articles]
    y_topics, y_framing = label_arrays(articles, schema)
    tagger.calibrate(texts, y_topics, y_framing, topic_threshold=0.5)
    assert tagger.thresholds == dict.fromkeys(schema.topics, 0.5)
    tagger.calibrate(texts, y_topics, y_framing, topic_threshold=None)
    assert tagger.thresholds == tune_thresholds(tagger.predict_proba(texts).topics, y_topics, schema.topics)
    assert load_config("default").calibration.topic_threshold == 0.5
    assert Registry("t-engine").load(tag).thresholds == dict.fromkeys(schema.topics, 0.5)  # as trained


@pytest.mark.parametrize(
    ("precision", "really_runs"),
    [
        ({"bf16": True, "backend": "torch"}, cpu_has_bf16()),
        ({"bf16": True, "backend": "openvino"}, cpu_has_bf16()),
        ({"bf16": False, "backend": "openvino"}, True),
        pytest.param({"int8": True, "backend": "torch"}, True, marks=NEEDS_INT8_DOT),
    ],
    ids=["bf16", "openvino-bf16", "openvino-fp32", "int8"],
)
def test_reduced_precision_label_decisions_agree_with_fp32(tag, small_corpus, schema, precision, really_runs):
    """Every backend and precision against the reference (PyTorch fp32): same labels, close
    scores, and an article's scores independent of its batch-mates."""
    texts = [a.text for a in load_articles([small_corpus], schema)]
    fp32 = Registry("t-engine").load(tag, bf16=False, backend="torch")
    fast = Registry("t-engine").load(tag, **precision)
    assert fast.runs_on == precision["backend"]
    d32, s32 = decisions(fp32, texts)
    d_fast, s_fast = decisions(fast, texts)
    assert (d32 == d_fast).mean() >= 0.995
    assert np.abs(s32.topics - s_fast.topics).max() < 0.05
    if really_runs:  # close, not bit-identical: the reduced precision really ran
        assert not np.array_equal(s32.topics, s_fast.topics)
    alone = fast.predict_proba(texts[:1])  # an article's scores don't depend on its batch-mates
    np.testing.assert_allclose(alone.topics[0], s_fast.topics[0], atol=2e-3)


def test_int8_is_refused_off_the_cpu(tag):
    with pytest.raises(ValueError, match="CPU only"):
        Registry("t-engine").load(tag, device="meta", int8=True)


@pytest.mark.parametrize(
    ("flags", "bf16_timed_faster", "cpu_class", "bf16", "int8"),
    [
        ({"avx2", "fma"}, True, "AVX2", False, False),
        ({"avx2", "avx512f", "avx512_vnni"}, True, "AVX-512", False, True),
        ({"avx2", "avx512f", "avx512_vnni", "avx512_bf16"}, True, "AVX-512-bf16", True, True),
        ({"avx2", "avx512f", "avx512_vnni", "avx512_bf16"}, False, "AVX-512-bf16", False, True),
        ({"avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_int8", "amx_tile"}, False, "AMX", True, True),
    ],
)
def test_precision_is_chosen_per_cpu_class(monkeypatch, tag, flags, bf16_timed_faster, cpu_class, bf16, int8):
    """A test can force the CPU class: the engine's choices follow the flags (and, on AVX-512-bf16
    without AMX, the timing of bf16 against fp32), and int8 is refused, saying why and what to use
    instead, where the CPU has no int8 dot products."""
    monkeypatch.setattr(runtime, "cpu_flags", lambda: frozenset(flags))
    monkeypatch.setattr(runtime, "bf16_measured_faster", lambda: bf16_timed_faster)
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


def test_cpu_class_can_be_forced_down_but_not_up(monkeypatch):
    """TAGGER_CPU_CLASS makes a bigger CPU act as a smaller class (how benchmarks measure AVX2 on
    an AMX machine); asking for instructions the CPU lacks, or an unknown class, is an error."""
    amx = runtime.CLASS_FLAGS["AMX"] | {"fma"}
    monkeypatch.setattr(runtime, "_proc_cpu_flags", lambda: amx)
    monkeypatch.setattr(runtime, "bf16_measured_faster", lambda: True)
    for forced, bf16 in (("AVX2", False), ("AVX-512-bf16", True)):
        monkeypatch.setenv(runtime.CPU_CLASS_ENV, forced)
        runtime.cpu_flags.cache_clear()
        assert runtime.cpu_class() == forced
        assert runtime.use_bf16(torch.device("cpu"), "auto") is bf16
    monkeypatch.setattr(runtime, "_proc_cpu_flags", lambda: frozenset({"avx2", "fma"}))
    for forced, message in (("AMX", "lacks amx_bf16"), ("avx2", "expected one of AMX")):
        monkeypatch.setenv(runtime.CPU_CLASS_ENV, forced)
        runtime.cpu_flags.cache_clear()
        with pytest.raises(ValueError, match=message):
            runtime.cpu_class()
    monkeypatch.delenv(runtime.CPU_CLASS_ENV)
    runtime.cpu_flags.cache_clear()


@pytest.mark.parametrize(
    ("cpu", "backend"),
    [("AMX", "openvino"), ("AVX-512-bf16", "openvino"), ("AVX-512", "openvino"), ("AVX2", runtime.TIMED)],
)
def test_backend_is_chosen_per_cpu_class_and_can_be_overridden(monkeypatch, tag, cpu, backend):
    monkeypatch.setattr(runtime, "cpu_flags", lambda: runtime.CLASS_FLAGS[cpu])
    cpu_device = torch.device("cpu")
    assert runtime.pick_backend(cpu_device) == backend
    runs_on = Registry("t-engine").load(tag).runs_on
    assert runs_on == backend if backend != runtime.TIMED else runs_on in runtime.BACKENDS
    assert runtime.pick_backend(torch.device("cuda")) == "torch"
    for forced in runtime.BACKENDS:
        assert runtime.pick_backend(cpu_device, forced) == forced
        monkeypatch.setenv(runtime.BACKEND_ENV, forced)
        assert runtime.backend_from_env() == forced
    monkeypatch.setenv(runtime.BACKEND_ENV, "onnx")
    with pytest.raises(ValueError, match="TAGGER_BACKEND='onnx': expected auto, torch or openvino"):
        runtime.backend_from_env()
    with pytest.raises(ValueError, match="int8 matmuls run on the torch backend only"):
        Registry("t-engine").load(tag, int8=True, backend="openvino")


@pytest.mark.parametrize("winner", runtime.BACKENDS)
def test_where_the_class_says_timed_both_backends_run_and_the_faster_is_kept(monkeypatch, tag, winner):
    import tagger.engine.tagger as tagger_module

    monkeypatch.setattr(runtime, "cpu_flags", lambda: runtime.CLASS_FLAGS["AVX2"])
    ran = []

    def fake_fastest(candidates):
        for name, run in candidates.items():
            run()  # both really run on the model
            ran.append(name)
        return winner

    monkeypatch.setattr(tagger_module, "fastest", fake_fastest)
    tagger = Registry("t-engine").load(tag)
    assert tagger.runs_on == winner
    assert sorted(ran) == sorted(runtime.BACKENDS)
    assert (tagger._openvino is not None) == (winner == "openvino")  # the loser's compile is dropped
    assert tagger.runs_on == winner and len(ran) == 2  # decided once
    [result] = tagger.predict([{"text": "A Pakistani frigate docked at Chattogram."}])
    assert result["framing"] in tagger.schema.framings


def test_fastest_picks_the_quicker_candidate(monkeypatch):
    calls = []
    slow, quick = (lambda: calls.append("slow")), (lambda: calls.append("quick"))
    clock = {slow: 0.02, quick: 0.01}  # a fake clock: no real timing in tests
    monkeypatch.setattr(runtime, "_seconds", lambda run: clock[run])
    assert runtime.fastest({"slow": slow, "quick": quick}) == "quick"
    assert runtime.fastest({"quick": quick, "slow": slow}) == "quick"
    assert calls == ["slow", "quick", "quick", "slow"]  # one warm-up call each; timing is _seconds's


def test_openvino_profile_splits_a_call_into_its_kernels():
    """benchmarks/op_profile.py reads these: every layer's dense matmuls and attention appear, with times."""
    from transformers import BertConfig, BertModel

    from tagger.engine.openvino_encoder import OpenVinoEncoder

    bert = BertModel(
        BertConfig(
            vocab_size=100, hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64
        ),
        add_pooling_layer=False,
    )
    encoder = OpenVinoEncoder(bert.eval(), "fp32", profile=True)
    ids = torch.randint(1, 100, (2, 16))
    encoder(ids, torch.ones_like(ids))
    times = encoder.op_times()
    dense = [t for t in times if t[0].startswith("FullyConnected") and "layer.1." in t[1]]
    assert len(dense) == 6  # query, key, value, attention output, intermediate, output
    assert sum(t[2] for t in times) > 0


def test_openvino_converts_without_its_usage_telemetry():
    """OpenVINO's converter would send usage events from a forked process (which once outlived a
    stopped server, holding its port); ours runs its no-op stub. In a fresh interpreter, as a
    server's worker imports it."""
    import subprocess
    import sys

    code = """
import sys
from transformers import BertConfig, BertModel
from tagger.engine.openvino_encoder import OpenVinoEncoder
config = BertConfig(vocab_size=100, hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64)
OpenVinoEncoder(BertModel(config, add_pooling_layer=False).eval(), "fp32")
print(sys.modules["openvino.tools.ovc.convert_impl"].tm.__name__, sys.modules["openvino_telemetry"])
"""
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.split() == ["openvino.tools.ovc.telemetry_stub", "None"]


def test_op_profile_bound_takes_the_slower_of_exponentials_and_matmuls():
    """The bound in benchmarks/op_profile.py: attention no faster than its softmax's exponentials
    or its matmuls at the peak; fusing the rest away can only raise it."""
    from transformers import BertConfig

    from conftest import load_benchmark

    op_profile = load_benchmark("op_profile")
    c = BertConfig(hidden_size=384, num_hidden_layers=6, num_attention_heads=12, intermediate_size=1536)
    row = {"length": 512, "batch": 4, "tokens_per_s": 20_000.0, "share": {"dense layers": 0.4, "other": 0.2}}
    peak = 2000.0
    slow_exp = op_profile.attention_bound(c, row, peak, exps=1e9)
    free_exp = op_profile.attention_bound(c, row, peak, exps=1e30)
    assert free_exp["attention_gflops"] == pytest.approx(peak)  # then only the matmuls at the peak limit it
    flops_per_score = 4 * 32  # scores and weighted sum, heads of 32
    assert slow_exp["attention_gflops"] == pytest.approx(flops_per_score)  # 1e9 scores/s x 128 FLOPs
    assert slow_exp["with_rest"] < slow_exp["rest_free"] < free_exp["rest_free"]
    assert (slow_exp["limited_by"], free_exp["limited_by"]) == ("the exponentials", "the matmuls")


def test_benchmarks_count_every_window_an_article_is_read_in(tag):
    """Equal-work figures (tokens/s, GFLOP/s) count the tokens the model reads: every window of a long
    article, overlaps included, whatever articles share the call."""
    from tagger.engine.windows import make_windows

    from conftest import load_benchmark

    common = load_benchmark("common")
    tagger = Registry("t-engine").load(tag, bf16=False, backend="torch")
    short = {"text": "Dhaka and Islamabad agreed to resume direct flights."}
    long = {
        "title": "Trade",
        "text": " ".join(f"Exporters in Karachi shipped cargo number {i}." for i in range(400)),
    }
    lengths = common.window_lengths(tagger, [short, long, short])
    assert len(lengths[0]) == 1 and lengths[0] == lengths[2]
    assert len(lengths[1]) > 2 and max(lengths[1]) <= tagger.max_length
    alone = make_windows(tagger.tokenizer, [common.texts([long])[0]], tagger.max_length, tagger.overlap)
    assert lengths[1] == [len(w) for w in alone.input_ids]
    whole = len(tagger.tokenizer(common.texts([long])[0])["input_ids"])
    assert sum(lengths[1]) > whole  # the overlaps are read twice


def test_benchmarks_refuse_a_result_that_outran_its_measured_peak():
    """A peak timed while the host was busy makes every share of it wrong: nothing is written."""
    from conftest import load_benchmark

    common = load_benchmark("common")
    common.check_peak(200.0, {"torch fp32": 150.0, "openvino fp32": 199.0})  # a plausible run passes
    with pytest.raises(SystemExit, match=r"above the 9 GFLOP/s .*openvino fp32 52\b.*nothing written"):
        common.check_peak(9.0, {"torch fp32": 8.0, "openvino fp32": 52.0})


def test_benchmarks_alternate_the_runs_they_compare_and_report_medians():
    """Ours and the naive pipeline take turns, so a shared host's drift falls on both; the median
    of the rounds is what is reported."""
    from conftest import load_benchmark

    common = load_benchmark("common")
    calls, pace = [], {"ours": iter([0.01, 0.05, 0.02]), "naive": iter([0.04, 0.02, 0.03])}

    def run(name):
        calls.append(name)
        time.sleep(next(pace[name]))
        return f"{name} {len(calls)}"

    out = common.alternating({"ours": lambda: run("ours"), "naive": lambda: run("naive")}, 10, 3)
    assert calls == ["ours", "naive"] * 3
    assert [len(v["rounds"]) for v in out.values()] == [3, 3]
    assert (out["ours"]["output"], out["naive"]["output"]) == ("ours 5", "naive 6")  # the last round's
    assert out["ours"]["articles_per_s"] == sorted(out["ours"]["rounds"])[1]
    assert (
        out["ours"]["rounds"][0] > out["ours"]["rounds"][2] > out["ours"]["rounds"][1]
    )  # 0.01, 0.05, 0.02 s


def test_gpu_benchmark_kit_carries_the_model_and_its_reference(tag, tmp_path):
    """benchmarks/gpu.py's kit (fp16 weights + CPU fp32 reference) measured on the CPU: fp32 on the
    rounded weights gives the reference's labels exactly, and every row of the report is filled."""
    from safetensors.torch import load_file

    from conftest import load_benchmark

    gpu = load_benchmark("gpu")
    kit = tmp_path / "kit"
    gpu.prepare(kit, tag, "t-engine")
    weights = load_file(kit / gpu.MODEL_DIR / "model.safetensors")
    assert {v.dtype for v in weights.values() if v.is_floating_point()} == {torch.float16}
    opts = argparse.Namespace(device="cpu", repeat=1, limit=6)
    gpu.measure(kit, tmp_path, opts)
    result = json.loads((tmp_path / "gpu.json").read_text())
    assert result["articles"] == 6 and result["ours"]["fp32"]["label_agreement"] == 1.0
    assert result["ours"]["bf16"]["precision"] == "bf16"
    assert set(result["naive"]) == {"one at a time", "batch_size=16", "batch_size=64"}
    md = gpu.table(result)
    assert "| ours, whole articles, bf16, end to end |" in md and "nan" not in md


def test_attention_on_cuda_leaves_out_cudnn_and_the_cpu_keeps_every_kernel():
    """cuDNN's attention builds a plan per batch shape (a job's first pass ran at a quarter speed on an
    H200): scoring on CUDA runs without it, and on the CPU nothing is changed."""
    assert torch.backends.cuda.cudnn_sdp_enabled()
    with runtime.attention_kernels(torch.device("cuda")):
        assert not torch.backends.cuda.cudnn_sdp_enabled()
        assert torch.backends.cuda.flash_sdp_enabled() and torch.backends.cuda.mem_efficient_sdp_enabled()
    assert torch.backends.cuda.cudnn_sdp_enabled()
    with runtime.attention_kernels(torch.device("cpu")):
        assert torch.backends.cuda.cudnn_sdp_enabled()


def test_narrowing_keeps_the_feed_forward_units_that_pass_on_the_most():
    """tagger/engine/narrow.py: a unit's importance is its mean |activation| over the sample windows'
    tokens times the norm of its output weights (checked against the layers run by hand); the kept
    units are the largest, in their order; the narrowed layers compute exactly what those units
    computed before; full width changes nothing; impossible widths and no sample are refused."""
    from transformers import BertConfig, BertModel

    from tagger.engine.narrow import narrow_feed_forward, unit_importance

    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=100, hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64
    )
    bert = BertModel(config, add_pooling_layer=False).eval()
    windows = [torch.randint(1, 100, (n,)).tolist() for n in (12, 7, 20)]
    with torch.no_grad():
        bert.encoder.layer[0].output.dense.weight[:, [5, 40, 41]] *= 50  # these three units now pass on most
        by_hand = []
        for i, layer in enumerate(bert.encoder.layer):
            acts = []
            for ids in windows:
                hidden = bert(torch.tensor([ids]), output_hidden_states=True).hidden_states[i]
                acts.append(layer.intermediate(layer.attention(hidden)[0])[0].abs())
            by_hand.append(torch.cat(acts).mean(0) * layer.output.dense.weight.norm(dim=0))
    importance = unit_importance(bert, windows)
    for ours, theirs in zip(importance, by_hand, strict=True):
        assert torch.allclose(ours, theirs, rtol=1e-4, atol=1e-6)
    expected = importance[0].topk(8).indices.sort().values
    assert {5, 40, 41} <= set(expected.tolist())
    layer = bert.encoder.layer[0]
    x = torch.randn(3, 32)
    with torch.no_grad():
        hidden = layer.intermediate(x.unsqueeze(0))[0]  # the units' activations before narrowing
        before = hidden[:, expected] @ layer.output.dense.weight[:, expected].T  # what the kept units pass on
    ids = torch.randint(1, 100, (2, 12))
    full = bert(ids).last_hidden_state

    same = narrow_feed_forward(copy.deepcopy(bert), 64, windows)
    assert torch.allclose(same(ids).last_hidden_state, full, atol=1e-6)
    narrow_feed_forward(bert, 8, windows)
    assert bert.config.intermediate_size == 8
    assert [tuple(lay.intermediate.dense.weight.shape) for lay in bert.encoder.layer] == [(8, 32)] * 2
    assert [tuple(lay.output.dense.weight.shape) for lay in bert.encoder.layer] == [(32, 8)] * 2
    narrowed = bert.encoder.layer[0]
    with torch.no_grad():
        after = narrowed.output.dense(narrowed.intermediate(x.unsqueeze(0))[0]) - narrowed.output.dense.bias
    assert torch.allclose(after, before, atol=1e-5)
    assert bert(ids).last_hidden_state.shape == full.shape
    with pytest.raises(
        ValueError, match="encoder.intermediate_size 100 must be between 1 and the encoder's 8"
    ):
        narrow_feed_forward(bert, 100, windows)
    with pytest.raises(ValueError, match="no sample windows"):
        narrow_feed_forward(bert, 4, [])
