"""Encoder backends side by side: same weights, same articles, same windows and batches.

    python benchmarks/engines.py [--model TAG] [--limit N]

Rows: PyTorch fp32 (the reference), PyTorch bf16, OpenVINO fp32 and bf16, and ONNX Runtime fp32
when `onnxruntime` and `onnx` are installed (not a dependency). Each row: articles/s and tokens/s on
the test mix, GFLOP/s against the measured matmul peak at its precision, label agreement with the
reference, and how far an article's scores move when its batch-mates change. Writes
benchmarks/results/engines-<CPU class>.{json,md}. To measure AVX2 on a bigger CPU:
`benchmarks/as-cpu AVX2 python benchmarks/engines.py` (ONNX Runtime's kernels are not held back
there; PyTorch's and OpenVINO's are).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    check_peak,
    decisions,
    encoder_flops,
    machine,
    machine_line,
    save,
    say,
    test_split_articles,
    texts,
)
from inference import matmul_peak_gflops  # noqa: E402

from tagger.engine.registry import Registry  # noqa: E402
from tagger.engine.runtime import TIMED, configure_threads, cpu_has_bf16, pick_backend  # noqa: E402
from tagger.engine.tagger import Tagger  # noqa: E402
from tagger.engine.windows import make_windows  # noqa: E402


def onnxruntime_encoder(tagger: Tagger, path: Path):
    """The encoder exported to ONNX and run by ONNX Runtime (fp32), called like the PyTorch one."""
    import onnxruntime as ort

    from tagger.engine.openvino_encoder import LastHiddenState

    ids = torch.ones(2, 8, dtype=torch.long)
    axes = {0: "batch", 1: "tokens"}
    torch.onnx.export(
        LastHiddenState(tagger.model.encoder).eval(),
        (ids, ids),
        str(path),
        input_names=["input_ids", "attention_mask"],
        output_names=["hidden"],
        dynamic_axes={"input_ids": axes, "attention_mask": axes},
        dynamo=False,
    )
    options = ort.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def run(input_ids: torch.Tensor, attention_mask: torch.Tensor) -> SimpleNamespace:
        feed = {"input_ids": input_ids.numpy(), "attention_mask": attention_mask.numpy()}
        return SimpleNamespace(last_hidden_state=torch.from_numpy(session.run(None, feed)[0]))

    return run


def measure(tagger: Tagger, docs: list[str], flops: float, peak: float, ref: np.ndarray, ref_tagger) -> dict:
    tagger.predict_proba(docs[:8])  # warm-up: OpenVINO compiles, bf16 copies are made
    t = time.perf_counter()
    s = tagger.predict_proba(docs)
    elapsed = time.perf_counter() - t
    alone = tagger.predict_proba(docs[:1])
    return {
        "articles_per_s": len(docs) / elapsed,
        "gflops": flops / elapsed / 1e9,
        "matmul_peak_gflops": peak,
        "label_agreement": float((decisions(ref_tagger, s.topics, s.framing) == ref).mean()),
        "batch_mate_max_diff": float(np.abs(alone.framing[0] - s.framing[0]).max()),
        "elapsed_s": elapsed,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=None)
    ap.add_argument("--limit", type=int, default=60)
    args = ap.parse_args()
    configure_threads()
    docs = texts(test_split_articles(args.limit))
    info = machine()
    say(f"{len(docs)} articles; CPU {info['cpu']} ({info['cpu_class']})")
    registry = Registry()
    reference = registry.load(args.model, bf16=False, backend="torch")
    windows = make_windows(reference.tokenizer, docs, reference.max_length, reference.overlap).input_ids
    tokens, flops = sum(len(w) for w in windows), encoder_flops(reference, [len(w) for w in windows])
    say("matmul peaks ...")
    peaks = {"fp32": matmul_peak_gflops(torch.float32)}
    if cpu_has_bf16():
        peaks["bf16"] = matmul_peak_gflops(torch.bfloat16)
    say("reference: PyTorch fp32 ...")
    s_ref = reference.predict_proba(docs)
    ref = decisions(reference, s_ref.topics, s_ref.framing)

    rows: dict[str, dict] = {}
    candidates = [("torch", "fp32"), ("openvino", "fp32")]
    if cpu_has_bf16():
        candidates += [("torch", "bf16"), ("openvino", "bf16")]
    for backend, precision in candidates:
        say(f"{backend} {precision} ...")
        tagger = registry.load(args.model, bf16=precision == "bf16", backend=backend)
        rows[f"{backend} {precision}"] = measure(tagger, docs, flops, peaks[precision], ref, reference)
        say(f"  {rows[f'{backend} {precision}']['articles_per_s']:.1f} articles/s")
    if importlib.util.find_spec("onnxruntime") and importlib.util.find_spec("onnx"):
        say("onnxruntime fp32 ...")
        tagger = registry.load(args.model, bf16=False, backend="torch")
        with tempfile.TemporaryDirectory() as folder:
            encoder = onnxruntime_encoder(tagger, Path(folder) / "encoder.onnx")
            tagger.inference_encoder = lambda: (encoder, contextlib.nullcontext())
            # as-cpu cannot hold ONNX Runtime's kernels to a smaller class: say so in its row
            name = "onnxruntime fp32" + (" (kernels not held)" if info.get("held_to") else "")
            rows[name] = measure(tagger, docs, flops, peaks["fp32"], ref, reference)
    say("automatic choice ...")
    chosen = registry.load(args.model)
    timed = pick_backend(torch.device("cpu")) == TIMED
    auto = f"{chosen.runs_on} {chosen.precision}{' (both timed on the model at load)' if timed else ''}"
    for peak in peaks.values():  # ONNX Runtime's kernels, when not held, may outrun a held peak
        check_peak(
            peak,
            {
                n: r["gflops"]
                for n, r in rows.items()
                if r["matmul_peak_gflops"] == peak and "not held" not in n
            },
        )
    results = {"machine": info, "articles": len(docs), "tokens": tokens, "auto_choice": auto, "rows": rows}
    base = rows["torch fp32"]["articles_per_s"]
    lines = [
        f"# Encoder backends ({machine_line(info)})",
        "",
        f"{len(docs)} test-split articles, {tokens:,} tokens in windows; same windows and batches for every row. "
        f"Chosen automatically on this class: **{auto}**.",
        "",
        "| backend | articles/s | tokens/s | vs PyTorch fp32 | GFLOP/s | % of matmul peak | labels = reference | batch-mate drift |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, r in rows.items():
        lines.append(
            f"| {name} | {r['articles_per_s']:.1f} | {tokens / r['elapsed_s']:.0f} | {r['articles_per_s'] / base:.2f}x "
            f"| {r['gflops']:.0f} | {100 * r['gflops'] / r['matmul_peak_gflops']:.0f}% of {r['matmul_peak_gflops']:.0f} "
            f"| {100 * r['label_agreement']:.2f}% | {r['batch_mate_max_diff']:.1e} |"
        )
    save(f"engines-{info['cpu_class']}", results, "\n".join(lines))


if __name__ == "__main__":
    main()
