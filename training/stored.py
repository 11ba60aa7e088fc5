"""Stored models a run builds on (a teacher, a model to start from): found by tag or by a store's
name, and checked to read what this run reads (the same labels, vocabulary and windows). Problems
name the config key and stop the run before any training."""

from __future__ import annotations

from tagger.data.schema import LabelSchema
from tagger.engine.registry import Registry
from tagger.engine.tagger import Tagger
from training.config import RunConfig, bundled_config_for, load_config


def resolve_tag(name_or_tag: str) -> str:
    """'name:version' as given, or a store's name for the model promoted in it."""
    if ":" in name_or_tag:
        return Registry().full_tag(name_or_tag)
    tag = Registry(name_or_tag).promoted()
    if tag is None:
        raise LookupError(f"no '{name_or_tag}' model is promoted: train it first (e.g. `tagger train`)")
    return tag


def load_stored(key: str, name_or_tag: str, cfg: RunConfig, schema: LabelSchema, tokenizer=None) -> Tagger:
    """The stored model that config key `key` names, if it reads what this run reads (its windows,
    and its vocabulary when the run's `tokenizer` is given)."""
    try:
        tag = resolve_tag(name_or_tag)
        tagger = Registry().load(tag)
    except LookupError as e:
        raise ValueError(f"{key} '{name_or_tag}': {e}") from None
    windows = cfg.windows
    problems = []
    if (tagger.schema.topics, tagger.schema.framings) != (schema.topics, schema.framings):
        problems.append("other labels")
    if tokenizer is not None and tagger.tokenizer.get_vocab() != tokenizer.get_vocab():
        problems.append("another tokenizer vocabulary")
    if (tagger.max_length, tagger.overlap) != (windows.max_length, windows.overlap):
        problems.append(
            f"{tagger.max_length}-token windows overlapping by {tagger.overlap} "
            f"(this run: {windows.max_length} by {windows.overlap})"
        )
    if problems:
        raise ValueError(f"{key} '{tag}' has {' and '.join(problems)}: it cannot read this run's windows")
    return tagger


def stored_bases(cfg: RunConfig) -> list[tuple[str, str, str]]:
    """(config key, metadata field, store) of each stored model the run builds on that it names by
    store, i.e. whatever that store has promoted (a full tag is the user's own fixed choice)."""
    named = (
        ("encoder.init_from", "init_from", cfg.encoder.init_from),
        ("distill.teacher", "teacher", cfg.distill.teacher),
    )
    return [(key, field, base) for key, field, base in named if base is not None and ":" not in base]


def bases_to_train(cfg: RunConfig) -> list[str]:
    """The bundled configs to train, in order, before `cfg` can run: those whose store this run
    starts from or learns from while it has no promoted model, their own bases first. `tagger serve
    --config fast` on a fresh machine thus trains the default model, then the fast one. A missing
    store no bundled config trains is an error that names the key."""
    order: list[str] = []
    for key, _, base in stored_bases(cfg):
        if Registry(base).promoted() is not None:
            continue
        name = bundled_config_for(base)
        if name is None:
            raise ValueError(
                f"{key} '{base}': no '{base}' model is promoted and no bundled config trains one"
            )
        for needed in [*bases_to_train(load_config(name)), name]:
            if needed not in order:
                order.append(needed)
    return order


def outdated_bases(cfg: RunConfig, metadata: dict) -> list[str]:
    """What a stored model of `cfg` (its `metadata`) was built from that its store has since
    replaced: a fast model cut from a default that was retrained and promoted after it. One line
    per config key; none when it was built from the promoted models, or from full tags."""
    lines = []
    for key, field, base in stored_bases(cfg):
        used, current = metadata.get(field), Registry(base).promoted()
        if used is not None and current is not None and current != used:
            lines.append(f"{key}: built from {used}, while the promoted {base} model is now {current}")
    return lines
