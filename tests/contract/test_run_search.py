"""Run search in the GraphStore contract: filters, sorts and pages agree with a Python
oracle over random runs, on every graph backend."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

import pytest

from provgraph.errors import BadInput
from provgraph.graph import GraphStore, neo4j_search, sqlite_search
from provgraph.metrics import MetricPoint
from provgraph.model import Node, RunStatus
from provgraph.registry import Registry
from provgraph.search import NEWEST_FIRST, Sort, depth, parse_filter, parse_order

pytestmark = pytest.mark.anyio
Value = float | str
OPS = ["=", "!=", "<", "<=", ">", ">="]


@dataclass
class Expected:
    """What the oracle knows of one run: every field with its values."""

    id: str
    fields: dict[str, list[Value]] = field(default_factory=dict)


def compare(op: str, a: Value, b: Value) -> bool:
    return {"=": a == b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]  # type: ignore[operator]


def holds(expr: Any, run: Expected) -> bool:
    """The filter semantics, written independently of the backends."""
    kind, *rest = expr
    if kind == "and":
        return all(holds(p, run) for p in rest)
    if kind == "or":
        return any(holds(p, run) for p in rest)
    name, op, value = rest
    same_type = [v for v in run.fields.get(name, []) if isinstance(v, type(value))]
    if op == "!=":
        return value not in same_type
    return any(compare(op, v, value) for v in same_type)


def ordered(runs: list[Expected], key: str | None, descending: bool) -> list[str]:
    if key is None:
        return sorted((r.id for r in runs), reverse=descending)
    numbers = [(r.fields[key][0], r.id) for r in runs if isinstance(r.fields.get(key, [None])[0], float)]
    texts = [(r.fields[key][0], r.id) for r in runs if isinstance(r.fields.get(key, [None])[0], str)]
    missing = sorted((r.id for r in runs if key not in r.fields), reverse=descending)
    sections = [sorted(texts, reverse=True), sorted(numbers, reverse=True)] if descending else [sorted(numbers), sorted(texts)]
    return [i for section in sections for _, i in section] + missing


def render(expr: Any) -> str:
    kind, *rest = expr
    if kind in ("and", "or"):
        return "(" + f" {kind.upper()} ".join(render(p) for p in rest) + ")"
    name, op, value = rest
    literal = repr(value) if isinstance(value, float) else '"' + value + '"'
    return f"{name} {op} {literal}"


def random_compare(rng: random.Random) -> Any:
    choice = rng.randrange(6)
    if choice == 0:
        return ("cmp", "metrics.loss", rng.choice(OPS), rng.choice([0.2, 0.5, 0.7, 1.0]))
    if choice == 1:
        return ("cmp", "params.lr", rng.choice(OPS), rng.choice([0.1, 0.01, 0.001]))
    if choice == 2:
        return ("cmp", "params.opt", rng.choice(OPS), rng.choice(["adam", "sgd", "b"]))
    if choice == 3:
        return ("cmp", "tags", rng.choice(["=", "!="]), rng.choice(["a", "b"]))
    if choice == 4:
        return ("cmp", "status", rng.choice(["=", "!="]), rng.choice(["RUNNING", "COMPLETED", "FAILED"]))
    return ("cmp", "name", rng.choice(OPS), rng.choice(["n1", "n2", "n3"]))


def random_filter(rng: random.Random, depth: int = 0) -> Any:
    if depth >= 2 or rng.random() < 0.4:
        return random_compare(rng)
    return (rng.choice(["and", "or"]), *[random_filter(rng, depth + 1) for _ in range(rng.randint(2, 3))])


async def seed_runs(registry: Registry, rng: random.Random, count: int) -> list[Expected]:
    runs: list[Expected] = []
    for i in range(count):
        params: dict[str, Any] = {}
        if rng.random() < 0.8:  # a few lr's are strings: they sort after the numbers
            params["lr"] = rng.choice([0.1, 0.01, 0.001, "0.01"])
        if rng.random() < 0.7:
            params["opt"] = rng.choice(["adam", "sgd"])
        tags = [t for t in ("a", "b") if rng.random() < 0.4]
        name = rng.choice(["n1", "n2", "n3"])
        node = await registry.start_run(name, project="search", params=params, tags=tags)
        expected = Expected(node.id, {"name": [name], "project": ["search"], "kind": ["training"],
                                      "tags": list(tags), "status": ["RUNNING"]})
        expected.fields.update({f"params.{k}": [float(v) if isinstance(v, float) else v] for k, v in params.items()})
        await _metrics(registry, rng, node, expected)
        runs.append(expected)
    return runs


async def _metrics(registry: Registry, rng: random.Random, node: Node, expected: Expected) -> None:
    if rng.random() < 0.4:  # a logged history: its last point (greatest step) is the value
        steps = rng.sample(range(20), 3)
        values = [round(rng.random(), 1) for _ in steps]
        for step, value in zip(steps, values):
            await registry.log_metrics(node.id, [MetricPoint("loss", value, step)])
        expected.fields["metrics.loss"] = [values[steps.index(max(steps))]]
    roll = rng.random()
    if roll < 0.6:
        status = RunStatus.COMPLETED if roll < 0.45 else RunStatus.FAILED
        final = {"loss": round(rng.random(), 1)} if rng.random() < 0.7 else {}
        await registry.finish_run(node.id, status, final)
        expected.fields["status"] = [status.value]
        if final:  # the final metric wins over the history
            expected.fields["metrics.loss"] = [final["loss"]]


async def all_pages(store: GraphStore, text: str | None, sort: Sort, first: int) -> list[str]:
    where = parse_filter(text) if text else None
    found: list[str] = []
    after = None
    while True:
        page = await store.search_runs(where, sort, first, after)
        found += [hit.node.id for hit in page.items]
        assert not page.items or page.items[-1].cursor == page.end_cursor
        assert len(page.items) <= first
        if not page.has_next:
            assert page.end_cursor is None or page.items
            return found
        after = page.end_cursor


SORTS = [None, "metrics.loss", "-metrics.loss", "params.lr", "-params.lr", "name", "-name", "created_at"]


@pytest.mark.parametrize("seed, windows", [(1, (1000, 4000)), (2, (2, 3))])
async def test_filters_sorts_and_pages_agree_with_the_oracle(graph_store: GraphStore, seed: int,
                                                             windows: tuple[int, ...],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    # Windows of 2 and 3 runs send most filtered pages past the run-by-run check to the id sets.
    for module in (sqlite_search, neo4j_search):
        monkeypatch.setattr(module, "WINDOWS", windows)
    rng = random.Random(seed)
    runs = await seed_runs(Registry(graph_store), rng, 30)
    for _ in range(25):
        expr = random_filter(rng)
        order = rng.choice(SORTS)
        sort = parse_order(order) if order else NEWEST_FIRST
        matching = [r for r in runs if holds(expr, r)]
        expected = ordered(matching, sort.field, sort.descending)
        assert await all_pages(graph_store, render(expr), sort, rng.randint(1, 7)) == expected, (render(expr), order)


async def test_no_filter_lists_every_run_in_sort_order(graph_store: GraphStore) -> None:
    runs = await seed_runs(Registry(graph_store), random.Random(7), 12)
    for order in SORTS[1:]:
        sort = parse_order(order)
        assert await all_pages(graph_store, None, sort, 5) == ordered(runs, sort.field, sort.descending)
    assert await all_pages(graph_store, None, NEWEST_FIRST, 4) == sorted((r.id for r in runs), reverse=True)


async def test_a_running_run_is_found_by_its_latest_logged_value(graph_store: GraphStore) -> None:
    registry = Registry(graph_store)
    run = await registry.start_run("live", params={"opt": {"name": "adam", "beta": 0.9}})
    await registry.log_metrics(run.id, [MetricPoint("loss", 0.9, 5), MetricPoint("loss", 0.1, 7)])
    await registry.log_metrics(run.id, [MetricPoint("loss", 0.5, 6)])  # older than step 7
    found = await all_pages(graph_store, "metrics.loss < 0.2 AND params.opt.name = 'adam'", NEWEST_FIRST, 10)
    assert found == [run.id]
    await registry.finish_run(run.id, RunStatus.COMPLETED, {"loss": 0.3})  # the final value wins
    assert await all_pages(graph_store, "metrics.loss < 0.2", NEWEST_FIRST, 10) == []
    await registry.log_metrics(run.id, [MetricPoint("loss", 0.05, 9)])
    assert await all_pages(graph_store, "metrics.loss = 0.3 AND params.opt.beta >= 0.9", NEWEST_FIRST, 10) == [run.id]


async def test_a_cursor_of_another_order_or_garbage_is_bad_input(graph_store: GraphStore) -> None:
    registry = Registry(graph_store)
    for name in ("a", "b"):
        await registry.finish_run((await registry.start_run(name)).id, RunStatus.COMPLETED, {"loss": 1.0})
    page = await graph_store.search_runs(None, parse_order("metrics.loss"), 1, None)
    with pytest.raises(BadInput) as caught:
        await graph_store.search_runs(None, NEWEST_FIRST, 1, page.end_cursor)
    assert caught.value.message == (f"runs cursor {page.end_cursor!r} belongs to another orderBy: "
                                    "pass a previous page's endCursor")
    with pytest.raises(BadInput) as caught:
        await graph_store.search_runs(None, NEWEST_FIRST, 1, "nonsense")
    assert caught.value.message == "malformed runs cursor 'nonsense': pass a previous page's endCursor"


async def test_the_deepest_filter_answers_through_the_id_sets(graph_store: GraphStore,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    for module in (sqlite_search, neo4j_search):
        monkeypatch.setattr(module, "WINDOWS", (1,))
    runs = await seed_runs(Registry(graph_store), random.Random(5), 12)
    expr: Any = random_compare(random.Random(0))
    rng = random.Random(9)
    for level in range(1, 9):  # AND and OR alternate 8 levels deep, the grammar's limit
        expr = ("or" if level % 2 else "and", random_compare(rng), ("cmp", "params.opt", "!=", "b"), expr)
    assert depth(parse_filter(render(expr))) == 8
    expected = ordered([r for r in runs if holds(expr, r)], "name", False)
    assert await all_pages(graph_store, render(expr), parse_order("name"), 2) == expected
