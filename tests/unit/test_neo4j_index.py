"""The Neo4j store's graph clock and ``_v``, what its traversal index catches up by (the
contract suite ``test_other_instance`` covers both backends): rows without ``_v``,
concurrent writers, which writes tick, and a clock deleted by hand."""

from __future__ import annotations

from pathlib import Path
from typing import Any, AsyncIterator

import anyio
import pytest

from provgraph.digest import Digest
from provgraph.errors import Unavailable
from provgraph.graph import open_graph_store
from provgraph.graph.neo4j import Neo4jGraphStore
from provgraph.ids import new_id, utcnow
from provgraph.metrics import MetricPoint
from provgraph.model import BlobStatus, Direction, NewNode, NodeKind

from tests.conftest import graph_url
from tests.contract.test_other_instance import model, reader_and_writer

pytestmark = pytest.mark.anyio

UP, DOWN = Direction.UPSTREAM, Direction.DOWNSTREAM
Two = tuple[Neo4jGraphStore, Neo4jGraphStore]


async def opened(tmp_path: Path) -> Neo4jGraphStore:
    store = open_graph_store(graph_url("neo4j", tmp_path))
    assert isinstance(store, Neo4jGraphStore)
    await store.open()
    return store


async def cypher(store: Neo4jGraphStore, statement: str) -> list[Any]:
    assert store._driver is not None
    return list((await store._driver.execute_query(statement)).records)


@pytest.fixture(params=["neo4j"])
async def two(tmp_path: Path) -> AsyncIterator[Two]:
    """A reader and a writer on the Neo4j server (the lock fixture keys on the param)."""
    async with reader_and_writer(graph_url("neo4j", tmp_path)) as (reader, writer):
        assert isinstance(reader, Neo4jGraphStore) and isinstance(writer, Neo4jGraphStore)
        yield reader, writer


async def test_rows_without_a_version_appear_after_a_rebuild(two: Two, tmp_path: Path) -> None:
    """Nodes and edges written before the clock existed carry no ``_v``: a full build
    loads them, and catching up afterwards adds only what is new, once."""
    reader, writer = two
    a, b, c = new_id(), new_id(), new_id()
    await writer.create_nodes([model(a), model(b, a)])
    await cypher(writer, "MATCH (n:Node) REMOVE n._v")
    await cypher(writer, "MATCH ()-[r]->() REMOVE r._v")
    assert await cypher(writer, "MATCH (n:Node) WHERE n._v IS NOT NULL RETURN n") == []
    assert [h.id for h in await reader.traverse_ids([a], DOWN, None)] == [b]
    await writer.record_blob(Digest("f" * 64), 1, BlobStatus.PENDING, utcnow())
    await writer.delete_unreferenced_blobs([Digest("f" * 64)])  # the reader rebuilds
    await writer.create_node(model(c, b))
    assert [(h.id, h.depth) for h in await reader.traverse_ids([a], DOWN, None)] == [(b, 1), (c, 2)]
    lineage = await reader.lineage(c, UP, None)
    assert sorted((e.source, e.target) for e in lineage.edges) == sorted([(c, b), (b, a)])
    third = await opened(tmp_path)
    try:
        assert [(h.id, h.depth) for h in await third.traverse_ids([c], UP, None)] == [(b, 1), (a, 2)]
    finally:
        await third.close()


async def test_concurrent_writers_are_all_seen(two: Two, tmp_path: Path) -> None:
    reader, writer = two
    root = new_id()
    await writer.create_node(model(root))
    assert await reader.traverse_ids([root], DOWN, None) == []
    other = await opened(tmp_path)
    try:
        children = [new_id() for _ in range(24)]
        async with anyio.create_task_group() as tasks:
            for i, child in enumerate(children):
                tasks.start_soon((writer if i % 2 else other).create_node, model(child, root))
                tasks.start_soon(reader.traverse_ids, [root], DOWN, None)
    finally:
        await other.close()
    assert [h.id for h in await reader.traverse_ids([root], DOWN, None)] == sorted(children)


async def test_only_graph_writes_tick_the_clock(two: Two) -> None:
    _, writer = two
    run = await writer.create_node(NewNode(NodeKind.RUN, "p", "r"))
    (before,) = await cypher(writer, "MATCH (c:GraphClock) RETURN c.v, c.deleted")
    await writer.append_metrics(run.id, new_id(), [MetricPoint("loss", 0.5, 1)])
    assert await cypher(writer, "MATCH (c:GraphClock) RETURN c.v, c.deleted") == [before]
    await writer.update_props(run.id, NodeKind.RUN, {"note": "x"})
    (after,) = await cypher(writer, "MATCH (c:GraphClock) RETURN c.v, c.deleted")
    assert (after[0], after[1]) == (before[0] + 1, before[1])


async def test_a_lost_clock_is_made_again(two: Two) -> None:
    """A clock deleted by hand fails the next write with UNAVAILABLE, nothing written;
    the store creates it again, and readers start over."""
    reader, writer = two
    a, b, c = new_id(), new_id(), new_id()
    await writer.create_nodes([model(a), model(b, a)])
    assert [h.id for h in await reader.traverse_ids([a], DOWN, None)] == [b]
    await cypher(writer, "MATCH (c:GraphClock) DELETE c")
    with pytest.raises(Unavailable, match=r"^Neo4j holds no \(:GraphClock"):
        await reader.traverse_ids([a], DOWN, None)
    with pytest.raises(Unavailable, match=r"^Neo4j holds no \(:GraphClock \{key: 'graph'\}\) node"):
        await writer.create_node(model(c, b))
    assert (await writer.get_nodes([c])) == {}  # this call made the clock again
    await writer.create_node(model(c, b))
    assert [(h.id, h.depth) for h in await reader.traverse_ids([a], DOWN, None)] == [(b, 1), (c, 2)]
