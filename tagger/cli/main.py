"""The `tagger` command: one entry point, each feature adds its own subcommands."""

from __future__ import annotations

import argparse
import os
import sys

from tagger.cli import labels, score, serve, train
from tagger.data.schema import SchemaError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tagger", description="Tag news articles with topics and framing.")
    sub = parser.add_subparsers(dest="command", required=True)
    for command in (labels, train, serve, score):
        command.add_parsers(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except FileNotFoundError as e:  # a file named on the command line, or the project's own
        print(f"error: {e.filename}: {e.strerror}" if e.filename else f"error: {e}", file=sys.stderr)
        return 2
    except SchemaError as e:  # --schema naming a file that is not one
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C: no traceback (`tagger score` also says how to resume)
        command = " ".join(filter(None, (args.command, getattr(args, "labels_command", None))))
        print(f"\ninterrupted: tagger {command} stopped", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `tagger models | head -1`: the reader left, nothing is wrong
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return 0
