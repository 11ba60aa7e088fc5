"""What an article the model fails on costs: only its own result. Shared by the REST batcher,
`tagger score` and the Spark job."""

from __future__ import annotations

from collections.abc import Callable


def predict_isolated(predict: Callable[[list], list], articles: list) -> list:
    """`predict(articles)`; if it fails, each article alone, so that an article the model fails on
    costs only its own result (the exception in its place), not its batch-mates or the run."""
    try:
        return predict(articles)
    except Exception:
        results: list = []
        for article in articles:
            try:
                results += predict([article])
            except Exception as e:
                results.append(e)
        return results


def model_failure(error: Exception) -> str:
    return f"the model failed on this article ({type(error).__name__}: {error})"
