"""`tagger score INPUT -o OUTPUT [--model TAG] [--config NAME] [--engine local|spark]`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tagger.cli.options import add_config_flag, chosen_model, config_name, warn_if_outdated


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("score", help="score a JSON Lines, CSV or Parquet file (resumable)")
    p.add_argument("input", help="file with an 'id' and a 'text' field/column (Spark: any path Spark reads)")
    p.add_argument(
        "-o",
        "--output",
        required=True,
        help="output file; its extension sets the format: .jsonl (.json is JSON Lines too), .csv, .parquet "
        "(Spark: a folder of parts)",
    )
    p.add_argument("--model", default=None, help="model tag (default: the --config's promoted model)")
    add_config_flag(p, "its promoted model scores unless --model names one")
    p.add_argument(
        "--engine",
        choices=["local", "spark"],
        default="local",
        help="local: this process, resumable chunks; spark: a Spark session (default: local)",
    )
    p.add_argument(
        "--chunk-size",
        type=int,
        default=256,
        help="rows per atomically committed chunk (local engine; default: 256)",
    )
    p.add_argument(
        "--overwrite", action="store_true", help="replace a complete output / discard a partial one"
    )
    p.add_argument("--master", default=None, help="Spark master (with --engine spark; default local[*])")
    p.add_argument(
        "--int8",
        action="store_true",
        help="int8 matmuls: ~1.2-1.5x faster on big files after a ~15 s compile; labels agree with fp32 "
        "(see benchmarks/results/inference-<CPU class>.md); local engine only",
    )
    p.add_argument(
        "--backend",
        choices=["auto", "torch", "openvino"],
        default="auto",
        help="what runs the encoder (default: measured per CPU class, see README); local engine only",
    )
    p.set_defaults(func=cmd_score)


def cmd_score(args: argparse.Namespace) -> int:
    from tagger.engine.registry import Registry  # heavy (bentoml, torch): only for this command
    from training.config import load_config

    try:
        cfg = load_config(args.config, args.overrides)
        registry = Registry(cfg.registry.name)
        tag = chosen_model(registry, args.model, config_name(args))
        model_dir = registry.path(tag)
    except (LookupError, ValueError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    warn_if_outdated(cfg, registry, tag, config_name(args))
    if args.engine != "spark" and args.master is not None:
        print("error: --master is for --engine spark", file=sys.stderr)
        return 2
    if args.engine == "spark":
        for flag, used in (("--int8", args.int8), ("--backend", args.backend != "auto")):
            if used:
                print(f"error: {flag} is for --engine local", file=sys.stderr)
                return 2
        from pyspark.errors import AnalysisException

        from tagger.scoring.spark import failed_rows, score_with_spark

        try:
            rows, failed = score_with_spark(
                args.input,
                args.output,
                model_dir,
                tag,
                master=args.master or "local[*]",
                overwrite=args.overwrite,
            )
        except (ValueError, AnalysisException) as e:  # a missing input or column, said by Spark
            print(f"error: {str(e).splitlines()[0]}", file=sys.stderr)
            return 2
        print(f"scored {rows} rows with Spark into {args.output}")
        return 1 if failed_rows(failed) else 0
    return _score_local(Path(args.input), Path(args.output), tag, registry, args)


def _score_local(src: Path, out: Path, tag: str, registry, args) -> int:
    from tagger.cli.io_paths import io_problem
    from tagger.scoring.files import check_input, detect_format
    from tagger.scoring.job import (
        OutputExists,
        ScoreJob,
        complete_output,
        iter_output,
        job_manifest,
        other_partial_run,
        parts_folder,
    )
    from tagger.scoring.summary import format_score_summary, plot_score_summary, summarize_scores

    if problem := io_problem(src, out) or complete_output(out, args.overwrite):
        print(f"error: {problem}", file=sys.stderr)
        return 2
    try:
        check_input(src)
        detect_format(out)
        if args.chunk_size < 1:
            raise ValueError(f"--chunk-size must be at least 1, not {args.chunk_size}")
        manifest = job_manifest(src, out, tag, args.chunk_size)
        if not args.overwrite and (problem := other_partial_run(parts_folder(out), manifest)):
            raise ValueError(problem)
        tagger = registry.load(tag, int8=args.int8, backend=args.backend)
    except ValueError as e:  # e.g. int8 asked for on a CPU without int8 dot products
        print(f"error: {e}", file=sys.stderr)
        return 2
    from tagger.engine.runtime import machine_name, pick_device

    print(f"scoring with {tag}: {tagger.runs_on}, {tagger.precision}, on {machine_name(pick_device())}")
    try:
        job = ScoreJob(tagger.predict, tag, args.chunk_size)
        result = job.run(src, out, overwrite=args.overwrite, manifest=manifest)
    except (OutputExists, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            f"\ninterrupted: the chunks committed so far are kept in {out}.parts; run the same command "
            "again to carry on from there",
            file=sys.stderr,
        )
        return 130
    summary = summarize_scores(iter_output(out))
    chart = out.with_name(out.name + ".summary.png")
    plot_score_summary(summary, tagger.schema, chart)
    print(format_score_summary(summary, tagger.schema))
    if result.resumed_rows:
        print(f"\nresumed: the first {result.resumed_rows} input rows were already committed")
    print(f"\nwrote {out} and the chart {chart}")
    if not summary.n and not result.failed:  # not an error (a day with no articles), but said
        print(f"warning: {src} holds no rows to score (empty, or a CSV header only)", file=sys.stderr)
    if result.failed:
        print(
            f"{result.failed} row(s) failed; see {result.errors_path} (line numbers and reasons)",
            file=sys.stderr,
        )
        return 1
    return 0
