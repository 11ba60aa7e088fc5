"""The `tagger labels ...` subcommands: check, doubts, import-ls, export-ls."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tagger.cli.io_paths import io_problem, kept_output
from tagger.cli.options import add_config_flag, config_name
from tagger.data import labelstudio
from tagger.data.corpus import LABEL_SUFFIXES, label_files, load_labelled
from tagger.data.corpus_check import duplicate_problems, format_corpus_summary, summarize_corpus
from tagger.data.dedup import near_duplicates
from tagger.data.records import Article, Problem, iter_json_lines, json_type
from tagger.data.schema import LabelSchema
from tagger.data.shortcuts import shortcut_problems
from tagger.paths import labels_dir
from tagger.scoring.files import FORMATS


def add_parsers(sub: argparse._SubParsersAction) -> None:
    labels = sub.add_parser("labels", help="check and convert label files").add_subparsers(
        dest="labels_command", required=True
    )

    check = labels.add_parser("check", help="validate label files and print a corpus summary")
    check.add_argument(
        "paths",
        nargs="*",
        default=None,
        help="JSON Lines files, Label Studio exports (.json) or folders of them (default: the project's labels/)",
    )
    add_config_flag(check, "named files are also checked against its data.paths (ids, near-copies)")
    check.add_argument("--alone", action="store_true", help="check the named files by themselves")
    check.set_defaults(func=cmd_check)

    doubts = labels.add_parser(
        "doubts", help="list topic labels that out-of-fold baselines doubt: what to re-read, blind"
    )
    doubts.add_argument("paths", nargs="*", default=None, help="label files or folders (default: labels/)")
    doubts.add_argument("-o", "--output", type=Path, required=True, help="JSON Lines, one doubt per line")
    doubts.add_argument("--share", type=float, default=0.06, help="doubted per topic and side (default 0.06)")
    doubts.add_argument("--tfidf-only", action="store_true", help="skip the frozen-encoder detector")
    add_config_flag(doubts, "the encoder to embed with")
    doubts.set_defaults(func=cmd_doubts)

    imp = labels.add_parser("import-ls", help="convert a Label Studio JSON export to our JSON Lines")
    imp.add_argument("export", type=Path, help="Label Studio's JSON export (Export > JSON)")
    imp.add_argument(
        "-o", "--output", type=Path, required=True, help="JSON Lines of labelled articles to write"
    )
    imp.set_defaults(func=cmd_import)

    exp = labels.add_parser("export-ls", help="write unlabelled articles as Label Studio tasks")
    exp.add_argument("input", type=Path, help="JSON Lines with at least id and text")
    exp.add_argument("-o", "--output", type=Path, required=True, help="tasks JSON file")
    exp.add_argument(
        "--xml",
        type=Path,
        help="where to write Label Studio's labelling config (default: next to the tasks, <name>.config.xml)",
    )
    exp.set_defaults(func=cmd_export)
    for p in (check, doubts, imp, exp):
        p.add_argument("--schema", type=Path, default=None, help="default: labels/schema.yaml")
    for p in (doubts, imp, exp):
        p.add_argument("--overwrite", action="store_true", help="replace an output file that exists")


def _report(problems: list[Problem]) -> None:
    for p in problems:
        print(p, file=sys.stderr)


def training_files_besides(paths: list[str], config: str, overrides: list[str]) -> list[Path]:
    """The label files a training run with `config` reads, other than `paths`: named files are
    checked against them, since an id or a near-copy that clashes there fails only at training."""
    from training.config import load_config
    from training.data import resolve_paths

    named = {p.resolve() for p in label_files(paths)}
    data = label_files(resolve_paths(load_config(config, overrides).data.paths))
    return [f for f in data if f.exists() and f.suffix.lower() in LABEL_SUFFIXES and f.resolve() not in named]


def cross_problems(named: list[Article], context: list[Path], paths: list[str], schema) -> list[Problem]:
    """What only shows with the other label files read too: an id they already hold, and a
    near-copy of one of their articles, each reported at the named file's article."""
    together, problems = load_labelled([*context, *paths], schema)  # named files last: theirs the clash
    at_named = {str(f) for f in label_files(paths)}
    out = [p for p in problems if p.path in at_named and "duplicate id" in p.message]
    ids = {a.id for a in named}
    by_id = {**{a.id: a for a in together}, **{a.id: a for a in named}}  # the named article's own place
    pairs = near_duplicates({a.id: a.text for a in together})
    crossing = [(b, a, j) if a in ids else (a, b, j) for a, b, j in pairs if (a in ids) != (b in ids)]
    return out + duplicate_problems(crossing, list(by_id.values()))


def cmd_check(args: argparse.Namespace) -> int:
    schema = LabelSchema.load(args.schema)
    try:
        context = (
            []
            if args.alone or not args.paths
            else training_files_besides(args.paths, args.config, args.overrides)
        )
    except (ValueError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    named_files = bool(args.paths)
    args.paths = args.paths or [str(labels_dir())]
    articles, problems = load_labelled(args.paths, schema)
    if articles:
        summary = summarize_corpus(articles, schema)
        print(format_corpus_summary(summary, schema))
        problems += duplicate_problems(summary.duplicates, articles)
        problems += [
            Problem(", ".join(args.paths), 0, msg)
            for msg in shortcut_problems(summary.shortcuts, len(articles))
        ]
    if context:
        problems += [p for p in cross_problems(articles, context, args.paths, schema) if p not in problems]
        print(
            f"\nchecked against the {len(context)} other label file(s) of --config {config_name(args)} (ids, "
            "near-copies)"
        )
    elif named_files and not args.alone:
        print(f"\n--config {config_name(args)} reads no other label files: checked alone")
    if problems:
        _report(problems)
        print(f"\nFAILED: {len(problems)} problem(s) in label files", file=sys.stderr)
        return 1
    print(f"\nOK: {len(articles)} article{'' if len(articles) == 1 else 's'} valid")
    return 0


def cmd_doubts(args: argparse.Namespace) -> int:
    from training import baselines, doubts  # scikit-learn and the encoder: only for this command
    from training.config import load_config

    if not 0 < args.share <= 1:
        print(
            f"--share {args.share}: expected a share of each topic's labels, above 0 and at most 1",
            file=sys.stderr,
        )
        return 2
    if problem := kept_output(args.output, overwrite=args.overwrite):
        print(f"error: {problem}", file=sys.stderr)
        return 2
    schema = LabelSchema.load(args.schema)
    articles, problems = load_labelled(args.paths or [str(labels_dir())], schema)
    if problems:
        _report(problems)
        print(f"\nFAILED: {len(problems)} problem(s) in label files; no doubts computed", file=sys.stderr)
        return 1
    if problem := doubts.too_few(articles, schema):
        print(f"error: {problem}", file=sys.stderr)
        return 2
    detectors = {"tfidf": baselines.tfidf_features}
    try:
        pretrained = load_config(args.config, args.overrides).encoder.pretrained
    except (ValueError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if pretrained and not args.tfidf_only:  # a config with a random encoder has nothing to embed with
        detectors["frozen"] = doubts.cached_frozen_features(pretrained, schema, articles)
    try:
        scores = {name: doubts.out_of_fold_topics(articles, schema, make) for name, make in detectors.items()}
    except ValueError as e:  # scikit-learn's: a training fold without one of the labels
        print(f"error: {len(articles)} articles are too few to fit the baselines without each article's "
              f"fold ({e}); run it on the whole labels folder", file=sys.stderr)  # fmt: skip
        return 2
    found = doubts.doubted(articles, schema, scores, args.share)
    _write_jsonl(args.output, [d.to_record() for d in found])
    print(
        f"{len(found)} doubted topic labels on {len({d.id for d in found})} of {len(articles)} articles "
        f"(detectors: {', '.join(scores)}) written to {args.output}"
    )
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    if error := io_problem(args.export, args.output) or kept_output(args.output, overwrite=args.overwrite):
        print(f"error: {error}", file=sys.stderr)
        return 2
    records, problems, unannotated, task_ids = labelstudio.import_export(
        args.export, LabelSchema.load(args.schema)
    )
    _report(problems)
    if task_ids:
        print(
            f"note: {task_ids} task(s) have no 'id' in their data and are named by their Label Studio "
            "task id, which another project's export may repeat: give articles their own 'id'",
            file=sys.stderr,
        )
    left_out = f"; {unannotated} task(s) not annotated yet left out" if unannotated else ""
    if not records:  # an existing label file is not replaced by an empty one
        print(f"\nnothing imported from {args.export}{left_out}; {args.output} not written", file=sys.stderr)
        return 1
    _write_jsonl(args.output, records)
    print(
        f"wrote {len(records)} labelled articles to {args.output}; {len(problems)} task(s) skipped{left_out}"
    )
    return 1 if problems else 0


def cmd_export(args: argparse.Namespace) -> int:
    config = args.xml or args.output.with_suffix(".config.xml")
    if error := io_problem(args.input, args.output) or kept_output(
        args.output, config, overwrite=args.overwrite
    ):
        print(f"error: {error}", file=sys.stderr)
        return 2
    if FORMATS.get(args.input.suffix.lower(), "jsonl") != "jsonl":  # a CSV or Parquet file
        print(
            f"error: {args.input}: export-ls reads JSON Lines (one article object per line)", file=sys.stderr
        )
        return 2
    tasks, problems = [], []
    for n, obj, err in iter_json_lines(args.input):
        if err is None and not isinstance(obj.get("id"), str | int):
            err = f"field 'id': expected a string or a whole number, got {json_type(obj.get('id'))}"
        if err is None and not (isinstance(obj.get("text"), str) and obj["text"].strip()):
            err = f"field 'text': expected a non-empty string, got {json_type(obj.get('text'))}"
        if err:
            problems.append(Problem(str(args.input), n, err))
        else:
            tasks.append(labelstudio.to_task(obj))
    args.output.write_text(json.dumps(tasks, ensure_ascii=False, indent=1), encoding="utf-8")
    config.write_text(labelstudio.labelling_config(LabelSchema.load(args.schema)), encoding="utf-8")
    _report(problems)
    print(f"wrote {len(tasks)} tasks to {args.output} and the labelling config to {config}")
    return 1 if problems else 0


def _write_jsonl(path: Path, records: list[dict]) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    tmp.replace(path)
