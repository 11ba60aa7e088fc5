"""Run configs: derived configs list only their differences; unknown keys are errors."""

import pytest

from training.config import load_config


def test_derived_config_overrides_only_its_differences(tmp_path):
    p = tmp_path / "mine.yaml"
    p.write_text("extends: tiny\ntrain:\n  epochs: 7\n")
    cfg, base = load_config(p), load_config("tiny")
    assert cfg["train"]["epochs"] == 7
    assert {k: v for k, v in cfg["train"].items() if k != "epochs"} == {
        k: v for k, v in base["train"].items() if k != "epochs"
    }
    assert load_config("accurate")["encoder"]["pretrained"] == "all-mpnet-base-v2"
    assert load_config("accurate")["windows"] == load_config("default")["windows"]


def test_a_typo_names_the_key(tmp_path):
    p = tmp_path / "typo.yaml"
    p.write_text("extends: tiny\ntrain:\n  epoch: 7\n")
    with pytest.raises(ValueError, match="unknown key 'train.epoch'"):
        load_config(p)
    with pytest.raises(ValueError, match="unknown key 'train.epoch'"):
        load_config("tiny", ["train.epoch=3"])
