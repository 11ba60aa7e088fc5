"""Run configs: derived configs list only their differences; unknown keys are errors."""

import re

import pytest

from training.config import load_config


def test_derived_config_overrides_only_its_differences(tmp_path):
    p = tmp_path / "mine.yaml"
    p.write_text("extends: tiny\ntrain:\n  epochs: 7\n")
    cfg, base = load_config(p), load_config("tiny")
    assert cfg.train.epochs == 7
    assert cfg.train.model_copy(update={"epochs": base.train.epochs}) == base.train
    assert load_config("accurate").encoder.pretrained == "all-mpnet-base-v2"
    assert load_config("accurate").data == load_config("default").data  # not listed there: inherited
    fast, default = load_config("fast"), load_config("default")
    assert (fast.encoder.init_from, fast.encoder.intermediate_size, fast.train.epochs) == (
        "article-tagger",
        640,
        1,
    )
    assert fast.windows == default.windows and fast.augment == default.augment  # not listed there: inherited


def test_a_typo_names_the_key(tmp_path):
    p = tmp_path / "typo.yaml"
    p.write_text("extends: tiny\ntrain:\n  epoch: 7\n")
    with pytest.raises(ValueError, match="unknown key 'train.epoch'"):
        load_config(p)
    with pytest.raises(ValueError, match="unknown key 'train.epoch'"):
        load_config("tiny", ["train.epoch=3"])
    p.write_text("data:\n  pahts: [labels]\n")  # in a full file too, not only a derived one
    with pytest.raises(ValueError, match="unknown key 'data.pahts'"):
        load_config(p)
    with pytest.raises(ValueError, match="'train.epochs'"):
        load_config("tiny", ["train.epochs=zero"])
    with pytest.raises(ValueError, match=re.escape("valid list, e.g. data.paths=[a, b]")):
        load_config("tiny", ["data.paths=labels,extra.jsonl"])  # a list is written in brackets


@pytest.mark.parametrize(
    "override, message",
    [
        ("data.split=[0.5, 0.5, 0.5]", "'data': .*split \\[0.5, 0.5, 0.5\\] must be three fractions"),
        ("windows.overlap=600", "'windows': .*overlap 600 must be < max_length - 2 \\(510\\)"),
        ("train.learning_rate=0", "'train.learning_rate': Input should be greater than 0"),
        ("distill.weight=1.5", "'distill.weight': Input should be less than or equal to 1"),
        ("calibration.topic_threshold=1", "'calibration.topic_threshold': Input should be less than 1"),
        # a misspelt set would quietly compare on the test split instead
        (
            "registry.promote_on=realnews",
            "registry.promote_on 'realnews' is not one of eval_sets \\(realnews-dev, seeds\\)",
        ),
    ],
)
def test_values_that_cannot_work_are_refused_before_any_work(override, message):
    with pytest.raises(ValueError, match=message):
        load_config("default", [override])


def test_label_paths_without_articles_are_named(tmp_path, schema):
    from training.data import load_articles

    (tmp_path / "empty.jsonl").write_text("")
    with pytest.raises(ValueError, match=f"no labelled articles in {tmp_path}"):
        load_articles([tmp_path], schema)


def test_the_smoke_config_never_stores_into_the_served_models():
    """`tagger train --config tiny` (random weights) must not become the model `make run` serves."""
    names = {load_config(c).registry.name for c in ("default", "accurate", "fast", "tiny")}
    assert names == {
        "article-tagger",
        "article-tagger-accurate",
        "article-tagger-fast",
        "article-tagger-tiny",
    }


def test_one_data_path_has_one_spelling_so_the_config_hash_names_the_data():
    from training.config import config_hash

    spellings = [load_config("default", [f"data.paths=[{p}]"]) for p in ("labels", "labels/", "./labels")]
    assert {tuple(c.data.paths) for c in spellings} == {("labels",)}
    assert len({config_hash(c) for c in spellings}) == 1
