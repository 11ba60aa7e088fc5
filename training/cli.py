"""`tagger train`, `tagger evaluate` and `tagger models`."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from tagger.corpus import LabelFileError
from tagger.schema import REPO_ROOT

RUNS_DIR = REPO_ROOT / "runs"


def add_parsers(sub: argparse._SubParsersAction) -> None:
    train = sub.add_parser("train", help="train, evaluate, store and (maybe) promote a model")
    train.add_argument(
        "--config", default="default", help="a YAML file, or the name of one in training/configs/"
    )
    train.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override one config key, e.g. --set train.epochs=3 (repeatable)",
    )
    train.add_argument("--force", action="store_true", help="promote even if worse than the promoted model")
    train.add_argument("--runs-dir", type=Path, default=RUNS_DIR)
    train.set_defaults(func=cmd_train)

    ev = sub.add_parser("evaluate", help="score a stored model on labelled files, with the same report")
    ev.add_argument("paths", nargs="+", help="labelled JSON Lines files/folders or Label Studio exports")
    ev.add_argument("--model", default=None, help="model tag (default: the promoted model)")
    ev.add_argument(
        "-o", "--output", type=Path, default=None, help="report folder (default: runs/eval-<time>)"
    )
    ev.set_defaults(func=cmd_evaluate)

    models = sub.add_parser("models", help="list stored models, marking the promoted one")
    models.add_argument(
        "--promote",
        metavar="TAG",
        help="make this stored model the promoted one (roll back or forward); the service loads it on start",
    )
    models.add_argument("--name", default="article-tagger", help="registry name (config key registry.name)")
    models.set_defaults(func=cmd_models)


def cmd_train(args: argparse.Namespace) -> int:
    from training.config import load_config
    from training.pipeline import run_training

    try:
        cfg = load_config(args.config, args.overrides)
        result = run_training(cfg, str(args.config), args.runs_dir, force=args.force)
    except (LabelFileError, ValueError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    state = "promoted" if result.promoted else "stored, NOT promoted"
    print(f"\nmodel {result.tag}: {state} ({result.reason})")
    print(f"report: {result.run_dir / 'report.md'}")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from tagger.registry import Registry
    from training.data import load_articles
    from training.pipeline import evaluate_tagger
    from training.report import comparison_table, write_report

    try:
        tagger = Registry().load(args.model)
        articles = load_articles(args.paths, tagger.schema)
    except (LookupError, LabelFileError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    metrics = evaluate_tagger(tagger, articles)
    out = args.output or RUNS_DIR / f"eval-{time.strftime('%Y-%m-%dT%H%M%S')}"
    run = {"model": tagger.info["tag"], "data": ", ".join(map(str, args.paths))}
    report = write_report(
        out, f"Evaluation of {tagger.info['tag']}", {tagger.info["tag"]: metrics}, tagger.schema, run
    )
    print(comparison_table({tagger.info["tag"]: metrics}))
    print(f"report: {report}")
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    from tagger.registry import Registry

    registry = Registry(args.name)
    if args.promote:
        try:
            tag = registry.resolve(args.promote)
        except LookupError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        before = registry.promoted()
        registry.promote(tag)
        print(f"promoted {tag} (was {before or 'none'}); restart the service to load it")
    models = registry.list()
    if not models:
        print("no models stored; train one with `tagger train`")
        return 0
    print(f"{'':2}{'tag':40} {'created':17} {'topics F1':>9} {'framing F1':>10}  data")
    for m in models:
        md = m.metadata
        print(
            f"{'*' if m.promoted else ' ':2}{m.tag:40} {m.created:17} {md.get('topics_macro_f1', 0):9.3f} "
            f"{md.get('framing_macro_f1', 0):10.3f}  {str(md.get('data_hash', ''))[:12]}"
        )
    print("* = promoted (the model the service loads)")
    return 0
