"""The API service retries a model-service call once when its pooled connection was reset."""

import asyncio

import aiohttp
import pytest

from service.retry import retry_on_reset


class FlakyModel:
    def __init__(self, failures: int):
        self.failures, self.calls = failures, 0

    async def predict(self, articles: list[dict]) -> list[dict]:
        self.calls += 1
        if self.calls <= self.failures:
            raise aiohttp.ClientOSError(None, "Can not write request body")
        return [{"id": a["id"]} for a in articles]


def test_a_reset_connection_is_retried_once():
    model = FlakyModel(failures=1)
    assert asyncio.run(retry_on_reset(model.predict, [{"id": "a"}])) == [{"id": "a"}]
    assert model.calls == 2


def test_a_second_failure_is_reported_not_hidden():
    model = FlakyModel(failures=2)
    with pytest.raises(aiohttp.ClientOSError):
        asyncio.run(retry_on_reset(model.predict, [{"id": "a"}]))
    assert model.calls == 2
