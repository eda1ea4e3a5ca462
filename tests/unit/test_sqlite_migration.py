"""A graph file written by an earlier schema (v3, v4) opens under the current one with its
data intact, the registry lifecycle and run search working on it; a newer file is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from provgraph.graph.rows import doc_of
from provgraph.graph.sqlite import SqliteGraphStore
from provgraph.graph.sqlite_schema import MIGRATIONS, SCHEMA_VERSION, connect
from provgraph.metrics import MetricPoint
from provgraph.model import RunStatus
from provgraph.registry import Registry
from provgraph.search import NEWEST_FIRST, parse_filter, parse_order

pytestmark = pytest.mark.anyio
OLD = "01J0000000000000000000V3AA"


def old_file(path: Path, version: int) -> None:
    conn = connect(str(path))
    for step in range(1, version + 1):
        for statement in MIGRATIONS[step].split(";"):
            if statement.strip():
                conn.execute(statement)
    conn.execute(f"PRAGMA user_version={version}")
    conn.execute(
        "INSERT INTO nodes(id, kind, project, name, version, created_at, status, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (OLD, "MODEL", "default", "m", "v1", "2026-01-01T00:00:00+00:00", "COMPLETED",
         doc_of((), {}, {"aliases": [], "metrics": {}})),
    )
    conn.execute("INSERT INTO versions(kind, project, name, last) VALUES ('MODEL', 'default', 'm', 1)")
    conn.close()


async def test_a_v3_file_migrates_and_keeps_its_models(tmp_path: Path) -> None:
    path = tmp_path / "graph.db"
    old_file(path, 3)
    store = SqliteGraphStore(str(path))
    await store.open()
    try:
        registry = Registry(store)
        assert (await registry.resolve("m:v1")).id == OLD
        model = await registry.register_model("m")
        assert model.version == "v2"
        await store.close()
        store = SqliteGraphStore(str(path))  # reopen: the migration ran once and holds
        await store.open()
        registry = Registry(store)
        assert (await registry.deploy("m:v1")).id == OLD
        await registry.deploy("m:v2")
        assert [e.model_id for e in (await registry.deployments("m")).items] == [model.id, OLD]
    finally:
        await store.close()
    conn = connect(str(path))
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 5
    conn.close()


FINISHED = "01J0000000000000000000V4AA"
LIVE = "01J0000000000000000000V4BB"


def v4_runs(path: Path) -> None:
    """A v4 file with a finished run and a running one that only logged a history."""
    old_file(path, 4)
    conn = connect(str(path))
    rows = [(FINISHED, "COMPLETED", {"params": {"lr": 0.001}, "metrics": {"loss": 0.1}, "run_kind": "training"},
             ["base"]),
            (LIVE, "RUNNING", {"params": {"lr": 0.01}, "metrics": {}, "run_kind": "training"}, [])]
    for run_id, status, props, tags in rows:
        conn.execute(
            "INSERT INTO nodes(id, kind, project, name, created_at, status, doc) VALUES (?, 'RUN', 'default', 'r', "
            "'2026-01-01T00:00:00+00:00', ?, ?)", (run_id, status, doc_of(tags, {}, props)))
    seq = conn.execute("SELECT seq FROM nodes WHERE id = ?", (LIVE,)).fetchone()[0]
    conn.executemany(
        "INSERT INTO metric_points(run, key, step, batch, idx, value, ts) VALUES (?, 'loss', ?, 'B', ?, ?, 0)",
        [(seq, 1, 0, 0.9), (seq, 3, 1, 0.15), (seq, 2, 2, 0.5)])
    conn.close()


async def search(store: SqliteGraphStore, text: str, order: str | None = None) -> list[str]:
    page = await store.search_runs(parse_filter(text), parse_order(order) if order else NEWEST_FIRST, 10, None)
    return [hit.node.id for hit in page.items]


async def test_a_v4_file_gets_its_runs_indexed_for_search(tmp_path: Path) -> None:
    path = tmp_path / "graph.db"
    v4_runs(path)
    store = SqliteGraphStore(str(path))
    await store.open()
    try:
        # The live run's loss is its last logged point (step 3), not the last row written.
        assert await search(store, "metrics.loss < 0.2", "-metrics.loss") == [LIVE, FINISHED]
        assert await search(store, 'params.lr = 0.001 AND tags = "base" AND status = "COMPLETED"') == [FINISHED]
        registry = Registry(store)
        await registry.log_metrics(LIVE, [MetricPoint("loss", 0.7, 4)])
        assert await search(store, "metrics.loss < 0.2") == [FINISHED]
        await registry.finish_run(LIVE, RunStatus.FAILED, {"loss": 0.05})
        assert await search(store, "metrics.loss < 0.2", "metrics.loss") == [LIVE, FINISHED]
        assert await search(store, 'status = "FAILED"') == [LIVE]
    finally:
        await store.close()


async def test_a_newer_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "graph.db"
    conn = connect(str(path))
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    conn.close()
    store = SqliteGraphStore(str(path))
    with pytest.raises(RuntimeError) as caught:
        await store.open()
    assert str(caught.value) == f"graph database schema v{SCHEMA_VERSION + 1} is newer than this provgraph (v{SCHEMA_VERSION})"
