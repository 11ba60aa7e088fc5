"""Where the encoder's time goes, kernel by kernel, in the engine this CPU gets (OpenVINO).

    python benchmarks/op_profile.py [--encoder PACKAGE_OR_DIR] [--tokens 2048] [--calls 10]

For batches of full windows (512, 256 and 128 tokens, `--tokens` padded tokens a call, as the engine
batches), OpenVINO's per-kernel counters split one call's time into the dense layers
(FullyConnected: the query/key/value, output and feed-forward matmuls), attention (OpenVINO's fused
attention subgraph, or its softmax and matmuls where not fused) and the rest (layer norms, adds,
reorders). Each part's GFLOP/s is set against the measured square-matmul peak at the precision
used, so the model-level share of the peak (benchmarks/inference.py) can be read: which part
falls short of it, and why. A bound beside it: what a perfect fused attention kernel could reach,
limited only by the exponentials of its softmax (one per score, at the rate this CPU computes
them from cache) or by its matmuls at the peak. Speed does not depend on the weights, so the
pretrained encoder is used. Writes benchmarks/results/op-profile-<CPU class>.{json,md}.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import flops_by_part, machine, machine_line, save  # noqa: E402
from inference import matmul_peak_gflops  # noqa: E402

from tagger.engine.encoder import DEFAULT_ENCODER_PACKAGE, build_encoder  # noqa: E402
from tagger.engine.openvino_encoder import OpenVinoEncoder  # noqa: E402
from tagger.engine.runtime import configure_threads, cpu_has_bf16  # noqa: E402


def part_of(kind: str, node_name: str) -> str:
    """The dense layers (FullyConnected: query/key/value, output and feed-forward matmuls),
    attention (OpenVINO's fused attention kernel or, unfused, its softmax and matmuls) or the rest."""
    if kind.startswith("FullyConnected"):
        return "dense layers"
    return "attention" if "scaled_dot_product_attention" in node_name else "other"


def exp_per_second(rows: int = 256, width: int = 512, reps: int = 500) -> float:
    """Exponentials per second from a cache-resident fp32 block (what a fused softmax needs per
    attention score), on the threads the engine uses."""
    x, out = torch.randn(rows, width), torch.empty(rows, width)
    for _ in range(10):
        torch.exp(x, out=out)
    start = time.perf_counter()
    for _ in range(reps):
        torch.exp(x, out=out)
    return rows * width * reps / (time.perf_counter() - start)


def attention_bound(config, row: dict, peak: float, exps: float) -> dict:
    """Best case for one profiled call: attention as fast as its exponentials or its matmuls at the
    peak allow (whichever is slower), the dense layers at their measured rate; with the rest as
    measured, and with the rest fused away for free."""
    flops = flops_by_part(config, [row["length"]] * row["batch"])
    scores = row["batch"] * config.num_hidden_layers * config.num_attention_heads * row["length"] ** 2
    wall = row["batch"] * row["length"] / row["tokens_per_s"]
    by_exponentials, by_matmuls = scores / exps, flops["attention"] / (peak * 1e9)
    attention = max(by_exponentials, by_matmuls)
    dense = wall * row["share"]["dense layers"]
    rest = wall * row["share"]["other"]
    total = flops["dense layers"] + flops["attention"]
    return {
        "limited_by": "the exponentials" if by_exponentials >= by_matmuls else "the matmuls",
        "attention_gflops": flops["attention"] / attention / 1e9,
        "with_rest": total / (dense + attention + rest) / 1e9,
        "rest_free": total / (dense + attention) / 1e9,
    }


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
    exps = exp_per_second()
    print(f"peak {peak:.0f} GFLOP/s, {exps / 1e9:.1f} G exponentials/s", flush=True)
    rows = []
    for length in (512, 256, 128):
        row = profile(encoder, c, length, args.tokens, args.calls)
        row["bound"] = attention_bound(c, row, peak, exps)
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
        "| attention: time, GFLOP/s (% of peak) | rest: time | bound: all at the dense rate "
        "| bound: perfect attention kernel (rest as now; rest free) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    head = c.hidden_size // c.num_attention_heads
    for r in rows:
        b = r["bound"]
        dense, attn = r["part_gflops"].get("dense layers", 0), r["part_gflops"].get("attention", 0)
        lines.append(
            f"| {r['batch']} x {r['length']} | {r['tokens_per_s']:,.0f} | {r['gflops']:.0f} ({100 * r['gflops'] / peak:.0f}%) "
            f"| {100 * r['share']['dense layers']:.0f}%, {dense:.0f} ({100 * dense / peak:.0f}%) "
            f"| {100 * r['share']['attention']:.0f}%, {attn:.0f} ({100 * attn / peak:.0f}%) "
            f"| {100 * r['share']['other']:.0f}% | {100 * dense / peak:.0f}% of peak "
            f"| {100 * b['with_rest'] / peak:.0f}%; {100 * b['rest_free'] / peak:.0f}% of peak |"
        )
    lines += [
        "",
        '"All at the dense rate" is the most the whole encoder could reach if attention and the '
        "rest ran as fast per FLOP as the dense layers: the share of peak a faster engine could win at "
        'best. "Perfect attention kernel": attention in one fused kernel limited only by its '
        f"softmax's exponentials ({exps / 1e9:.1f} G/s on this CPU from cache, one per score) or by its "
        "matmuls at the peak, whichever is slower "
        f"({rows[0]['bound']['limited_by']} here: heads of {head} give each score "
        f"{4 * head} FLOPs of matmul), the dense layers at their measured rate, and the layer norms, "
        "adds and reorders either as measured or fused away for free.",
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
