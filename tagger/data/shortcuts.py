"""Label give-aways in a corpus: how well framing can be guessed from metadata or length alone.

A model learns whatever predicts the label. If outlet country and kind, or article length, already
predict framing, it learns those and fails on real news, where they don't. Each probe is a small
classifier scored by 5-fold cross-validated macro-F1 (chance is about 1/3 for three framings).
"""

from __future__ import annotations

import numpy as np

from tagger.data.records import Article
from tagger.data.schema import LabelSchema

SHORTCUT_BOUND = 0.45  # a probe above this means the corpus gives framing away
MIN_ARTICLES = 200  # below this, cross-validation figures are noise and are not computed
# a few hundred articles move the figures by a few hundredths (two articles added to 377 moved one
# from 0.439 to 0.452): reported from MIN_ARTICLES, enforced from a corpus of this size
ENFORCED_FROM = 1000


def _outlet_features(articles: list[Article]) -> np.ndarray:
    keys = [(a.meta.get("outlet_country", "?"), a.meta.get("outlet_kind", "?")) for a in articles]
    vocab = sorted({f"c={c}" for c, _ in keys} | {f"k={k}" for _, k in keys} | {f"{c}/{k}" for c, k in keys})
    index = {v: i for i, v in enumerate(vocab)}
    x = np.zeros((len(articles), len(vocab)))
    for row, (c, k) in enumerate(keys):
        for v in (f"c={c}", f"k={k}", f"{c}/{k}"):
            x[row, index[v]] = 1.0
    return x


def _length_features(articles: list[Article]) -> np.ndarray:
    return np.array([[np.log1p(len(a.text.split())), bool(a.title.strip())] for a in articles], dtype=float)


def shortcut_scores(articles: list[Article], schema: LabelSchema, seed: int = 0) -> dict[str, float]:
    """5-fold CV framing macro-F1 of: outlet country + kind (one-hot, logistic regression), over
    the articles that name their outlet, and length + headline presence (a depth-4 tree, which finds
    any length band), over all. Articles without outlet metadata (workbench corrections of pasted
    text, say) are not an outlet the model could learn to read, so they are not a category of it."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.tree import DecisionTreeClassifier

    named = [a for a in articles if a.meta.get("outlet_country") and a.meta.get("outlet_kind")]
    probes = {}
    if len(named) >= MIN_ARTICLES:
        probes["outlet country + kind"] = (
            LogisticRegression(max_iter=2000, class_weight="balanced"),
            named,
            _outlet_features(named),
        )
    probes["length + headline"] = (
        DecisionTreeClassifier(max_depth=4, class_weight="balanced", random_state=seed),
        articles,
        _length_features(articles),
    )
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=seed)
    out = {}
    for name, (model, arts, x) in probes.items():
        y = np.array([schema.framings.index(a.framing) for a in arts])
        out[name] = round(float(f1_score(y, cross_val_predict(model, x, y, cv=folds), average="macro")), 3)
    return out


def shortcut_problems(scores: dict[str, float], n_articles: int) -> list[str]:
    if n_articles < ENFORCED_FROM:
        return []
    return [
        f"framing is guessable from {name} alone: 5-fold macro-F1 {f1:.3f} > {SHORTCUT_BOUND} "
        "(vary outlets, kinds and lengths within each framing)"
        for name, f1 in scores.items()
        if f1 > SHORTCUT_BOUND
    ]
