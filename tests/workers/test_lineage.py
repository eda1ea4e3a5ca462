"""Lineage validation: cycles, dangling edges, stuck runs, artifacts without files."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from provgraph.graph import GraphStore
from provgraph.graph.sqlite import SqliteGraphStore
from provgraph.ids import new_id
from provgraph.model import NewNode, NodeKind, RunStatus
from provgraph.registry import Registry
from provgraph.workers.lineage import check_lineage, find_cycles

from .world import World

pytestmark = pytest.mark.anyio
LONG_AGO = datetime(2020, 1, 1, tzinfo=timezone.utc)


def test_find_cycles_reports_each_tangle() -> None:
    pairs = [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d"), ("x", "y"), ("y", "x"), ("p", "q")]
    assert find_cycles(pairs, 10) == [["a", "b", "c", "a"], ["x", "y", "x"]]
    assert find_cycles([("a", "a")], 10) == [["a", "a"]]
    assert find_cycles(pairs, 1) == [["a", "b", "c", "a"]]


def test_find_cycles_walks_deep_chains_without_recursion() -> None:
    chain = [(f"n{i}", f"n{i + 1}") for i in range(50_000)]
    assert find_cycles(chain, 10) == []
    assert find_cycles(chain + [("n50000", "n0")], 10) == [[f"n{i}" for i in range(50_001)] + ["n0"]]


async def stuck_run(graph: GraphStore, started: datetime, name: str = "train") -> str:
    props = {"status": RunStatus.RUNNING.value, "started_at": started.isoformat(), "params": {}, "metrics": {}}
    return (await graph.create_node(NewNode(NodeKind.RUN, "default", name, id=new_id(), props=props))).id


async def test_a_healthy_graph_has_no_findings_but_runs_and_files(graph_store: GraphStore, world: World) -> None:
    report = await check_lineage(graph_store)
    assert (report.cycles, report.dangling, report.stale_runs) == ([], [], 0)
    assert report.without_files == []


async def test_stuck_runs_are_marked_once_and_cleared_by_finishing(graph_store: GraphStore, world: World) -> None:
    old = await stuck_run(graph_store, LONG_AGO)
    await stuck_run(graph_store, datetime.now(timezone.utc) - timedelta(hours=1), "fresh")
    first = await check_lineage(graph_store, stuck_after=timedelta(hours=24))
    assert [r.id for r in first.newly_stale] == [old] and first.stale_runs == 1
    marked = (await graph_store.get_nodes([old]))[old].props
    assert (marked["status"], marked["stale"]) == ("RUNNING", True)
    assert marked["stale_note"] == f"RUNNING since {LONG_AGO.isoformat()}, more than 24 h without finishRun"
    second = await check_lineage(graph_store, stuck_after=timedelta(hours=24))
    assert (second.newly_stale, second.stale_runs) == ([], 1)
    await Registry(graph_store).finish_run(old, RunStatus.FAILED, error="node lost")
    finished = (await graph_store.get_nodes([old]))[old].props
    assert (finished["status"], finished["stale"]) == ("FAILED", False)
    assert (await check_lineage(graph_store)).stale_runs == 0


async def test_artifacts_without_files_are_listed(graph_store: GraphStore, world: World) -> None:
    registry = Registry(graph_store)
    finetune = await registry.register_model("mamba", parents=[world.v2])
    empty = await registry.register_dataset("empty", [])
    report = await check_lineage(graph_store)
    assert [n.id for n in report.without_files] == sorted([finetune.id, empty.id])


async def test_sqlite_edges_to_missing_nodes_and_cycles_are_found(tmp_path: Path) -> None:
    store = SqliteGraphStore(str(tmp_path / "graph.db"))
    await store.open()
    try:
        registry = Registry(store)
        a = await registry.register_model("a")
        b = await registry.register_model("b", parents=[a.id])
        gone = await registry.register_model("gone", parents=[b.id])
        # What no API write can do, done behind the store's back: a cycle, a deleted row.
        with sqlite3.connect(store.db_path) as conn:
            seq = dict(conn.execute("SELECT id, seq FROM nodes").fetchall())
            conn.execute("INSERT INTO edges(src, dst, type) VALUES (?, ?, 'DERIVED_FROM')", (seq[a.id], seq[b.id]))
            conn.execute("DELETE FROM nodes WHERE id = ?", (gone.id,))
        report = await check_lineage(store)
        assert report.cycles == [sorted([a.id, b.id]) + [min(a.id, b.id)]]
        assert [(e.source, e.target, e.type.value) for e in report.dangling] == [(f"#{seq[gone.id]}", b.id, "DERIVED_FROM")]
    finally:
        await store.close()
