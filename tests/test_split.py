import pytest

from tagger.data.records import Article
from tagger.data.split import missing_labels, split_articles, split_of


def arts(ids, topics=("trade",), framing="neutral"):
    return [Article(id=i, text="x", topics=list(topics), framing=framing) for i in ids]


def test_split_is_deterministic_and_roughly_proportional():
    ids = [f"id-{i}" for i in range(3000)]
    first = [split_of(i) for i in ids]
    assert first == [split_of(i) for i in ids]
    share = {s: first.count(s) / len(ids) for s in ("train", "validation", "test")}
    assert 0.66 < share["train"] < 0.74 and 0.12 < share["validation"] < 0.18 and 0.12 < share["test"] < 0.18


def test_adding_articles_never_moves_existing_ones():
    old = arts([f"a{i}" for i in range(200)])
    before = {a.id: s for s, group in split_articles(old).items() for a in group}
    new = old + arts([f"b{i}" for i in range(500)])
    after = {a.id: s for s, group in split_articles(new).items() for a in group}
    assert all(after[i] == s for i, s in before.items())


def test_bad_fractions_are_rejected():
    with pytest.raises(ValueError, match="summing to 1"):
        split_of("x", (0.5, 0.5, 0.5))


def test_missing_labels_names_split_and_label(schema):
    splits = split_articles(arts([f"a{i}" for i in range(100)]))
    msgs = missing_labels(splits, schema)
    assert any("'defence'" in m and "split 'test'" in m for m in msgs)
    assert not any("'trade'" in m for m in msgs)
