"""Shared helpers for the benchmark scripts: the article mix and result files."""

from __future__ import annotations

import contextlib
import json
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from tagger.data.corpus import load_labelled
from tagger.data.schema import LabelSchema
from tagger.data.split import split_articles
from tagger.engine.windows import article_text
from tagger.paths import labels_dir, project_dir


def results_dir() -> Path:
    """benchmarks/results/ in the project folder (run the scripts from the repository root)."""
    return project_dir() / "benchmarks" / "results"


def test_split_articles(limit: int | None = None) -> list[dict]:
    """The corpus's test split (a realistic mix of lengths, never trained on), as request bodies."""
    articles, _ = load_labelled([labels_dir()], LabelSchema.load())
    test = split_articles(articles)["test"]
    rows = [{"id": a.id, "title": a.title, "text": a.text} for a in test]
    return rows[:limit] if limit else rows


def texts(rows: list[dict]) -> list[str]:
    return [article_text(r["text"], r.get("title")) for r in rows]


def window_lengths(tagger, rows: list[dict]) -> list[list[int]]:
    """The lengths of the windows the model reads of each article (all of it, overlaps counted):
    what equal-work figures (tokens/s, GFLOP/s) are computed from."""
    from tagger.engine.windows import make_windows

    win = make_windows(tagger.tokenizer, texts(rows), tagger.max_length, tagger.overlap)
    lengths: list[list[int]] = [[] for _ in rows]
    for ids, i in zip(win.input_ids, win.article_index):
        lengths[i].append(len(ids))
    return lengths


def machine_line(m: dict) -> str:
    """The CPU, its class, cores and time, as every result's heading names them."""
    held = " (held to it by benchmarks/as-cpu)" if m.get("held_to") else ""
    return f"{m['cpu']}, {m['cpu_class']}{held}, {m['cores']} cores, {m['when']}"


def machine() -> dict:
    import os

    from tagger.engine.runtime import CPU_CLASS_ENV, available_cores, cpu_class, cpu_name

    return {
        "cpu": cpu_name() or platform.machine(),
        "cpu_class": cpu_class(),
        "held_to": os.environ.get(CPU_CLASS_ENV) or None,  # a smaller class acted out (benchmarks/as-cpu)
        "cores": available_cores(),
        "torch": torch.__version__,
        "cuda": torch.cuda.get_device_name() if torch.cuda.is_available() else None,
        "when": time.strftime("%Y-%m-%d %H:%M"),
    }


def run_measured(cmd: list[str], every: float = 1.0, **popen) -> tuple[float, float]:
    """Run a command to its end: (wall seconds, peak memory in MB of it and its children, sampled
    every `every` s). Memory is PSS: summed RSS would count pages that forked children share with
    their parent once per process. Reading PSS walks the page tables: every 0.1 s it took ~20% of
    a core from what it measured. Raises when it fails."""
    import subprocess

    import psutil

    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=project_dir(), **popen)
    ps, peak, said = psutil.Process(proc.pid), 0, start
    while proc.poll() is None:
        if time.perf_counter() - said >= 30:  # a long run is not silent
            said = time.perf_counter()
            print(f"  ... {said - start:.0f} s, peak memory so far {peak / 2**20:.0f} MB", flush=True)
        total = 0
        with contextlib.suppress(psutil.NoSuchProcess):  # children come and go between the calls
            for p in [ps, *ps.children(recursive=True)]:
                with contextlib.suppress(psutil.NoSuchProcess):
                    total += p.memory_full_info().pss
        peak = max(peak, total)
        time.sleep(every)
    proc.wait()
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed (exit {proc.returncode})")
    return wall, peak / 2**20


def check_peak(peak_gflops: float, achieved: dict[str, float]) -> None:
    """Refuse to write a result in which a path outran the matmul peak measured for it: the host was
    busy while the peak was timed (on a shared 2-core machine one such run measured 9 GFLOP/s), and
    every share of the peak in that file would be wrong. The committed result stays as it was."""
    over = {name: g for name, g in achieved.items() if g > peak_gflops}
    if over:
        said = ", ".join(f"{name} {g:.0f}" for name, g in over.items())
        raise SystemExit(
            f"GFLOP/s above the {peak_gflops:.0f} GFLOP/s matmul peak measured for this run ({said}): the "
            "host was busy while the peak was timed; nothing written, re-run on a quiet machine"
        )


def save(name: str, payload: dict, table: str) -> None:
    results = results_dir()
    results.mkdir(parents=True, exist_ok=True)
    (results / f"{name}.json").write_text(json.dumps(payload, indent=2))
    (results / f"{name}.md").write_text(table + "\n")
    print(table)
    print(f"\nwrote {results / name}.json and .md")


def say(message: str) -> None:
    print(message, flush=True)


def alternating(runs: dict[str, Callable[[], object]], n_articles: int, rounds: int) -> dict[str, dict]:
    """Each run once per round, in turn, so that a host's drift falls on all of them alike:
    {name: {articles_per_s (the median), rounds: [each round's rate], output: the last round's}}."""
    rates: dict[str, list[float]] = {name: [] for name in runs}
    outputs: dict[str, object] = {}
    for r in range(rounds):
        for name, fn in runs.items():
            t = time.perf_counter()
            outputs[name] = fn()
            rates[name].append(n_articles / (time.perf_counter() - t))
        say(f"  round {r + 1}: " + ", ".join(f"{k} {v[-1]:.1f}" for k, v in rates.items()) + " articles/s")
    return {
        k: {"articles_per_s": statistics.median(v), "rounds": v, "output": outputs[k]}
        for k, v in rates.items()
    }


def flops_by_part(config, window_lengths: list[int]) -> dict[str, float]:
    """Forward FLOPs of an encoder of this config over these windows: its dense layers (query, key,
    value, output and feed-forward matmuls) and attention (scores and weighted sum)."""
    d, ff, layers = config.hidden_size, config.intermediate_size, config.num_hidden_layers
    return {
        "dense layers": float(sum(layers * 2 * L * (4 * d * d + 2 * d * ff) for L in window_lengths)),
        "attention": float(sum(layers * 4 * L * L * d for L in window_lengths)),
    }


def encoder_flops(tagger, window_lengths: list[int]) -> float:
    """Forward FLOPs of the encoder: dense layers plus attention, per window."""
    return sum(flops_by_part(tagger.model.encoder.config, window_lengths).values())


def naive_scores(tagger, docs: list[str], batch_size: int | None) -> tuple[np.ndarray, np.ndarray]:
    """The naive way: transformers' feature-extraction pipeline on the tagger's encoder in fp32,
    truncated at 512 tokens, on the tagger's device; then the model's own pooling and heads."""
    from transformers import pipeline

    from tagger.engine.tagger import sigmoid

    enc = tagger.model.encoder.float()
    pipe = pipeline(
        "feature-extraction",
        model=enc,
        tokenizer=tagger.tokenizer,
        device=tagger.device,
        tokenize_kwargs={"truncation": True, "max_length": 512},
    )
    outs = pipe(docs, batch_size=batch_size) if batch_size else [pipe(d) for d in docs]
    emb, net, first = [], tagger.model, torch.zeros(1, dtype=torch.long)
    for o in outs:  # pooled as the model pools: its one (truncated) window, then the article
        h = torch.tensor(np.array(o), dtype=torch.float32).reshape(1, -1, enc.config.hidden_size)
        win = net.pool_tokens(h, torch.ones(h.shape[:2], dtype=torch.long))
        emb.append(net.pool_articles(win, first)[0])
    with torch.inference_mode():
        t, f = tagger.model.heads(torch.stack(emb).to(tagger.device))
    return sigmoid(t.float().cpu().numpy()), tagger.framing_probs(f.float().cpu().numpy())


def decisions(tagger, topics: np.ndarray, framing: np.ndarray) -> np.ndarray:
    """Each article's label decisions (one column per topic, then the framing): what agreement
    between two paths is counted on."""
    th = np.array([tagger.thresholds.get(t, 0.5) for t in tagger.schema.topics])
    return np.concatenate([topics >= th, framing.argmax(1)[:, None]], axis=1)
