"""GreedyBatcher: an idle model takes a call at once; calls arriving while it is busy are merged."""

import asyncio
import threading

from service.batcher import GreedyBatcher
from service.contract import batch_results
from tagger.data.records import FieldProblem


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


def test_an_article_the_model_fails_on_costs_only_its_own_result():
    """b, c and d are merged into one call that fails on c: they run again one at a time, and only
    c gets its exception; later calls still run."""
    model = Model(fail_on="c")
    batcher = GreedyBatcher(model, max_items=16)
    results = asyncio.run(busy_then(model, batcher, [(["b"], False), (["c", "d"], False), (["e"], True)]))
    assert results[0] == ["a:ev"] and results[1] == ["b:labels"] and results[3] == ["e:ev"]
    failed, d = results[2]
    assert isinstance(failed, ValueError) and str(failed) == "bad item c"
    assert d == "d:labels"
    assert model.calls[1:] == [
        (["b", "c", "d"], False),
        (["b"], False),
        (["c"], False),
        (["d"], False),
        (["e"], True),
    ]


def test_a_batch_answer_keeps_every_result_and_names_each_failure():
    articles = [
        {"id": "x", "text": "fine"},
        {"id": "y", "text": " "},
        {"id": "z", "text": "bad"},
        {"text": "ok"},
    ]
    problems = {1: FieldProblem.at("text", "empty or only whitespace")}
    scored = [{"framing": "neutral"}, RuntimeError("boom"), {"framing": "pro-alignment"}]
    results = batch_results(articles, problems, scored)
    assert results[0] == {"framing": "neutral"} and results[3] == {"framing": "pro-alignment"}
    assert results[1] == {
        "index": 1,
        "id": "y",
        "field": "text",
        "error": "field 'text': empty or only whitespace",
    }
    assert results[2]["index"] == 2 and results[2]["id"] == "z" and results[2]["field"] == "text"
    assert "RuntimeError: boom" in results[2]["error"]


def test_a_large_call_runs_in_parts_and_short_calls_go_between_them():
    """Six articles with max_items 4: the short call that arrived meanwhile runs before the second part."""
    model = Model()
    batcher = GreedyBatcher(model, max_items=4)
    big = [f"b{i}" for i in range(6)]
    results = asyncio.run(busy_then(model, batcher, [(big, True), (["c"], True)]))
    assert results == [["a:ev"], [f"{x}:ev" for x in big], ["c:ev"]]
    assert model.calls == [(["a"], True), (big[:4], True), (["c"], True), (big[4:], True)]
