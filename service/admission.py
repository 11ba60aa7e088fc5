"""`Admission`: how many articles of synchronous calls (/classify, /classify_batch) the server
holds at once. Past the bound a call is refused at once with 503 and Retry-After instead of
queueing behind minutes of work until BentoML's 300 s timeout answers 504; async jobs are not
counted, since a job is work that waits by design."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from http import HTTPStatus

from service.contract import ApiError
from tagger.engine.runtime import DEFAULT_MAX_PENDING


class Admission:
    def __init__(self, limit: int = DEFAULT_MAX_PENDING):
        self.limit = limit
        self.pending = 0  # articles of admitted calls not yet answered

    @contextmanager
    def hold(self, articles: int) -> Iterator[None]:
        """Admit a call of this many articles for the `with` block, or raise a 503 ApiError. An
        idle server admits any call, even one larger than the limit."""
        if self.pending and self.pending + articles > self.limit:
            # the client reads contract.BUSY (BentoML hides a 5xx's message); this goes to the log
            raise ApiError(
                f"busy: {self.pending} pending article{'' if self.pending == 1 else 's'} of other "
                f"calls, limit {self.limit}",
                status=HTTPStatus.SERVICE_UNAVAILABLE,
            )
        self.pending += articles
        try:
            yield
        finally:
            self.pending -= articles
