"""What a run fine-tunes: the pretrained encoder with new heads, or a stored model's fine-tuned
encoder and heads (`encoder.init_from`), cut to a student's depth (`encoder.layers`). Narrowing
(`encoder.intermediate_size`) comes later, once the training windows to rank units on exist."""

from __future__ import annotations

import random
from dataclasses import dataclass

import datasets

from tagger.data.schema import LabelSchema
from tagger.engine.encoder import build_encoder, keep_layers
from tagger.engine.network import TaggerNetwork
from training.config import RunConfig
from training.fit import seed_everything
from training.stored import load_stored

SAMPLE_WINDOWS = 256  # training windows the feed-forward units are ranked on (untuned; ~200 did as well)


@dataclass
class Start:
    model: TaggerNetwork
    tokenizer: object
    init_from: str | None = None  # the stored model started from, by full tag


def starting_network(cfg: RunConfig, schema: LabelSchema) -> Start:
    seed_everything(cfg.train.seed)  # new heads (and a random BERT) are drawn from the run's seed
    e = cfg.encoder
    if e.init_from is None:
        encoder, tokenizer = build_encoder(e.pretrained, e.random_init, e.layers)
        model = TaggerNetwork(encoder, len(schema.topics), len(schema.framings), cfg.train.dropout, e.pooling)
        return Start(model, tokenizer)
    stored = load_stored("encoder.init_from", e.init_from, cfg, schema)
    model = stored.model.float()
    if model.pooling != e.pooling:
        raise ValueError(
            f"encoder.init_from '{stored.info['tag']}' pools windows by {model.pooling} "
            f"(this run: encoder.pooling {e.pooling})"
        )
    if e.layers:
        keep_layers(model.encoder, e.layers)
    model.dropout.p = cfg.train.dropout
    return Start(model, stored.tokenizer, stored.info["tag"])


def sample_windows(ds: datasets.Dataset, seed: int, n: int = SAMPLE_WINDOWS) -> list[list[int]]:
    """Up to n training windows (token ids), drawn from rows in a seeded order."""
    rows = list(range(len(ds)))
    random.Random(seed).shuffle(rows)
    out: list[list[int]] = []
    for row in rows:
        out.extend(ds[row]["windows"])
        if len(out) >= n:
            break
    return out[:n]
