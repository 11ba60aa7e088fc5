"""`tagger labels doubts`: labels every out-of-fold detector ranks least likely, per topic and side."""

import json

import numpy as np
import pytest

from tagger.data.records import Article
from training.doubts import doubted

from conftest import run_tagger


def test_a_label_is_doubted_only_when_every_detector_ranks_it_least_likely(schema):
    topic = schema.topics[0]
    arts = [Article(f"a{i}", "text", [topic] if i < 10 else [], schema.framings[0]) for i in range(20)]
    rng = np.random.default_rng(0)
    both, one = (rng.uniform(0.6, 0.9, (20, len(schema.topics))) for _ in range(2))
    both[10:, 0] = one[10:, 0] = 0.1  # withheld articles look withheld to both detectors
    both[3, 0], one[3, 0] = 0.05, 0.02  # a1..a9 look given; a3 does not, to either detector
    both[4, 0] = 0.01  # a4 looks absent to one detector only
    both[12, 0], one[12, 0] = 0.95, 0.97  # a12 is withheld but looks present to both
    found = doubted(arts, schema, {"x": both, "y": one}, share=0.1)
    first = {(d.id, d.given) for d in found if d.topic == topic}
    assert first == {("a3", True), ("a12", False)}
    assert next(d for d in found if d.id == "a3").scores == {"x": 0.05, "y": 0.02}


@pytest.mark.parametrize(("flags", "detectors"), [(["--tfidf-only"], {"tfidf"}), ([], {"tfidf", "frozen"})])
def test_cli_writes_one_doubt_per_line_matching_the_labels(small_corpus, tmp_path, schema, flags, detectors):
    """The second case embeds with the real pretrained encoder of the default config."""
    out = tmp_path / "doubts.jsonl"
    res = run_tagger("labels", "doubts", str(small_corpus), "-o", str(out), "--share", "0.2", *flags)
    assert res.returncode == 0, res.stderr
    labels = {r["id"]: r["topics"] for r in map(json.loads, small_corpus.read_text().splitlines())}
    doubts = [json.loads(line) for line in out.read_text().splitlines()]
    expected = sum(
        int(0.2 * sum((t in topics) == given for topics in labels.values()))
        for t in schema.topics
        for given in (True, False)
    )
    assert len(doubts) == expected > 0
    for d in doubts:
        assert (d["topic"] in labels[d["id"]]) == d["given"]
        assert set(d["scores"]) == detectors and all(0 <= v <= 1 for v in d["scores"].values())
    assert f"{expected} doubted topic labels" in res.stdout


def test_cli_stops_on_a_bad_label_file_saying_where(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "text": "t", "topics": ["sport"], "framing": "neutral"}\n')
    res = run_tagger("labels", "doubts", str(bad), "-o", str(tmp_path / "d.jsonl"))
    assert res.returncode == 1
    assert "bad.jsonl:1" in res.stderr and "sport" in res.stderr
    assert not (tmp_path / "d.jsonl").exists()


def test_cli_refuses_a_share_outside_zero_to_one(small_corpus, tmp_path):
    res = run_tagger("labels", "doubts", str(small_corpus), "-o", str(tmp_path / "d.jsonl"), "--share", "6")
    assert res.returncode == 2 and "--share 6.0: expected a share" in res.stderr


def test_cli_says_when_a_file_is_too_small_for_out_of_fold_baselines(small_corpus, tmp_path):
    """Run on just the newly added labels, it explains instead of failing in scikit-learn."""
    few = tmp_path / "new.jsonl"
    few.write_text("".join(small_corpus.read_text().splitlines(keepends=True)[:8]))
    res = run_tagger("labels", "doubts", str(few), "-o", str(tmp_path / "d.jsonl"), "--tfidf-only")
    assert res.returncode == 2 and "8 articles are too few to fit the baselines" in res.stderr, res.stderr
    assert "Traceback" not in res.stderr and not (tmp_path / "d.jsonl").exists()
