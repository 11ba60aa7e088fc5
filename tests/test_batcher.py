"""GreedyBatcher: an idle model takes a call at once; calls arriving while it is busy are merged."""

import asyncio
import threading

from service.batcher import GreedyBatcher


class Model:
    """Records each call; the first call blocks until released, so others queue up behind it."""

    def __init__(self, fail_on: str | None = None):
        self.calls: list[tuple[list, bool]] = []
        self.release = threading.Event()
        self.fail_on = fail_on

    def __call__(self, items: list, evidence: bool) -> list:
        self.calls.append((list(items), evidence))
        if len(self.calls) == 1:
            self.release.wait(5)
        if self.fail_on in items:
            raise ValueError(f"bad item {self.fail_on}")
        return [f"{x}:{'ev' if evidence else 'labels'}" for x in items]


async def busy_then(model: Model, batcher: GreedyBatcher, later: list[tuple[list, bool]]):
    first = asyncio.create_task(batcher.submit(["a"], True))
    while not model.calls:  # the model is now busy with the first call
        await asyncio.sleep(0.01)
    tasks = [asyncio.create_task(batcher.submit(items, ev)) for items, ev in later]
    await asyncio.sleep(0.05)
    model.release.set()
    return await asyncio.gather(first, *tasks, return_exceptions=True)


def test_idle_call_runs_at_once_and_busy_calls_merge_in_order():
    model = Model()
    model.release.set()
    batcher = GreedyBatcher(model, max_items=4)
    assert asyncio.run(batcher.submit(["x", "y"], False)) == ["x:labels", "y:labels"]
    assert model.calls == [(["x", "y"], False)]

    model = Model()
    batcher = GreedyBatcher(model, max_items=4)
    results = asyncio.run(busy_then(model, batcher, [(["b"], True), (["c", "d"], True), (["e", "f"], True)]))
    assert results == [["a:ev"], ["b:ev"], ["c:ev", "d:ev"], ["e:ev", "f:ev"]]
    # b, c, d fit one call of 4; e, f waited for the next
    assert model.calls == [(["a"], True), (["b", "c", "d"], True), (["e", "f"], True)]


def test_calls_with_and_without_evidence_are_not_merged():
    model = Model()
    batcher = GreedyBatcher(model, max_items=16)
    results = asyncio.run(busy_then(model, batcher, [(["b"], False), (["c"], True), (["d"], False)]))
    assert results == [["a:ev"], ["b:labels"], ["c:ev"], ["d:labels"]]
    assert model.calls == [(["a"], True), (["b", "d"], False), (["c"], True)]


def test_an_error_reaches_every_call_of_its_batch_and_later_calls_still_run():
    model = Model(fail_on="c")
    batcher = GreedyBatcher(model, max_items=16)
    results = asyncio.run(busy_then(model, batcher, [(["b"], False), (["c"], False), (["d"], True)]))
    assert results[0] == ["a:ev"] and results[3] == ["d:ev"]
    for failed in results[1:3]:
        assert isinstance(failed, ValueError) and "bad item c" in str(failed)


def test_a_large_call_runs_in_parts_and_short_calls_go_between_them():
    """Six articles with max_items 4: the short call that arrived meanwhile runs before the second part."""
    model = Model()
    batcher = GreedyBatcher(model, max_items=4)
    big = [f"b{i}" for i in range(6)]
    results = asyncio.run(busy_then(model, batcher, [(big, True), (["c"], True)]))
    assert results == [["a:ev"], [f"{x}:ev" for x in big], ["c:ev"]]
    assert model.calls == [(["a"], True), (big[:4], True), (["c"], True), (big[4:], True)]
