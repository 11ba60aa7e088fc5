"""Topic labels other models doubt: what to re-read before trusting a corpus (labels/AUDIT.md,
section 7).

Each detector is a baseline of training/baselines.py scored out-of-fold: trained on the other
folds, it never saw the article it scores. For each topic and each side (given / withheld), the
`share` of articles that every detector ranks most against their label is doubted. A doubt is a
reason to read the article again, blind; it is not a label.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
from scipy.stats import rankdata
from sklearn.model_selection import KFold

from tagger.data.records import Article
from tagger.data.schema import LabelSchema
from training import baselines
from training.data import label_arrays

Featurizer = Callable[[list[str], bool], object]  # (texts, fit) -> features, as LinearBaseline takes


@dataclass
class Doubt:
    id: str
    topic: str
    given: bool  # what our label says
    scores: dict[str, float]  # detector -> its out-of-fold probability of the topic

    def to_record(self) -> dict:
        return asdict(self)


MIN_PER_LABEL = 2  # with one, the fold that holds it trains without it: no baseline can be fitted


def too_few(articles: list[Article], schema: LabelSchema) -> str | None:
    """Why out-of-fold baselines cannot be fitted on these articles (a label too rare), or None."""
    y_topics, y_framing = label_arrays(articles, schema)
    counts = {
        **{f"'{t}' given": int(y_topics[:, j].sum()) for j, t in enumerate(schema.topics)},
        **{f"'{t}' withheld": int(len(articles) - y_topics[:, j].sum()) for j, t in enumerate(schema.topics)},
        **{f"framing '{f}'": int((y_framing == k).sum()) for k, f in enumerate(schema.framings)},
    }
    thin = [f"{name} {n}" for name, n in counts.items() if n < MIN_PER_LABEL]
    if not thin:
        return None
    return (
        f"{len(articles)} articles are too few to fit the baselines without each article's fold: "
        f"{', '.join(thin)} (each needs at least {MIN_PER_LABEL}); run it on the whole labels folder"
    )


def out_of_fold_topics(
    articles: list[Article], schema: LabelSchema, featurizer: Callable[[], Featurizer], folds: int = 5
) -> np.ndarray:
    """(n, topics) probabilities, each from a LinearBaseline fitted without the article's fold."""
    texts = baselines.texts_of(articles)
    y_topics, y_framing = label_arrays(articles, schema)
    out = np.zeros(y_topics.shape)
    for train, held in KFold(folds, shuffle=True, random_state=0).split(texts):
        model = baselines.LinearBaseline(featurizer(), schema).fit(
            [texts[i] for i in train], y_topics[train], y_framing[train]
        )
        out[held] = model.predict_proba([texts[i] for i in held])[0]
    return out


def doubted(
    articles: list[Article], schema: LabelSchema, scores: dict[str, np.ndarray], share: float = 0.06
) -> list[Doubt]:
    """The labels every detector ranks among the `share` least likely, per topic and side."""
    y_topics, _ = label_arrays(articles, schema)
    out = []
    for j, topic in enumerate(schema.topics):
        for given in (True, False):
            idx = np.flatnonzero((y_topics[:, j] > 0.5) == given)
            if not len(idx):
                continue
            sign = 1 if given else -1  # low scores are suspect for a given topic, high for a withheld one
            worst = np.max([rankdata(sign * s[idx, j]) / len(idx) for s in scores.values()], axis=0)
            for k in np.argsort(worst, kind="stable")[: int(share * len(idx))]:
                i = idx[k]
                out.append(
                    Doubt(
                        articles[i].id, topic, given, {n: round(float(s[i, j]), 3) for n, s in scores.items()}
                    )
                )
    return out


def cached_frozen_features(
    pretrained: str, schema: LabelSchema, articles: list[Article]
) -> Callable[[], Featurizer]:
    """Frozen-encoder features embedded once for all articles (the folds reuse them)."""
    texts = baselines.texts_of(articles)
    emb = baselines.frozen_encoder_features(pretrained, schema)(texts, False)
    row = {t: i for i, t in enumerate(texts)}
    return lambda: lambda batch, fit: emb[[row[t] for t in batch]]
