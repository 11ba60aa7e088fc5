"""The `tagger` command: one entry point, each feature adds its own subcommands."""

from __future__ import annotations

import argparse

from tagger.cli import labels, score, serve, train


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tagger", description="Tag news articles with topics and framing.")
    sub = parser.add_subparsers(dest="command", required=True)
    for command in (labels, train, serve, score):
        command.add_parsers(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)
