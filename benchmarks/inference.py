"""In-process inference: the naive `transformers.pipeline` way vs our engine, same articles.

    python benchmarks/inference.py [--model TAG] [--naive-model TAG] [--rounds N] [--limit N]

Naive = feature-extraction pipeline on the fine-tuned encoder (`--naive-model`, default the same
model as ours), fp32, truncated at 512 tokens, then the same pooling and heads, one article at a
time and with batch_size=16. Ours = Tagger.scores of `--model`: whole articles in overlapping
windows, length-bucketed token-budget batches, the backend and precision chosen for this CPU class
(OpenVINO bf16 on AMX; OpenVINO or PyTorch fp32, whichever times faster, on AVX2); and PyTorch with
int8 matmuls (opt-in). The fast config's model (`--model` from `article-tagger-fast`) against the
default's naive pipeline (`--naive-model`) is the "less work for the same labels" comparison. Ours
and the naive pipeline alternate for `--rounds` rounds and the medians are reported: a shared
host's speed drifts by a third within minutes.
Also reports label agreement with our own fp32 path, and achieved GFLOP/s against the machine's
measured matmul peak.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    alternating,
    check_peak,
    decisions,
    encoder_flops,
    machine,
    machine_line,
    naive_scores,
    save,
    say,
    test_split_articles,
    texts,
)

from tagger.engine.registry import Registry  # noqa: E402
from tagger.engine.runtime import (  # noqa: E402
    configure_threads,
    cpu_class,
    cpu_has_bf16,
    cpu_name,
    int8_refusal,
    matmul_seconds,
)
from tagger.engine.tagger import Tagger  # noqa: E402
from tagger.engine.windows import make_windows  # noqa: E402


def matmul_peak_gflops(
    dtype=torch.bfloat16, m: int = 2048, k: int = 2048, n: int = 2048, reps: int = 10
) -> float:
    """GFLOP/s of one (m x k) @ (k x n) matmul: square 2048 is the machine's peak; the encoder's own
    feed-forward shape (2048 tokens x hidden -> 4 x hidden) is what its layers can reach at best."""
    return 2 * m * k * n * reps / matmul_seconds(dtype, m, k, n, reps) / 1e9


def host_peak() -> dict:
    """The square matmul peak at the precision the engine uses on this CPU, measured now: a shared
    host's speed varies between runs (AMX has been seen at a third of its usual rate), so every
    result records the peak it ran beside."""
    dtype = torch.bfloat16 if cpu_has_bf16() else torch.float32
    return {"precision": "bf16" if dtype == torch.bfloat16 else "fp32", "gflops": matmul_peak_gflops(dtype)}


def layer_shape_peak_gflops(tagger: Tagger, dtype=torch.bfloat16) -> float:
    c = tagger.model.encoder.config
    return matmul_peak_gflops(dtype, 2048, c.hidden_size, c.intermediate_size, reps=50)


def timed(fn, n_articles: int) -> tuple[float, object]:
    t = time.perf_counter()
    out = fn()
    return n_articles / (time.perf_counter() - t), out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=None, help="ours: a model tag (default: the promoted default)")
    ap.add_argument("--naive-model", default=None, help="the naive pipeline's model (default: --model)")
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds of ours and naive")
    ap.add_argument("--limit", type=int, default=None)
    args = ap.parse_args()
    configure_threads()
    rows = test_split_articles(args.limit)
    docs = texts(rows)
    say(f"{len(docs)} articles; CPU {cpu_name()} ({cpu_class()})")
    store = Registry()  # loads any store's model from a full name:version tag
    fp32 = store.load(args.model, bf16=False, backend="torch")  # the reference
    ours = store.load(args.model, bf16="auto")
    naive = store.load(args.naive_model, bf16=False, backend="torch") if args.naive_model else fp32
    int8 = store.load(args.model, bf16="auto", int8=True, backend="torch") if int8_refusal() is None else None
    tok = ours.tokenizer
    n_tokens = [len(x) for x in tok(docs)["input_ids"]]
    short = [d for d, n in zip(docs, n_tokens) if n <= 512]

    ours.predict_proba(docs[:8])  # warm-up
    naive_scores(naive, docs[:2], None)
    results = {
        "machine": machine(),
        "model": ours.info.get("tag"),
        "naive_model": naive.info.get("tag"),
        "layers": {"ours": ours.model.encoder.config.num_hidden_layers},
        "articles": len(docs),
        "one_window_articles": len(short),
        "rounds": args.rounds,
        "bf16": bool(cpu_has_bf16()),
    }
    results["layers"]["naive"] = naive.model.encoder.config.num_hidden_layers
    win = make_windows(ours.tokenizer, docs, ours.max_length, ours.overlap).input_ids
    for name, subset in (("full_mix", docs), ("one_window", short)):
        say(f"ours and the naive pipeline one at a time, alternating, {name} ...")
        both = alternating(
            {
                "ours": lambda s=subset: ours.predict_proba(s),
                "naive": lambda s=subset: naive_scores(naive, s, None),
            },
            len(subset),
            args.rounds,
        )
        scores = both["ours"].pop("output")
        if name == "full_mix":
            s_ours = scores  # the last round's, for the label agreement below
        results[f"ours_{name}"] = both["ours"]
        results[f"naive_{name}"] = {
            "one_at_a_time_articles_per_s": both["naive"]["articles_per_s"],
            "one_at_a_time_rounds": both["naive"]["rounds"],
        }
    rate = results["ours_full_mix"]["articles_per_s"]
    flops = encoder_flops(ours, [len(w) for w in win])
    elapsed = len(docs) / rate
    dtype = torch.bfloat16 if cpu_has_bf16() else torch.float32
    peak, layer_peak = matmul_peak_gflops(dtype), layer_shape_peak_gflops(ours, dtype)
    results["ours_full_mix"].update(
        tokens_per_s=sum(len(w) for w in win) / elapsed,
        gflops=flops / elapsed / 1e9,
        matmul_peak_gflops=peak,
        layer_shape_peak_gflops=layer_peak,
    )
    check_peak(peak, {"ours": results["ours_full_mix"]["gflops"]})
    rate8, compile_s, s_int8 = 0.0, 0.0, None
    if int8 is not None:
        say("int8 (compiling first) ...")
        t = time.perf_counter()
        int8.predict_proba(docs[:8])  # compiles the quantise/dequantise steps
        compile_s = time.perf_counter() - t
        rate8, s_int8 = timed(lambda: int8.predict_proba(docs), len(docs))
        results["int8_full_mix"] = {"articles_per_s": rate8, "first_call_compile_s": compile_s}
        results["int8_one_window"] = {
            "articles_per_s": timed(lambda: int8.predict_proba(short), len(short))[0]
        }
        say(f"  {rate8:.1f} articles/s")
    else:
        results["int8_full_mix"] = results["int8_one_window"] = {
            "articles_per_s": 0.0,
            "refused": int8_refusal(),
        }
    say("label agreement with our fp32 path ...")
    s_fp32 = fp32.predict_proba(docs)
    ref = decisions(fp32, s_fp32.topics, s_fp32.framing)
    results["bf16_vs_fp32_label_agreement"] = float(
        (decisions(ours, s_ours.topics, s_ours.framing) == ref).mean()
    )
    results["int8_vs_fp32_label_agreement"] = (
        float((decisions(int8, s_int8.topics, s_int8.framing) == ref).mean()) if int8 is not None else None
    )

    # equal work: the naive path reads at most 512 tokens of an article, ours reads all of them
    read = {
        "full_mix": sum(min(n, 512) for n in n_tokens),
        "one_window": sum(n for n in n_tokens if n <= 512),
    }
    for name, subset in (("full_mix", docs), ("one_window", short)):
        say(f"naive pipeline in batches of 16, {name} ...")
        r1 = results[f"naive_{name}"]["one_at_a_time_articles_per_s"]
        results[f"naive_{name}"].update(
            batch16_articles_per_s=timed(lambda s=subset: naive_scores(naive, s, 16), len(subset))[0],
            one_at_a_time_tokens_per_s=read[name] * r1 / len(subset),
        )

    naive1 = results["naive_full_mix"]["one_at_a_time_articles_per_s"]
    naive1_short = results["naive_one_window"]["one_at_a_time_articles_per_s"]
    one_window_rate = results["ours_one_window"]["articles_per_s"]
    two_models = results["model"] != results["naive_model"]
    models = (
        f"ours: model {results['model']} ({results['layers']['ours']} layers); the naive pipeline: "
        f"model {results['naive_model']} ({results['layers']['naive']} layers)"
        if two_models
        else f"model {results['model']}"
    )
    rounds = ", ".join(
        f"{a:.1f} vs {b:.1f}"
        for a, b in zip(results["ours_full_mix"]["rounds"], results["naive_full_mix"]["one_at_a_time_rounds"])
    )
    table = "\n".join(
        [
            f"# In-process inference ({machine_line(results['machine'])})",
            "",
            f"{len(docs)} test-split articles ({len(short)} fit one 512-token window); {models}; "
            f"ours and the naive pipeline one at a time alternate for {args.rounds} rounds, medians shown",
            "",
            "| path | articles/s (full mix) | articles/s (one-window articles) |",
            "|---|---|---|",
            f"| naive pipeline, one at a time, fp32, truncated | {naive1:.1f} | {naive1_short:.1f} |",
            f"| naive pipeline, batch_size=16, fp32, truncated | {results['naive_full_mix']['batch16_articles_per_s']:.1f} "
            f"| {results['naive_one_window']['batch16_articles_per_s']:.1f} |",
            f"| ours (whole articles, {ours.runs_on} {ours.precision}) | {rate:.1f} | {one_window_rate:.1f} |",
            f"| ours + int8 matmuls (opt-in: `tagger score --int8`) | {rate8:.1f} "
            f"| {results['int8_one_window']['articles_per_s']:.1f} |"
            if int8 is not None
            else "| ours + int8 matmuls (opt-in: `tagger score --int8`) | refused on this class | refused |",
            "",
            f"- ours: {results['ours_full_mix']['tokens_per_s']:.0f} tokens/s, "
            f"{results['ours_full_mix']['gflops']:.0f} GFLOP/s achieved vs {peak:.0f} GFLOP/s measured (PyTorch) matmul peak "
            f"({100 * results['ours_full_mix']['gflops'] / peak:.0f}%), and vs {layer_peak:.0f} GFLOP/s for one matmul of "
            f"the encoder's feed-forward shape ({100 * results['ours_full_mix']['gflops'] / layer_peak:.0f}%); "
            f"backend {ours.runs_on}, {ours.precision}",
            f"- speed-up over the naive one-at-a-time pipeline: ours ({ours.precision}) {rate / naive1:.2f}x (full mix), "
            f"{one_window_rate / naive1_short:.2f}x (one-window); "
            + (
                f"int8 {rate8 / naive1:.2f}x, {results['int8_one_window']['articles_per_s'] / naive1_short:.2f}x"
                if int8 is not None
                else "int8 refused on this class"
            ),
            f"- each round on the full mix, ours vs naive (articles/s): {rounds}",
            f"- tokens read per second on the full mix: naive one at a time "
            f"{results['naive_full_mix']['one_at_a_time_tokens_per_s']:.0f} (truncated: "
            f"{100 * read['full_mix'] / sum(len(w) for w in win):.0f}% of the tokens ours reads), "
            f"ours {results['ours_full_mix']['tokens_per_s']:.0f}",
            f"- 4x the naive one-at-a-time rate on the full mix would take "
            f"{4 * naive1 / rate * results['ours_full_mix']['gflops']:.0f} GFLOP/s with our FLOPs per article",
            f"- label decisions agreeing with our own model in PyTorch fp32: ours "
            f"{100 * results['bf16_vs_fp32_label_agreement']:.2f}%, "
            + (
                f"int8 {100 * results['int8_vs_fp32_label_agreement']:.2f}%; int8's first call compiles for "
                f"{compile_s:.0f} s"
                if int8 is not None
                else f"int8 not run: {int8_refusal()}"
            ),
        ]
    )
    store = (results["model"] or "").split(":")[0].removeprefix("article-tagger")
    save(f"inference-{results['machine']['cpu_class']}{store}", results, table)


if __name__ == "__main__":
    main()
