"""Closing the SQLite store while a worker thread still runs a read (a GraphQL field that
keeps resolving after its sibling failed, a shutdown mid-request) must not pull the
connection from under that read."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

pytestmark = pytest.mark.anyio

from provgraph.errors import Unavailable
from provgraph.graph.sqlite import SqliteGraphStore
from provgraph.graph.sqlite_reads import Reader


async def test_a_read_in_flight_finishes_after_close(tmp_path: Path) -> None:
    store = SqliteGraphStore(str(tmp_path / "g.db"))
    await store.open()
    entered, release = threading.Event(), threading.Event()

    def slow(reader: Reader) -> int:
        entered.set()
        release.wait(10)
        (value,) = reader.conn.execute("SELECT 40 + 2").fetchone()
        return int(value)

    read = asyncio.ensure_future(store._read(slow))
    await asyncio.to_thread(entered.wait, 10)
    closing = asyncio.ensure_future(store.close())
    await asyncio.sleep(0.05)
    release.set()
    assert await read == 42
    await closing
    with pytest.raises(Unavailable, match="graph store is closed"):
        await store.ping()
