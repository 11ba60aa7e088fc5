"""Views of a training article that look like real pages as analysts get them: the lead only, cut
mid-sentence, and often no headline. The model then learns the task from openings, not our
articles' closing paragraphs and headlines."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from tagger.data.records import Article
from tagger.engine.windows import article_text
from training.config import AugmentConfig

WORD_RE = re.compile(r"\S+")
REAL_PAGES_WITHOUT_HEADLINE = 0.5  # about half of real pages arrive without one (issue #12)


def excerpt(text: str, n_words: int) -> str | None:
    """The first n_words words of text, cut there (mid-sentence as a rule), paragraphs kept.
    None when the text is not clearly longer than that."""
    words = list(WORD_RE.finditer(text))
    if len(words) <= n_words + 20:
        return None
    return text[: words[n_words - 1].end()]


@dataclass(frozen=True)
class View:
    article: int  # index of the article in the training list
    text: str
    excerpt: bool
    titled: bool


def training_views(articles: list[Article], cfg: AugmentConfig, seed: int) -> list[View]:
    """Every article whole, with and without its headline, plus up to N lead excerpts of each."""
    rng = random.Random(seed)
    lo, hi = cfg.excerpt_words
    views = []
    for i, a in enumerate(articles):
        bodies = [(a.text, False)]
        for _ in range(cfg.excerpts_per_article):
            cut = excerpt(a.text, rng.randint(lo, hi))
            if cut is not None and all(cut != b for b, _ in bodies):
                bodies.append((cut, True))
        for body, is_excerpt in bodies:
            views.append(View(i, article_text(body, a.title), is_excerpt, bool(a.title.strip())))
            if a.title.strip():
                views.append(View(i, body, is_excerpt, False))
    return views


def pick_views(views: list[View], cfg: AugmentConfig, rng: random.Random) -> list[int]:
    """One view per article for one epoch: an excerpt with probability excerpt_share (when the
    article has one), without its headline with probability headline_dropout (when it has one)."""
    by_article: dict[int, list[int]] = {}
    for j, v in enumerate(views):
        by_article.setdefault(v.article, []).append(j)
    picked = []
    for _, idx in sorted(by_article.items()):
        want_excerpt = rng.random() < cfg.excerpt_share and any(views[j].excerpt for j in idx)
        want_title = rng.random() >= cfg.headline_dropout and any(views[j].titled for j in idx)
        pool = [j for j in idx if views[j].excerpt == want_excerpt and views[j].titled == want_title]
        picked.append(rng.choice(pool))
    return picked


def realnews_like(articles: list[Article], cfg: AugmentConfig, seed: int) -> list[tuple[Article, str]]:
    """Each validation article twice, as a real page might arrive: whole and as a lead excerpt,
    each without its headline as often as real pages come without one (not the training knob
    headline_dropout). Decision rules are fitted on these."""
    rng = random.Random(seed)
    lo, hi = cfg.excerpt_words
    out = []
    for a in articles:
        cut = excerpt(a.text, rng.randint(lo, hi))
        for body in (a.text, cut):
            if body is not None:
                title = a.title if rng.random() >= REAL_PAGES_WITHOUT_HEADLINE else ""
                out.append((a, article_text(body, title)))
    return out
