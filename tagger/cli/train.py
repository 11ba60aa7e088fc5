"""`tagger train`, `tagger evaluate` and `tagger models`."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from tagger.cli.options import add_config_flag, chosen_model, config_name, train_command
from tagger.data.corpus import LabelFileError
from tagger.paths import runs_dir


def add_parsers(sub: argparse._SubParsersAction) -> None:
    train = sub.add_parser("train", help="train, evaluate, store and (maybe) promote a model")
    add_config_flag(train, "a YAML file, or the name of one in training/configs/")
    train.add_argument("--force", action="store_true", help="promote even if worse than the promoted model")
    train.add_argument("--runs-dir", type=Path, default=None, help="default: runs/ in the project folder")
    train.set_defaults(func=cmd_train)

    ev = sub.add_parser("evaluate", help="score a stored model on labelled files, with the same report")
    ev.add_argument("paths", nargs="+", help="labelled JSON Lines files/folders or Label Studio exports")
    ev.add_argument("--model", default=None, help="model tag (default: the --config's promoted model)")
    ev.add_argument(
        "-o", "--output", type=Path, default=None, help="report folder (default: runs/eval-<time>)"
    )
    add_config_flag(ev, "its promoted model, and its eval_sets scored too")
    ev.add_argument("--no-eval-sets", action="store_true", help="score only the given files")
    ev.add_argument("--overwrite", action="store_true", help="replace a report already in the -o folder")
    ev.set_defaults(func=cmd_evaluate)

    models = sub.add_parser("models", help="list stored models, marking the promoted one")
    models.add_argument(
        "--promote",
        metavar="TAG",
        help="make this stored model the promoted one (roll back or forward); the service loads it on start",
    )
    add_config_flag(models, "its stored models are listed")
    models.set_defaults(func=cmd_models)


def cmd_train(args: argparse.Namespace) -> int:
    from training.config import load_config
    from training.pipeline import run_training
    from training.report import REPORT_FILE

    try:
        cfg = load_config(args.config, args.overrides)
        result = run_training(cfg, config_name(args), args.runs_dir or runs_dir(), force=args.force)
    except (LabelFileError, ValueError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    state = "promoted" if result.promoted else "stored, NOT promoted"
    print(f"\nmodel {result.tag}: {state} ({result.reason})")
    print(f"report: {result.run_dir / REPORT_FILE}")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    """The stored model on the given files and on the run config's named evaluation sets (real
    news), beside the baselines' figures on those sets from the model's own training run."""
    from tagger.engine.registry import Registry
    from training.config import load_config
    from training.data import load_articles
    from training.pipeline import evaluate_tagger, load_eval_sets
    from training.report import REPORT_FILE, comparison_table, intervals_line, training_metrics, write_report

    if args.output is not None and args.output.exists() and not args.output.is_dir():
        print(f"error: -o {args.output}: a file, not a report folder", file=sys.stderr)
        return 2
    if args.output is not None and (args.output / REPORT_FILE).exists() and not args.overwrite:
        print(
            f"error: -o {args.output} already holds a report; pass --overwrite to replace it", file=sys.stderr
        )
        return 2
    try:
        cfg = load_config(args.config, args.overrides)
        registry = Registry(cfg.registry.name)  # accurate: article-tagger-accurate
        tagger = registry.load(chosen_model(registry, args.model, config_name(args)))
        sets = {", ".join(map(str, args.paths)): load_articles(args.paths, tagger.schema)}
        if not args.no_eval_sets:
            sets.update(load_eval_sets(cfg, tagger.schema))
    except (LookupError, LabelFileError, ValueError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    tag = tagger.info["tag"]
    trained = training_metrics(registry.path(tag))
    seen = seen_by(registry.path(tag), sets)
    results = {}
    for name, articles in sets.items():
        results[name] = {tag: evaluate_tagger(tagger, articles)}
        for baseline, metrics in trained.get(name, {}).items():
            if baseline != "fine-tuned" and metrics["n"] == len(articles):
                results[name][f"{baseline} (from training)"] = metrics
    out = args.output or runs_dir() / f"eval-{time.strftime('%Y-%m-%dT%H%M%S')}"
    run = {"model": tag, "data": ", ".join(sets), **({"seen_in_training": seen} if seen else {})}
    report = write_report(out, f"Evaluation of {tag}", results, tagger.schema, run)
    for name, per_model in results.items():
        print(f"\n{name}:\n" + comparison_table(per_model) + "\n" + intervals_line(per_model))
    print(f"report: {report}")
    return 0


def seen_by(model_dir: Path, sets: dict) -> dict[str, dict[str, int]]:
    """Per set, how many articles the model learnt from (warned on stderr); models stored before
    their training texts were recorded cannot say."""
    from training.data import TRAINED_ON_FILE, seen_in_training
    from training.report import seen_line

    path = model_dir / TRAINED_ON_FILE
    if not path.exists():
        print(
            "note: this model predates the record of its training texts; overlap not checked", file=sys.stderr
        )
        return {}
    out = seen_in_training(sets, json.loads(path.read_text()))
    for name, n in out.items():
        print(f"warning: {name}: {seen_line(n, len(sets[name]))}", file=sys.stderr)
    return out


def cmd_models(args: argparse.Namespace) -> int:
    from tagger.engine.registry import Registry
    from training.config import load_config

    try:
        registry = Registry(load_config(args.config, args.overrides).registry.name)
    except (ValueError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.promote is not None:
        if ":" in args.promote:  # a full tag names its own models (accurate: article-tagger-accurate)
            registry = Registry(args.promote.split(":")[0])
        try:
            tag = registry.full_tag(args.promote)
        except LookupError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        before = registry.promoted()
        if before == tag:
            print(f"{tag} is already the promoted model; nothing changed")
        else:
            registry.promote(tag)
            print(
                f"promoted {tag} (was {before or 'none'}); a running service keeps its model until restarted"
            )
    models = registry.list()
    if not models:
        print(f"no models stored; train one with {train_command(config_name(args))}")
        return 0
    print(f"{'':2}{'tag':40} {'created':17} {'topics F1':>9} {'framing F1':>10}  data")
    for m in models:
        md = m.metadata
        print(
            f"{'*' if m.promoted else ' ':2}{m.tag:40} {m.created:17} {md.get('topics_macro_f1', 0):9.3f} "
            f"{md.get('framing_macro_f1', 0):10.3f}  {str(md.get('data_hash', ''))[:12]}"
        )
    print("* = promoted (the model the service loads); F1 on each model's own test split, so models")
    print("trained on other data compare on `tagger evaluate` or their reports' real-news figures")
    return 0
