"""Metric history in the GraphStore contract, on every graph backend."""

from __future__ import annotations


import pytest

from provgraph.errors import Conflict, NotFound
from provgraph.graph import GraphStore
from provgraph.ids import new_id
from provgraph.metrics import MetricPoint, MetricSummary
from provgraph.model import NewNode, NodeKind

pytestmark = pytest.mark.anyio


async def new_run(store: GraphStore) -> str:
    return (await store.create_node(NewNode(NodeKind.RUN, "p", "train", props={"status": "RUNNING"}))).id


def losses(values: list[float], start: int = 0) -> list[MetricPoint]:
    return [MetricPoint("loss", v, start + i, 1000.0 + i) for i, v in enumerate(values)]


async def all_history(store: GraphStore, run: str, key: str, first: int) -> list[MetricPoint]:
    points: list[MetricPoint] = []
    after = None
    while True:
        page = await store.metric_history(run, key, first, after)
        points += page.items
        if not page.has_next:
            return points
        after = page.end_cursor


async def test_history_keeps_every_point_in_step_order(graph_store: GraphStore) -> None:
    run = await new_run(graph_store)
    assert await graph_store.append_metrics(run, new_id(), losses([3.0, 2.5, 2.7], start=10)) == 3
    assert await graph_store.append_metrics(run, new_id(), losses([9.0, 1.0])) == 2
    page = await graph_store.metric_history(run, "loss", 100, None)
    assert [(p.step, p.value) for p in page.items] == [(0, 9.0), (1, 1.0), (10, 3.0), (11, 2.5), (12, 2.7)]
    assert page.items[0] == MetricPoint("loss", 9.0, 0, 1000.0)
    assert not page.has_next
    empty = await graph_store.metric_history(run, "accuracy", 100, None)
    assert (list(empty.items), empty.has_next, empty.end_cursor) == ([], False, None)


async def test_pages_resume_after_their_cursor(graph_store: GraphStore) -> None:
    run = await new_run(graph_store)
    batch = new_id()
    points = [MetricPoint("lr", 0.1 * i, i // 2) for i in range(7)]  # two values per step
    await graph_store.append_metrics(run, batch, points)
    first = await graph_store.metric_history(run, "lr", 3, None)
    assert [p.step for p in first.items] == [0, 0, 1] and first.has_next
    assert first.end_cursor == f"1:{batch}:2"
    assert [p.value for p in await all_history(graph_store, run, "lr", 3)] == [p.value for p in points]


async def test_replayed_batch_writes_nothing(graph_store: GraphStore) -> None:
    run, other = await new_run(graph_store), await new_run(graph_store)
    batch = new_id()
    assert await graph_store.append_metrics(run, batch, losses([1.0, 2.0])) == 2
    assert await graph_store.append_metrics(run, batch, losses([1.0, 2.0])) == 0
    assert len((await graph_store.metric_history(run, "loss", 100, None)).items) == 2
    with pytest.raises(Conflict, match="already stored for another run"):
        await graph_store.append_metrics(other, batch, losses([1.0]))


async def test_summary_gives_last_and_best_steps(graph_store: GraphStore) -> None:
    run = await new_run(graph_store)
    await graph_store.append_metrics(run, new_id(), losses([5.0, 2.0, 4.0, 2.0, 3.0]))
    await graph_store.append_metrics(run, new_id(), [MetricPoint("acc", 0.5, 1), MetricPoint("acc", 0.9, 2),
                                                     MetricPoint("acc", 0.7, 3)])
    assert await graph_store.metric_summary(run) == [
        MetricSummary("acc", 3, 0.7, 3, 0.5, 1, 0.9, 2),
        MetricSummary("loss", 5, 3.0, 4, 2.0, 1, 5.0, 0),
    ]


async def test_unknown_runs_are_not_found(graph_store: GraphStore) -> None:
    model = await graph_store.create_node(NewNode(NodeKind.MODEL, "p", "m"))
    for run in ("01ARZ3NDEKTSV4RRFFQ69G5FAV", model.id):
        with pytest.raises(NotFound, match="no run with id"):
            await graph_store.append_metrics(run, new_id(), losses([1.0]))
        with pytest.raises(NotFound):
            await graph_store.metric_summary(run)
        with pytest.raises(NotFound):
            await graph_store.metric_history(run, "loss", 10, None)


async def test_a_hundred_thousand_points_page_from_any_cursor(graph_store: GraphStore) -> None:
    run = await new_run(graph_store)
    for start in range(0, 100_000, 10_000):
        points = [MetricPoint("loss", 1.0 / (i + 1), i) for i in range(start, start + 10_000)]
        await graph_store.append_metrics(run, new_id(), points)
    page = await graph_store.metric_history(run, "loss", 1000, "49999:Z:0")
    assert [p.step for p in page.items] == list(range(50_000, 51_000))
    (summary,) = await graph_store.metric_summary(run)
    assert (summary.count, summary.last_step, summary.min_step, summary.max_step) == (100_000, 99_999, 99_999, 0)
    assert len(await all_history(graph_store, run, "loss", 10_000)) == 100_000
