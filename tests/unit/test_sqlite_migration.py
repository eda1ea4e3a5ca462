"""A graph file written by the previous schema (v3) opens under v4 with its data intact
and the registry lifecycle working on it; a newer file is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from provgraph.graph.rows import doc_of
from provgraph.graph.sqlite import SqliteGraphStore
from provgraph.graph.sqlite_schema import MIGRATIONS, SCHEMA_VERSION, connect
from provgraph.registry import Registry

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
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 4
    conn.close()


async def test_a_newer_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "graph.db"
    conn = connect(str(path))
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    conn.close()
    store = SqliteGraphStore(str(path))
    with pytest.raises(RuntimeError) as caught:
        await store.open()
    assert str(caught.value) == f"graph database schema v{SCHEMA_VERSION + 1} is newer than this provgraph (v{SCHEMA_VERSION})"
