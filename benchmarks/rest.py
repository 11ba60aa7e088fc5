"""The REST service under load from a separate process, at 1, 8 and 32 concurrent clients.

    python benchmarks/rest.py [--duration 20] [--int8]
Serves the promoted model with `bentoml serve` on a free localhost port, runs load_client.py
against it with and without evidence, measures the service's resident memory (all its
processes) and, for reference, the same model's in-process time on the 400-word article;
writes benchmarks/results/rest-<CPU class>.{json,md} (with --int8, served with TAGGER_INT8=1:
rest-int8-<CPU class>.*; --name to choose). Requests/s beside equal-work figures: the tokens the
model reads of the articles answered, and the square matmul peak measured before the run (a shared
host's speed varies).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    check_peak,
    encoder_flops,
    machine,
    machine_line,
    save,
    test_split_articles,
    window_lengths,
)
from inference import host_peak  # noqa: E402

from service.local_server import LocalServer  # noqa: E402

HERE = Path(__file__).resolve().parent


def rss_mb(proc: subprocess.Popen) -> float:
    p = psutil.Process(proc.pid)
    return sum(q.memory_info().rss for q in [p, *p.children(recursive=True)]) / 2**20


MODES = {"with evidence": False, "labels only": True}  # name -> load_client --labels-only


def load(
    port: int,
    rows: list[dict],
    work: list[tuple[int, float]],
    concurrency: int,
    duration: float,
    labels_only: bool = False,
) -> dict:
    """One load level; `work[i]` is (tokens, encoder FLOPs) of rows[i]: the equal-work figures."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(rows, f)
    out = subprocess.run(
        [
            sys.executable,
            str(HERE / "load_client.py"),
            "--port",
            str(port),
            "--concurrency",
            str(concurrency),
            "--duration",
            str(duration),
            "--articles",
            f.name,
            *(["--labels-only"] if labels_only else []),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    os.unlink(f.name)
    res = json.loads(out.stdout)
    answered = res.pop("answered")
    res["tokens_per_s"] = sum(n * t for n, (t, _) in zip(answered, work)) / res["wall_s"]
    res["gflops"] = sum(n * f for n, (_, f) in zip(answered, work)) / res["wall_s"] / 1e9
    mode = "labels only" if labels_only else "with evidence"
    print(
        f"  {concurrency} client(s), {mode}: {res['requests_per_s']:.1f} requests/s, {res['tokens_per_s']:,.0f} tokens/s",
        flush=True,
    )
    return res


def cpu_split(proc: subprocess.Popen, run) -> tuple[object, dict[str, float]]:
    """Run `run()` and say where the CPU time went meanwhile: core-seconds of the service's process
    (API and model), of `bentoml serve`'s supervisor, of the load client, and the wall time."""

    def per_process() -> dict[int, tuple[str, float]]:
        out = {}
        for p in [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                name = "service (API and model, one process)" if p.pid != proc.pid else "supervisor"
                t = p.cpu_times()
                out[p.pid] = (name, t.user + t.system)
        return out

    before, clients_before, t0 = (
        per_process(),
        resource.getrusage(resource.RUSAGE_CHILDREN),
        time.perf_counter(),
    )
    result = run()
    after, clients_after = per_process(), resource.getrusage(resource.RUSAGE_CHILDREN)
    split: dict[str, float] = {"wall_s": time.perf_counter() - t0}
    for pid, (name, cpu) in after.items():
        split[name] = split.get(name, 0.0) + cpu - before.get(pid, (name, 0.0))[1]
    split["load client"] = (clients_after.ru_utime + clients_after.ru_stime) - (
        clients_before.ru_utime + clients_before.ru_stime
    )
    return result, split


def equal_work(tagger, rows: list[dict]) -> list[tuple[int, float]]:
    """(tokens read, encoder FLOPs) of each article, all its windows counted."""
    return [(sum(w), encoder_flops(tagger, w)) for w in window_lengths(tagger, rows)]


def article_of_words(rows: list[dict], words: int) -> dict:
    best = min(rows, key=lambda r: abs(len(r["text"].split()) - words))
    return {"id": best["id"], "text": " ".join(best["text"].split()[:words])}


def promoted_annotator(int8: bool):
    """The served model, loaded in this process as the service loads it."""
    from tagger.engine.registry import Registry
    from tagger.results.annotate import Annotator

    return Annotator(Registry().load(int8=int8))


def in_process_ms(annotator, article: dict, repeats: int = 10) -> dict[str, float]:
    """Median time of the model on one article in this process: what HTTP and batching add."""
    out = {}
    for mode, labels_only in MODES.items():
        annotator.annotate([article], evidence=not labels_only)  # warm-up
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            annotator.annotate([article], evidence=not labels_only)
            times.append((time.perf_counter() - t) * 1000)
        out[mode] = float(np.median(times))
    return out


def in_process_rate(annotator, rows: list[dict], call_size: int, seconds: float = 20) -> float:
    """Labels-only articles/s of the model in this process, in calls of `call_size` articles and
    no HTTP: the bar REST throughput is measured against (8 clients can have at most 8 articles in
    flight; the service merges up to 8 into one model call)."""
    annotator.annotate(rows[:call_size], evidence=False)  # warm-up
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        batch = [rows[(done + i) % len(rows)] for i in range(call_size)]
        annotator.annotate(batch, evidence=False)
        done += len(batch)
    return done / (time.perf_counter() - start)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=float, default=20)
    ap.add_argument("--int8", action="store_true", help="serve with int8 matmuls (TAGGER_INT8=1)")
    ap.add_argument("--name", default=None, help="result file name (default rest[-int8]-<CPU class>)")
    args = ap.parse_args()
    rows = test_split_articles()
    print("the matmul peak, and the served model in this process ...", flush=True)
    peak = host_peak()  # measured before the server starts, on idle cores
    annotator = promoted_annotator(args.int8)
    article400 = article_of_words(rows, 400)
    work, work400 = equal_work(annotator.tagger, rows), equal_work(annotator.tagger, [article400])
    with LocalServer(env={"TAGGER_INT8": "1" if args.int8 else "0"}, timeout=300) as server:
        port, proc = server.port, server.proc
        idle = rss_mb(proc)
        print(f"serving on port {port}; warming up ...", flush=True)
        for labels_only in MODES.values():  # warm-up (int8 compiles at the first request)
            load(port, rows[:8], work[:8], 1, 3, labels_only)
        results = {
            "machine": machine(),
            "matmul_peak": peak,
            "int8": args.int8,
            "idle_rss_mb": idle,
            "modes": {},
        }
        for mode, labels_only in MODES.items():
            runs = []
            for c in (1, 8, 32):
                if labels_only and c == 8:  # the run the in-process bar is set for: where does the CPU go?
                    run, results["cpu_split_labels_only_8"] = cpu_split(
                        proc, lambda: load(port, rows, work, 8, args.duration, True)
                    )
                else:
                    run = load(port, rows, work, c, args.duration, labels_only)
                runs.append(run)
            results["modes"][mode] = {
                "one_client_400_words": load(port, [article400], work400, 1, args.duration, labels_only),
                "runs": runs,
            }
        results["loaded_rss_mb"] = rss_mb(proc)
    print("the same model in this process ...", flush=True)
    results["in_process_400_words_ms"] = in_process_ms(annotator, article400)
    results["in_process_labels_only_articles_per_s"] = {
        n: in_process_rate(annotator, rows, n, args.duration) for n in (8, 16)
    }
    rest8 = next(r for r in results["modes"]["labels only"]["runs"] if r["concurrency"] == 8)
    check_peak(peak["gflops"], {"labels only, 8 clients": rest8["gflops"]})
    lines = [
        f"# REST service under load{' with int8 matmuls' if args.int8 else ''} "
        f"({machine_line(results['machine'])})",
        "",
        f"Test-split articles, {args.duration:.0f} s per level, load from a separate process. Article "
        "tokens/s: the tokens the model reads of the articles answered (all their windows; evidence "
        f"scores each sentence again on top). Square {peak['precision']} matmul peak measured before the "
        f"run: {peak['gflops']:.0f} GFLOP/s; labels only at 8 clients the encoder did {rest8['gflops']:.0f} "
        f"GFLOP/s of work ({100 * rest8['gflops'] / peak['gflops']:.0f}% of it).",
        "",
        "| mode | clients | requests/s | article tokens/s | p50 ms | p95 ms | p99 ms | errors |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for mode, m in results["modes"].items():
        for r in m["runs"]:
            lines.append(
                f"| {mode} | {r['concurrency']} | {r['requests_per_s']:.1f} | {r['tokens_per_s']:,.0f} | {r['p50_ms']:.0f} "
                f"| {r['p95_ms']:.0f} | {r['p99_ms']:.0f} | {r['errors']} |"
            )
    lines.append("")
    for mode, m in results["modes"].items():
        p400 = m["one_client_400_words"]
        lines.append(
            f"- {mode}, one client, 400-word article: p50 {p400['p50_ms']:.0f} ms, p99 {p400['p99_ms']:.0f} ms "
            f"(the model alone, in-process: {results['in_process_400_words_ms'][mode]:.0f} ms)"
        )
    lines.append(
        f"- labels only, 8 clients: {rest8['requests_per_s']:.1f} requests/s against the same model in-process "
        "on the same articles, no HTTP: "
        + ", ".join(
            f"{100 * rest8['requests_per_s'] / rate:.0f}% of {rate:.1f} articles/s in calls of {n}"
            for n, rate in results["in_process_labels_only_articles_per_s"].items()
        )
        + "; the load client runs on the same cores"
    )
    split = results["cpu_split_labels_only_8"]
    cores = results["machine"]["cores"]
    lines.append(
        f"- where the {cores} cores went in that run ({split['wall_s']:.0f} s, {cores * split['wall_s']:.0f} "
        "core-seconds): "
        + ", ".join(
            f"{k} {v:.1f} ({100 * v / (cores * split['wall_s']):.0f}%)"
            for k, v in split.items()
            if k != "wall_s"
        )
    )
    reasons = sum(
        (Counter(r["error_reasons"]) for m in results["modes"].values() for r in m["runs"]), Counter()
    )
    lines += [
        f"- resident memory of the service (all processes): {idle:.0f} MB idle, "
        f"{results['loaded_rss_mb']:.0f} MB after load",
        *(f"- error: {k} (x{v})" for k, v in reasons.items()),
    ]
    name = args.name or f"{'rest-int8' if args.int8 else 'rest'}-{results['machine']['cpu_class']}"
    save(name, results, "\n".join(lines))


if __name__ == "__main__":
    main()
