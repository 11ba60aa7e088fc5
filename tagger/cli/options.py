"""Flags several `tagger` commands take, defined once."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from training.config import DEFAULT_CONFIG, RunConfig

if TYPE_CHECKING:
    from tagger.engine.registry import Registry


def add_config_flag(parser: argparse.ArgumentParser, what: str) -> None:
    """`--config NAME|FILE`: a training config (a YAML file, or the name of one in
    training/configs/), and `--set KEY=VALUE` overrides of its keys, the same on every command;
    `what` says what this command takes from it."""
    parser.add_argument(
        "--config",
        default=DEFAULT_CONFIG,
        metavar="NAME|FILE",
        help=f"training config: {what} (default: {DEFAULT_CONFIG})",
    )
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override one config key, e.g. --set train.epochs=3 or --set registry.name=mine (repeatable)",
    )


def config_name(args: argparse.Namespace) -> str:
    """The config as a run's report names it: --config plus any --set."""
    return str(args.config) + "".join(f" --set {o}" for o in args.overrides)


def train_command(config: str) -> str:
    """The command that trains a model into `config`'s store, for messages."""
    return "`tagger train`" if config == DEFAULT_CONFIG else f"`tagger train --config {config}`"


def chosen_model(registry, model: str | None, config: str) -> str:
    """The full tag of `--model`, else of the config's promoted model (a `Registry`'s); LookupError
    naming the command that trains one when there is none."""
    tag = model or registry.promoted()
    if tag is None:
        raise LookupError(f"no promoted {registry.name} model; train one with {train_command(config)}")
    return registry.full_tag(tag)


def warn_if_outdated(cfg: RunConfig, registry: Registry, tag: str, config: str) -> None:
    """Say on stderr when `tag`, the config's promoted model, was started from or taught by a model
    its store has since replaced (a fast model after the default was retrained), and how to retrain."""
    from training.stored import outdated_bases  # loads the registry (bentoml): only where used

    if tag != registry.promoted():
        return  # a model the user chose by tag
    for line in outdated_bases(cfg, registry.metadata(tag)):
        print(f"warning: {tag}: {line}; retrain it with {train_command(config)}", file=sys.stderr)
