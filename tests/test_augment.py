"""Training views that look like real pages: lead excerpts cut mid-sentence, headlines dropped."""

import random

from tagger.data.records import Article
from training.augment import excerpt, pick_views, realnews_like, training_views
from training.config import AugmentConfig

LONG = " ".join(f"w{i}." if i % 17 == 16 else f"w{i}" for i in range(600))


def article(i: int, text: str = LONG, title: str = "A headline") -> Article:
    return Article(id=f"a{i}", text=text, topics=["trade"], framing="neutral", title=title)


def test_excerpt_is_the_lead_cut_at_the_word_count():
    cut = excerpt(LONG, 150)
    assert LONG.startswith(cut) and len(cut.split()) == 150 and cut.endswith("w149")
    assert excerpt("too short " * 50, 120) is None  # not clearly longer than the excerpt


def test_views_cover_whole_excerpt_titled_and_untitled():
    cfg = AugmentConfig(excerpts_per_article=2)
    views = training_views([article(0), article(1, "short text " * 30), article(2, title="")], cfg, seed=1)
    by = {i: [v for v in views if v.article == i] for i in range(3)}
    assert {(v.excerpt, v.titled) for v in by[0]} == {
        (False, True),
        (False, False),
        (True, True),
        (True, False),
    }
    assert len(by[0]) == 6  # whole + 2 excerpts, each with and without the headline
    assert [(v.excerpt, v.titled) for v in by[1]] == [(False, True), (False, False)]  # too short to crop
    assert [(v.excerpt, v.titled) for v in by[2]] == [(False, False), (True, False), (True, False)]
    assert all(v.text.startswith("A headline") == v.titled for v in by[0])


def test_pick_views_one_per_article_following_the_shares():
    arts = [article(i) for i in range(40)]
    views = training_views(arts, AugmentConfig(), seed=0)
    always = AugmentConfig(excerpt_share=1.0, headline_dropout=1.0)
    picked = pick_views(views, always, random.Random(0))
    assert sorted(views[j].article for j in picked) == list(range(40))
    assert all(views[j].excerpt and not views[j].titled for j in picked)
    never = AugmentConfig(excerpt_share=0.0, headline_dropout=0.0)
    assert all(not views[j].excerpt and views[j].titled for j in pick_views(views, never, random.Random(0)))
    many = [article(i) for i in range(2000)]
    views = training_views(many, AugmentConfig(), seed=0)
    picked = [
        views[j]
        for j in pick_views(views, AugmentConfig(excerpt_share=0.75, headline_dropout=0.3), random.Random(3))
    ]
    assert abs(sum(v.excerpt for v in picked) / 2000 - 0.75) < 0.03
    assert abs(sum(not v.titled for v in picked) / 2000 - 0.3) < 0.03


def test_realnews_like_validation_has_whole_and_excerpted_articles():
    pairs = realnews_like([article(i) for i in range(30)], AugmentConfig(), seed=0)
    assert len(pairs) == 60
    lengths = [len(text.split()) for _, text in pairs]
    assert sum(n < 420 for n in lengths) == 30  # one excerpt per article, the rest whole
    titled = sum(text.startswith("A headline") for _, text in pairs)
    assert 15 < titled < 45
