"""The `tagger` command: one entry point, each feature adds its own subcommands."""

from __future__ import annotations

import argparse
import sys

from tagger import labels_cli, score_cli, serve_cli
from training import cli as training_cli


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tagger", description="Tag news articles with topics and framing.")
    sub = parser.add_subparsers(dest="command", required=True)
    labels_cli.add_parsers(sub)
    training_cli.add_parsers(sub)
    serve_cli.add_parsers(sub)
    score_cli.add_parsers(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
