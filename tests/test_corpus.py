"""The labelled corpus keeps the shape the foundation issue asks for; additions can't break it silently."""

import statistics
from collections import Counter

import pytest

from tagger.data.corpus import load_labelled
from tagger.data.corpus_check import word_count
from tagger.data.dedup import near_duplicates
from tagger.data.records import Article
from tagger.data.shortcuts import shortcut_problems, shortcut_scores
from tagger.data.split import split_articles

from conftest import REPO

CORPUS = REPO / "labels"
NEWS_KINDS = {"wire", "daily", "analysis", "tv-transcript"}


@pytest.fixture(scope="module")
def corpus(schema):
    articles, problems = load_labelled([CORPUS], schema)
    assert not problems, "\n".join(map(str, problems[:20]))
    return articles


def test_size_and_metadata(corpus, schema):
    assert len(corpus) >= 1600
    for a in corpus:
        assert a.meta.get("outlet_kind") in schema.outlet_kinds, a.source
        assert a.meta.get("outlet_country") in schema.outlet_countries, a.source
        assert "2024-01-01" <= a.meta.get("date", "") <= "2026-12-31", a.source
    assert set(Counter(a.meta["outlet_kind"] for a in corpus)) == set(schema.outlet_kinds)


def test_lengths_and_headlines_as_real_pages_arrive(corpus):
    """Many pages arrive as short excerpts without a headline; some are long reads."""
    words = [word_count(a.text) for a in corpus]
    bad = [a.source for a, w in zip(corpus, words) if not 60 <= w <= 2000]
    assert not bad, bad
    assert 180 <= statistics.median(words) <= 400
    assert sum(w > 600 for w in words) >= 0.05 * len(corpus)
    assert sum(w > 1000 for w in words) >= 25  # several windows each
    untitled = sum(not a.title.strip() for a in corpus) / len(corpus)
    assert 0.3 <= untitled <= 0.6


def test_framing_not_guessable_from_metadata_or_length(corpus, schema):
    """The shortcut probes of `tagger labels check` stay under their bound on our corpus."""
    scores = shortcut_scores(corpus, schema)
    assert not shortcut_problems(scores, len(corpus)), scores


def test_articles_without_an_outlet_are_not_an_outlet_category(corpus, schema):
    """Workbench corrections of pasted text carry no outlet: a few of them, all one framing, must
    not move the outlet probe (they are no outlet a model could read), while the length probe
    still sees them."""
    corrections = [
        Article(f"wb-{i}", a.text, a.topics, "pro-alignment", meta={"date": "2026-11-30"})
        for i, a in enumerate(corpus[:40])
    ]
    before, after = shortcut_scores(corpus, schema), shortcut_scores(corpus + corrections, schema)
    assert after["outlet country + kind"] == before["outlet country + kind"]
    assert after["length + headline"] != before["length + headline"]
    assert "outlet country + kind" not in shortcut_scores(corrections * 6, schema)  # none name one


def test_label_balance(corpus, schema):
    n = len(corpus)
    for t in schema.topics:
        assert sum(t in a.topics for a in corpus) >= 0.25 * n, t
    combos = Counter(schema.combination(a.topics) for a in corpus)
    assert combos["none"] >= 0.12 * n
    for c in schema.all_combinations():
        assert combos[c] >= 15, (c, combos[c])
    framings = Counter(a.framing for a in corpus)
    for f in schema.framings:
        assert framings[f] >= 0.15 * n, (f, framings[f])  # real coverage: about a fifth pro-alignment


def test_labels_not_guessable_from_outlet(corpus):
    def count(framing, pred):
        return sum(a.framing == framing and pred(a.meta) for a in corpus)

    for country in ("PK", "BD", "intl"):
        assert count("india-focused", lambda m, c=country: m["outlet_country"] == c) >= 10, country
    assert count("pro-alignment", lambda m: m["outlet_kind"] in NEWS_KINDS) >= 30
    assert count("neutral", lambda m: m["outlet_country"] == "IN") >= 20
    assert count("neutral", lambda m: m["outlet_kind"] == "wire" and m["outlet_country"] == "IN") >= 5


def test_no_near_duplicates(corpus):
    """Every pair of articles has 5-word-shingle Jaccard similarity below 0.5."""
    pairs = near_duplicates({a.id: a.text for a in corpus}, threshold=0.5)
    assert not pairs, pairs[:10]


def test_every_label_in_every_split(corpus, schema):
    from tagger.data.split import missing_labels

    assert not missing_labels(split_articles(corpus), schema)


@pytest.mark.parametrize("batch", sorted(p.name for p in (REPO / "candidates").iterdir() if p.is_dir()))
def test_candidate_batches_can_join_the_corpus(corpus, schema, batch):
    """A batch in candidates/ stays trainable with the corpus (`data.paths=[labels, candidates/...]`):
    valid label files, ids and texts new to the corpus, shortcut probes of the union under their bound."""
    extra, problems = load_labelled([REPO / "candidates" / batch], schema)
    assert extra and not problems, "\n".join(map(str, problems[:20]))
    union = corpus + extra
    assert len({a.id for a in union}) == len(union)
    assert not near_duplicates({a.id: a.text for a in union}, threshold=0.5)
    scores = shortcut_scores(union, schema)
    assert not shortcut_problems(scores, len(union)), scores
