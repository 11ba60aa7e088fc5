"""`GreedyBatcher`: merges concurrent calls into one model call without ever waiting for a batch
to fill. An idle model takes a call at once; calls that arrive while it is busy are merged into
its next call (up to `max_items` articles, same `evidence` setting). A call of more than
`max_items` articles runs in parts of that size, each queued behind the calls that arrived while the
part before it ran, so one large call never holds up short ones for longer than one part.

A merged call that fails is run again one article at a time (tagger/results/isolation.py), so an
article the model fails on costs only its own result (the exception in its place), never its
batch-mates' or another client's.

BentoML's adaptive batching waits for batches to fill for as long as it has seen batches take:
after a burst of load a lone client waited ~500 ms for a 50 ms article (benchmarks/rest.py, before
this batcher). Here the wait is only ever the model's current call.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from tagger.results.isolation import predict_isolated


@dataclass
class _Call:
    items: list
    evidence: bool
    done: asyncio.Future = field(repr=False)


class GreedyBatcher:
    def __init__(self, fn: Callable[[list, bool], list], max_items: int = 16):
        self.fn = fn  # fn(items, evidence) -> one result per item, in order
        self.max_items = max_items
        self._waiting: list[_Call] = []
        self._running: asyncio.Task | None = None

    async def submit(self, items: list, evidence: bool = True) -> list:
        """One result per item, in order; the exception for an item the model failed on."""
        results: list = []
        for start in range(0, max(len(items), 1), self.max_items):
            results += await self._submit_part(items[start : start + self.max_items], evidence)
        return results

    async def _submit_part(self, items: list, evidence: bool) -> list:
        call = _Call(items, evidence, asyncio.get_running_loop().create_future())
        self._waiting.append(call)
        if self._running is None or self._running.done():
            self._running = asyncio.create_task(self._drain())
        return await call.done

    async def _drain(self) -> None:
        while self._waiting:
            batch = self._next_batch()
            items = [item for call in batch for item in call.items]
            evidence = batch[0].evidence
            # one model call at a time, in a thread: the event loop keeps taking requests meanwhile
            results = await asyncio.to_thread(
                predict_isolated, lambda xs, ev=evidence: self.fn(xs, ev), items
            )
            start = 0
            for call in batch:
                call.done.set_result(results[start : start + len(call.items)])
                start += len(call.items)

    def _next_batch(self) -> list[_Call]:
        """The oldest call, plus later calls with its evidence setting while they fit max_items."""
        first = self._waiting.pop(0)
        batch, size = [first], len(first.items)
        for call in list(self._waiting):
            if call.evidence == first.evidence and size + len(call.items) <= self.max_items:
                batch.append(call)
                size += len(call.items)
                self._waiting.remove(call)
        return batch
