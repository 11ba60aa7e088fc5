"""Simple baselines scored on the same splits: TF-IDF + logistic regression, and frozen MiniLM
embeddings + logistic regression. Thresholds are tuned on validation for them too, to be fair."""

from __future__ import annotations

import json

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from tagger.data.records import Article
from tagger.data.schema import LabelSchema
from tagger.engine.encoder import build_encoder, pretrained_dir
from tagger.engine.network import TaggerNetwork
from tagger.engine.tagger import Tagger
from tagger.engine.windows import article_text


class LinearBaseline:
    """One logistic regression per topic plus a multinomial one for framing, on any features."""

    def __init__(self, featurize, schema: LabelSchema, seed: int = 0):
        self.featurize = featurize  # list[str] -> 2-D array; fitted on the first call if it has fit()
        self.schema = schema
        self.seed = seed

    def fit(self, texts: list[str], y_topics: np.ndarray, y_framing: np.ndarray) -> LinearBaseline:
        x = self.featurize(texts, fit=True)
        lr = dict(max_iter=2000, class_weight="balanced", random_state=self.seed)
        self.topic_models = [
            LogisticRegression(**lr).fit(x, y_topics[:, j]) for j in range(y_topics.shape[1])
        ]
        self.framing_model = LogisticRegression(**lr).fit(x, y_framing)
        return self

    def predict_proba(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        x = self.featurize(texts, fit=False)
        topics = np.stack([m.predict_proba(x)[:, 1] for m in self.topic_models], axis=1)
        framing = np.zeros((len(texts), len(self.schema.framings)))
        framing[:, self.framing_model.classes_] = self.framing_model.predict_proba(x)
        return topics, framing


def tfidf_features():
    vec = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, max_features=50000)

    def featurize(texts: list[str], fit: bool):
        return vec.fit_transform(texts) if fit else vec.transform(texts)

    return featurize


def frozen_encoder_features(pretrained: str, schema: LabelSchema):
    """What a user of the pretrained sentence encoder would do: embed each article as
    sentence-transformers does (its first max_seq_length tokens, token mean, L2-normalised)."""
    encoder, tokenizer = build_encoder(pretrained, None)
    max_length = sentence_max_length(pretrained)
    model = TaggerNetwork(encoder, len(schema.topics), len(schema.framings))
    tagger = Tagger(model=model, tokenizer=tokenizer, schema=schema, max_length=max_length, overlap=0)
    dim = encoder.config.hidden_size

    def featurize(texts: list[str], fit: bool):
        enc = tokenizer(texts, max_length=max_length, truncation=True, return_offsets_mapping=True)
        heads = [t[: max(end for _, end in offs)] for t, offs in zip(texts, enc["offset_mapping"])]
        emb = tagger.embed(heads)[:, :dim]  # the [mean] half of [mean ; max]
        return emb / np.linalg.norm(emb, axis=1, keepdims=True).clip(min=1e-9)

    return featurize


def sentence_max_length(pretrained: str, default: int = 256) -> int:
    """The encoder package's sentence-transformers max_seq_length (256 for all-MiniLM-L6-v2)."""
    cfg = pretrained_dir(pretrained) / "sentence_bert_config.json"
    return json.loads(cfg.read_text())["max_seq_length"] if cfg.exists() else default


def texts_of(articles: list[Article]) -> list[str]:
    return [article_text(a.text, a.title) for a in articles]
