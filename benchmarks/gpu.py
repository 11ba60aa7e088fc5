"""The CUDA path, measured on a GPU: our engine against the naive pipeline, same weights and articles.

    python benchmarks/gpu.py prepare KIT [--model TAG]   # here, on the CPU
    python benchmarks/gpu.py measure KIT --out DIR       # on the GPU machine: writes DIR/gpu.json
    python benchmarks/gpu.py report DIR/gpu.json        # here: benchmarks/results/gpu-<GPU>.{json,md}

A GPU is lent to some sessions only, on a machine that reaches no package registry and receives at
most 64 MiB, so the model travels as a folder: `prepare` stores the stored model with its weights
rounded to fp16 (half the bytes) and scores the test split with PyTorch fp32 on the CPU, on those
same rounded weights: the reference the GPU's label decisions are counted against. `measure`
imports neither BentoML nor OpenVINO (the GPU image has neither) and runs the project's own code
under that machine's torch and transformers.

Rows: ours in bf16 (what `Tagger` picks on CUDA), fp32 and TF32, end to end (tokenising included)
and the encoder alone at several token budgets per forward pass; the naive feature-extraction
pipeline (fp32, truncated at 512 tokens) one article at a time and batched. Every row gives
articles/s and label agreement; ours also gives TFLOP/s against matmul peaks measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import decisions, encoder_flops, naive_scores, say, test_split_articles, texts  # noqa: E402

from tagger.engine.tagger import WEIGHTS_FILE, Tagger  # noqa: E402
from tagger.engine.windows import make_windows  # noqa: E402

MODEL_DIR, ARTICLES_FILE, REFERENCE_FILE = "model", "articles.jsonl", "reference.npz"
REPEAT = 20  # copies of the test split in the throughput runs: one copy is ~30 ms of GPU work
BUDGETS = (8192, 32768, 131072)  # padded tokens per forward pass (the engine's CUDA default: 32768)


# ---- here: the kit -----------------------------------------------------------------------
def prepare(kit: Path, model: str | None, registry: str | None = None) -> None:
    from safetensors.torch import load_file, save_file

    from tagger.engine.registry import Registry

    store = Registry(registry) if registry else Registry()
    store.load(model, bf16=False, backend="torch").save(kit / MODEL_DIR)
    weights = kit / MODEL_DIR / WEIGHTS_FILE
    state = load_file(weights)
    save_file({k: v.half() if v.is_floating_point() else v for k, v in state.items()}, weights)
    rows = test_split_articles()
    (kit / ARTICLES_FILE).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    reference = Tagger.load(kit / MODEL_DIR, device="cpu", bf16=False, backend="torch")
    s = reference.predict_proba(texts(rows))
    np.savez(kit / REFERENCE_FILE, topics=s.topics, framing=s.framing)
    say(f"wrote {kit}: {len(rows)} articles, model {reference.info.get('tag')} (fp16 weights)")


# ---- on the GPU ----------------------------------------------------------------------------
def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def matmul_tflops(device: torch.device, dtype: torch.dtype, m: int, k: int, n: int, reps: int = 10) -> float:
    """TFLOP/s of (m x k) @ (k x n) on random data, median of `reps` after warm-ups."""
    a, b = torch.randn(m, k, dtype=dtype, device=device), torch.randn(k, n, dtype=dtype, device=device)
    for _ in range(3):
        a @ b
    times = [seconds(device, lambda: a @ b)[0] for _ in range(reps)]
    return 2 * m * k * n / float(np.median(times)) / 1e12


def seconds(device: torch.device, fn) -> tuple[float, object]:
    """Wall seconds of fn() with the device's queue drained before and after (GPU work is async)."""
    sync(device)
    t = time.perf_counter()
    out = fn()
    sync(device)
    return time.perf_counter() - t, out


def encoder_seconds(tagger: Tagger, windows: list[list[int]], budget: int) -> float:
    """The encoder alone (windows already tokenised), best of 3: what the GPU itself does."""
    tagger.max_batch_tokens = budget
    tagger.window_embeddings(windows)
    return min(seconds(tagger.device, lambda: tagger.window_embeddings(windows))[0] for _ in range(3))


def measure_ours(kit: Path, name: str, docs: list[str], ref: np.ndarray, flops: float, opts) -> dict:
    torch.backends.cuda.matmul.allow_tf32 = name == "tf32"
    tagger = Tagger.load(kit / MODEL_DIR, device=opts.device, bf16=name == "bf16", backend="torch")
    tagger.predict_proba(docs[:16])  # warm-up: cuBLAS handles, the bf16 copy
    many = docs * opts.repeat
    tokenise_s, win = seconds(
        tagger.device, lambda: make_windows(tagger.tokenizer, many, tagger.max_length, tagger.overlap)
    )
    elapsed, _ = seconds(tagger.device, lambda: tagger.predict_proba(many))  # new batch shapes: cold
    warm, _ = seconds(tagger.device, lambda: tagger.predict_proba(many))
    s = tagger.predict_proba(docs)
    alone = [tagger.predict_proba([d]) for d in docs[:8]]
    row = {
        "precision": tagger.precision,
        "articles_per_s": len(many) / elapsed,
        "warm_articles_per_s": len(many) / warm,
        "tflops": opts.repeat * flops / elapsed / 1e12,
        "tokenise_share": tokenise_s / elapsed,
        "label_agreement": float((decisions(tagger, s.topics, s.framing) == ref).mean()),
        "batch_mate_max_diff": float(
            max(np.abs(a.framing[0] - s.framing[i]).max() for i, a in enumerate(alone))
        ),
        "encoder_only": {},
    }
    for budget in BUDGETS:
        enc_s = encoder_seconds(tagger, win.input_ids, budget)
        row["encoder_only"][str(budget)] = {
            "articles_per_s": len(many) / enc_s,
            "tflops": opts.repeat * flops / enc_s / 1e12,
        }
    torch.backends.cuda.matmul.allow_tf32 = False
    say(
        f"  ours {name}: {row['articles_per_s']:.0f} articles/s end to end ({row['warm_articles_per_s']:.0f} on a "
        f"second pass), {row['tflops']:.1f} TFLOP/s, "
        f"agreement {100 * row['label_agreement']:.2f}%"
    )
    return row


def measure_naive(kit: Path, docs: list[str], ref: np.ndarray, device: str) -> dict:
    tagger = Tagger.load(kit / MODEL_DIR, device=device, bf16=False, backend="torch")
    naive_scores(tagger, docs[:8], None)  # warm-up
    row = {}
    for label, batch in (("one at a time", None), ("batch_size=16", 16), ("batch_size=64", 64)):
        elapsed, (topics, framing) = seconds(tagger.device, lambda b=batch: naive_scores(tagger, docs, b))
        row[label] = {
            "articles_per_s": len(docs) / elapsed,
            "label_agreement": float((decisions(tagger, topics, framing) == ref).mean()),
        }
        say(f"  naive {label}: {len(docs) / elapsed:.0f} articles/s")
    return row


def measure(kit: Path, out: Path, opts) -> None:
    """`opts`: device (cuda; cpu only to try the script), repeat, limit (articles; 0: all)."""
    import transformers

    device = torch.device(opts.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SystemExit("measure runs on a CUDA GPU; none is visible here (--device cpu tries the script)")
    rows = [json.loads(line) for line in (kit / ARTICLES_FILE).read_text().splitlines()]
    keep = opts.limit or len(rows)
    rows = rows[:keep]
    docs = texts(rows)
    reference = np.load(kit / REFERENCE_FILE)
    probe = Tagger.load(kit / MODEL_DIR, device="cpu", bf16=False, backend="torch")
    ref = decisions(probe, reference["topics"][:keep], reference["framing"][:keep])
    win = make_windows(probe.tokenizer, docs, probe.max_length, probe.overlap).input_ids
    lengths = [len(w) for w in win]
    n_tokens = [len(x) for x in probe.tokenizer(docs)["input_ids"]]
    result = {
        "gpu": torch.cuda.get_device_name() if device.type == "cuda" else "none (cpu try-out)",
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "transformers": transformers.__version__,
        "when": time.strftime("%Y-%m-%d %H:%M"),
        "articles": len(docs),
        "windows": len(win),
        "tokens": sum(lengths),
        "naive_tokens": sum(min(n, 512) for n in n_tokens),
        "repeat": opts.repeat,
    }
    say(f"{result['gpu']}, torch {result['torch']}, transformers {result['transformers']}")
    c = probe.model.encoder.config
    side = 8192 if device.type == "cuda" else 512
    result["peaks_tflops"] = {
        "bf16 8192^3": matmul_tflops(device, torch.bfloat16, side, side, side),
        "fp32 8192^3": matmul_tflops(device, torch.float32, side, side, side),
        "bf16 feed-forward shape": matmul_tflops(
            device, torch.bfloat16, 4 * side, c.hidden_size, c.intermediate_size, 50
        ),
    }
    say(f"  peaks (TFLOP/s): {result['peaks_tflops']}")
    flops = encoder_flops(probe, lengths)
    result["ours"] = {}
    for name in ("bf16", "fp32", "tf32"):
        result["ours"][name] = measure_ours(kit, name, docs, ref, flops, opts)
        (out / "gpu.json").write_text(json.dumps(result, indent=2))  # what is done is kept
    result["naive"] = measure_naive(kit, docs, ref, opts.device)
    (out / "gpu.json").write_text(json.dumps(result, indent=2))
    say(f"wrote {out / 'gpu.json'}")


# ---- here: the result ----------------------------------------------------------------------
def report(path: Path) -> None:
    from common import save

    r = json.loads(path.read_text())
    for extra in path.parent.glob("attention*.json"):  # an earlier run's experiment, kept with the result
        r[extra.stem] = json.loads(extra.read_text())
    name = "gpu-" + r["gpu"].replace("NVIDIA ", "").replace(" ", "-")
    save(name, r, table(r))


def table(r: dict) -> str:
    """The markdown of a `measure` result."""
    naive1 = r["naive"]["one at a time"]["articles_per_s"]
    peak = r["peaks_tflops"]
    lines = [
        f"# CUDA inference ({r['gpu']}, torch {r['torch']} / CUDA {r['cuda']}, transformers "
        f"{r['transformers']}, {r['when']})",
        "",
        f"{r['articles']} test-split articles ({r['windows']} windows, {r['tokens']:,} tokens), repeated "
        f"{r['repeat']} times in the throughput rows; model weights rounded to fp16 for the transfer, and "
        "label agreement counted against PyTorch fp32 on the CPU on those same weights. Measured once, "
        "on a GPU lent for a session (`benchmarks/gpu.py`).",
        "",
        "| path | articles/s | vs naive one at a time | TFLOP/s | labels = CPU fp32 | batch-mate drift |",
        "|---|---|---|---|---|---|",
    ]
    for label, row in r["naive"].items():
        rate = row["articles_per_s"]
        lines.append(
            f"| naive pipeline, {label}, fp32, truncated | {rate:.0f} | {rate / naive1:.2f}x | "
            f"| {100 * row['label_agreement']:.2f}% (truncated) | |"
        )
    for name, row in r["ours"].items():
        lines.append(
            f"| ours, whole articles, {name}, end to end | {row['articles_per_s']:.0f} "
            f"({row['warm_articles_per_s']:.0f} on a second pass) "
            f"| {row['articles_per_s'] / naive1:.1f}x | {row['tflops']:.1f} | {100 * row['label_agreement']:.2f}% "
            f"| {row['batch_mate_max_diff']:.1e} |"
        )
    lines += ["", "The encoder alone (windows tokenised beforehand), by padded tokens per forward pass:", ""]
    lines += ["| precision | " + " | ".join(f"{b} tokens" for b in r["ours"]["bf16"]["encoder_only"]) + " |"]
    lines += ["|---|" + "---|" * len(r["ours"]["bf16"]["encoder_only"])]
    for name, row in r["ours"].items():
        cells = [
            f"{v['articles_per_s']:.0f} articles/s, {v['tflops']:.0f} TFLOP/s"
            for v in row["encoder_only"].values()
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    bf16 = r["ours"]["bf16"]
    best = max(v["tflops"] for v in bf16["encoder_only"].values())
    lines += [
        "",
        f"- matmul peaks measured in the same run: bf16 {peak['bf16 8192^3']:.0f} TFLOP/s (8192^3), "
        f"fp32 {peak['fp32 8192^3']:.0f}, bf16 at the encoder's feed-forward shape (32768 x "
        f"384 x 1536) {peak['bf16 feed-forward shape']:.0f}",
        f"- ours in bf16 (the CUDA default) reaches {100 * best / peak['bf16 8192^3']:.0f}% of the square bf16 "
        f"peak in the encoder alone at its best budget, {100 * best / peak['bf16 feed-forward shape']:.0f}% of "
        "the feed-forward shape's; end to end, tokenising on the CPU takes "
        f"{100 * bf16['tokenise_share']:.0f}% of the time",
        f"- the naive pipeline reads {100 * r['naive_tokens'] / r['tokens']:.0f}% of the tokens ours reads "
        "(it truncates at 512)",
    ]
    if attention := r.get("attention"):
        lines += ["", f"Attention kernels, bf16 ({attention['note']}):", ""]
        lines += ["| variant | first pass, articles/s | second pass |", "|---|---|---|"]
        lines += [
            f"| {k} | {v['cold_articles_per_s']:.0f} | {v['warm_articles_per_s']:.0f} |"
            for k, v in attention["variants"].items()
        ]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="step", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("kit", type=Path)
    p.add_argument("--model", default=None, help="a model tag (default: the promoted one)")
    p.add_argument("--registry", default=None, help="the registry's name (default: article-tagger)")
    m = sub.add_parser("measure")
    m.add_argument("kit", type=Path)
    m.add_argument("--out", type=Path, required=True)
    m.add_argument("--device", default="cuda", help="cuda; cpu only to try the script where no GPU is")
    m.add_argument("--repeat", type=int, default=REPEAT)
    m.add_argument("--limit", type=int, default=0, help="the first N articles only (0: all)")
    r = sub.add_parser("report")
    r.add_argument("result", type=Path)
    args = ap.parse_args()
    if args.step == "prepare":
        prepare(args.kit, args.model, args.registry)
    elif args.step == "measure":
        args.out.mkdir(parents=True, exist_ok=True)
        measure(args.kit, args.out, args)
    else:
        report(args.result)


if __name__ == "__main__":
    main()
