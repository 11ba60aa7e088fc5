"""Prometheus metrics beyond BentoML's own: predictions per label and input length."""

from __future__ import annotations

import bentoml

PREDICTIONS = bentoml.metrics.Counter(
    name="tagger_predictions_total",
    documentation="Labels assigned, by label kind and name",
    labelnames=["kind", "label"],
)
INPUT_CHARS = bentoml.metrics.Histogram(
    name="tagger_input_chars",
    documentation="Characters of text per scored article",
    buckets=(250, 1000, 2500, 5000, 10000, 25000, 50000, 100000),
)


def record(articles: list[dict], results: list[dict]) -> None:
    for article, result in zip(articles, results):
        INPUT_CHARS.observe(len(article["text"]))
        PREDICTIONS.labels(kind="framing", label=result["framing"]).inc()
        for topic in result["topics"]:
            PREDICTIONS.labels(kind="topic", label=topic).inc()
