"""Where the encoder's time goes, kernel by kernel, in the engine this CPU gets (OpenVINO).

    python benchmarks/op_profile.py [--encoder PACKAGE_OR_DIR] [--tokens 2048] [--calls 10]

For batches of full windows (512, 256 and 128 tokens, `--tokens` padded tokens a call, as the engine
batches), OpenVINO's per-kernel counters split one call's time into the dense layers
(FullyConnected: the query/key/value, output and feed-forward matmuls), attention (OpenVINO's fused
attention subgraph, or its softmax and matmuls where not fused) and the rest (layer norms, adds,
reorders). Each part's GFLOP/s is set against the measured square-matmul peak at the precision
used, so the model-level share of the peak (benchmarks/inference.py) can be read: which part
falls short of it, and why. Speed does not depend on the weights, so the pretrained encoder is
used. Writes benchmarks/results/op-profile-<CPU class>.{json,md}.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, machine_line, save  # noqa: E402
from inference import flops_by_part, matmul_peak_gflops  # noqa: E402

from tagger.engine.encoder import DEFAULT_ENCODER_PACKAGE, build_encoder  # noqa: E402
from tagger.engine.openvino_encoder import OpenVinoEncoder  # noqa: E402
from tagger.engine.runtime import configure_threads, cpu_has_bf16  # noqa: E402


def part_of(kind: str, node_name: str) -> str:
    """The dense layers (FullyConnected: query/key/value, output and feed-forward matmuls),
    attention (OpenVINO's fused attention kernel or, unfused, its softmax and matmuls) or the rest."""
    if kind.startswith("FullyConnected"):
        return "dense layers"
    return "attention" if "scaled_dot_product_attention" in node_name else "other"


def profile(encoder: OpenVinoEncoder, config, length: int, tokens: int, calls: int) -> dict:
    batch = max(1, tokens // length)
    ids = torch.randint(1000, 20000, (batch, length))
    mask = torch.ones(batch, length, dtype=torch.long)
    for _ in range(3):
        encoder(ids, mask)
    start = time.perf_counter()
    for _ in range(calls):
        encoder(ids, mask)
    wall = (time.perf_counter() - start) / calls
    ops: dict[str, float] = {}
    parts = {"dense layers": 0.0, "attention": 0.0, "other": 0.0}
    for kind, node_name, seconds in encoder.op_times():  # the last call's kernels
        ops[kind] = ops.get(kind, 0.0) + seconds
        parts[part_of(kind, node_name)] += seconds
    flops = flops_by_part(config, [length] * batch)
    total = sum(ops.values())
    return {
        "length": length,
        "batch": batch,
        "tokens_per_s": batch * length / wall,
        "gflops": (flops["dense layers"] + flops["attention"]) / wall / 1e9,
        "share": {p: s / total for p, s in parts.items()},
        "part_gflops": {p: f / parts[p] / 1e9 for p, f in flops.items() if parts[p]},
        "kernels": dict(sorted(ops.items(), key=lambda kv: -kv[1])),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--encoder", default=DEFAULT_ENCODER_PACKAGE)
    ap.add_argument("--tokens", type=int, default=2048, help="padded tokens a call (the engine's CPU batch)")
    ap.add_argument("--calls", type=int, default=10)
    args = ap.parse_args()
    configure_threads()
    precision = "bf16" if cpu_has_bf16() else "fp32"
    dtype = torch.bfloat16 if precision == "bf16" else torch.float32
    m = machine()
    print(f"# {machine_line(m)}: OpenVINO {precision}", flush=True)
    model, _ = build_encoder(args.encoder, None)
    c = model.config
    encoder = OpenVinoEncoder(model.eval(), precision, profile=True)
    peak = matmul_peak_gflops(dtype)
    rows = []
    for length in (512, 256, 128):
        row = profile(encoder, c, length, args.tokens, args.calls)
        rows.append(row)
        print(f"{length}-token windows: {row['gflops']:.0f} GFLOP/s, {row['share']}", flush=True)

    lines = [
        f"# Where the encoder's time goes ({machine_line(m)})",
        "",
        f"OpenVINO {precision}, {args.encoder} ({c.num_hidden_layers} layers, hidden {c.hidden_size}, "
        f"{c.num_attention_heads} heads of {c.hidden_size // c.num_attention_heads}), calls of {args.tokens} "
        f"padded tokens; measured square-matmul peak {peak:.0f} GFLOP/s ({precision}).",
        "",
        "| windows | tokens/s | whole encoder GFLOP/s (% of peak) | dense layers: time, GFLOP/s (% of peak) "
        "| attention: time, GFLOP/s (% of peak) | rest: time | bound: all at the dense rate |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        dense, attn = r["part_gflops"].get("dense layers", 0), r["part_gflops"].get("attention", 0)
        lines.append(
            f"| {r['batch']} x {r['length']} | {r['tokens_per_s']:,.0f} | {r['gflops']:.0f} ({100 * r['gflops'] / peak:.0f}%) "
            f"| {100 * r['share']['dense layers']:.0f}%, {dense:.0f} ({100 * dense / peak:.0f}%) "
            f"| {100 * r['share']['attention']:.0f}%, {attn:.0f} ({100 * attn / peak:.0f}%) "
            f"| {100 * r['share']['other']:.0f}% | {100 * dense / peak:.0f}% of peak |"
        )
    lines += [
        "",
        "The last column is the most the whole encoder could reach if attention and the rest ran as "
        "fast per FLOP as the dense layers: the share of peak a faster engine could win at best.",
    ]
    top = rows[0]["kernels"]
    total = sum(top.values())
    lines += ["", f"Kernels of one call of {rows[0]['batch']} x {rows[0]['length']} tokens:", ""]
    lines += [f"- {kind}: {100 * s / total:.1f}%" for kind, s in list(top.items())[:8]]
    save(
        f"op-profile-{m['cpu_class']}",
        {"machine": m, "precision": precision, "peak_gflops": peak, "rows": rows},
        "\n".join(lines),
    )


if __name__ == "__main__":
    main()
