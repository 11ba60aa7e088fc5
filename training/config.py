"""The run config: a YAML file plus `key.path=value` overrides, recorded with every run."""

from __future__ import annotations

import copy
import hashlib
from pathlib import Path

import yaml

from tagger.schema import REPO_ROOT

CONFIG_DIR = REPO_ROOT / "training" / "configs"
DEFAULT_CONFIG = CONFIG_DIR / "default.yaml"


def load_config(path: str | Path = DEFAULT_CONFIG, overrides: list[str] | None = None) -> dict:
    path = Path(path)
    if not path.exists() and (CONFIG_DIR / f"{path}.yaml").exists():
        path = CONFIG_DIR / f"{path}.yaml"  # `--config tiny` names a bundled config
    with open(path, encoding="utf-8") as f:
        cfg = yaml.safe_load(f)
    base = cfg.pop("extends", None)
    if base:  # a derived config lists only its differences from the one it extends
        cfg = merge(load_config(base), cfg, f"{path}")
    for item in overrides or []:
        apply_override(cfg, item)
    return cfg


def merge(base: dict, diff: dict, where: str, prefix: str = "") -> dict:
    """base with diff's values laid over it; a key the base does not have is an error (a typo)."""
    out = copy.deepcopy(base)
    for key, value in diff.items():
        if key not in out:
            raise ValueError(f"{where}: unknown key '{prefix}{key}' (known: {', '.join(out)})")
        if isinstance(value, dict) and isinstance(out[key], dict) and key != "eval_sets":
            out[key] = merge(out[key], value, where, f"{prefix}{key}.")
        else:
            out[key] = value
    return out


def apply_override(cfg: dict, item: str) -> None:
    """Set one key, e.g. `train.epochs=3` or `data.paths=[labels, extra.jsonl]` (value parsed as YAML)."""
    if "=" not in item:
        raise ValueError(f"override '{item}' must look like key.path=value")
    key, raw = item.split("=", 1)
    *parents, leaf = key.strip().split(".")
    node = cfg
    for p in parents:
        if not isinstance(node.get(p), dict):
            raise ValueError(f"override '{item}': unknown section '{p}'")
        node = node[p]
    if leaf not in node:
        raise ValueError(f"override '{item}': unknown key '{key}' (known here: {', '.join(node)})")
    node[leaf] = yaml.safe_load(raw)


def config_hash(cfg: dict) -> str:
    return hashlib.sha256(yaml.safe_dump(cfg, sort_keys=True).encode()).hexdigest()[:12]


def dump(cfg: dict) -> str:
    return yaml.safe_dump(copy.deepcopy(cfg), sort_keys=False)
