"""Calls from the API service to the model service, retried once when the connection was reset.

The model service (uvicorn) closes idle keep-alive connections after 5 s, the API service's
aiohttp pool keeps them for 15 s: under load a pooled connection can be closed just as it is
reused, and the call fails before the model saw it. Scoring is a pure function, so one retry
on a fresh connection is safe.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import aiohttp

T = TypeVar("T")


async def retry_on_reset(call: Callable[..., Awaitable[T]], *args) -> T:
    try:
        return await call(*args)
    except aiohttp.ClientConnectionError:
        return await call(*args)
