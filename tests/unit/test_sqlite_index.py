"""The SQLite store's in-memory traversal index stays exact when another store instance
(another process, in production) writes the same file, and rebuilds when rows it knows
were deleted."""

from __future__ import annotations

from pathlib import Path
from typing import AsyncIterator

import pytest

from provgraph.digest import Digest
from provgraph.graph.sqlite import SqliteGraphStore
from provgraph.ids import new_id, utcnow
from provgraph.model import BlobStatus, Direction, EdgeSpec, EdgeType, NewNode, NodeKind

pytestmark = pytest.mark.anyio

UP, DOWN = Direction.UPSTREAM, Direction.DOWNSTREAM


def model(node_id: str, *parents: str) -> NewNode:
    return NewNode(NodeKind.MODEL, "p", "m", id=node_id,
                   edges=tuple(EdgeSpec(EdgeType.DERIVED_FROM, p) for p in parents))


@pytest.fixture
async def two(tmp_path: Path) -> AsyncIterator[tuple[SqliteGraphStore, SqliteGraphStore]]:
    reader, writer = SqliteGraphStore(str(tmp_path / "g.db")), SqliteGraphStore(str(tmp_path / "g.db"))
    await reader.open()
    await writer.open()
    try:
        yield reader, writer
    finally:
        await writer.close()
        await reader.close()


async def test_writes_of_another_instance_are_seen(two: tuple[SqliteGraphStore, SqliteGraphStore]) -> None:
    reader, writer = two
    a, b, c = new_id(), new_id(), new_id()
    await writer.create_nodes([model(a), model(b, a)])
    assert [h.id for h in await reader.traverse_ids([a], DOWN, None)] == [b]  # index built here
    await writer.create_node(model(c, b))
    assert [(h.id, h.depth) for h in await reader.traverse_ids([a], DOWN, None)] == [(b, 1), (c, 2)]
    assert [h.id for h in (await reader.traverse_page([c], UP, None, None, None, 5, None)).items] == [b, a]
    await writer.update_props(a, NodeKind.MODEL, {"description": "from the other one"})
    (hop,) = [h for h in await reader.traverse([c], UP, None) if h.node.id == a]
    assert hop.node.props["description"] == "from the other one"
    d = new_id()
    await writer.create_node(model(d))
    await writer.add_edge(a, EdgeSpec(EdgeType.DERIVED_FROM, d))
    assert [(n.id, len(n.id)) for n in (await reader.lineage(c, UP, None)).nodes] == [
        (i, 26) for i in sorted([a, b, c, d])]


async def test_a_reused_seq_rebuilds_the_index(two: tuple[SqliteGraphStore, SqliteGraphStore]) -> None:
    """Deleting the newest rows lets SQLite hand their seqs to the next nodes: equal row
    counts must not hide that (two blobs deleted, then a node and the same blob again)."""
    reader, writer = two
    a = new_id()
    await writer.create_node(model(a))
    blobs = [Digest("d" * 64), Digest("e" * 64)]
    for blob in blobs:
        await writer.record_blob(blob, 1, BlobStatus.PENDING, utcnow())
    assert await reader.traverse_ids([a], UP, None) == []
    await writer.delete_unreferenced_blobs(blobs)
    x = new_id()
    await writer.create_node(model(x))  # takes the first blob's seq
    await writer.record_blob(blobs[1], 1, BlobStatus.PENDING, utcnow())  # the second's again
    child = new_id()
    await writer.create_node(model(child, x))
    assert [h.id for h in await reader.traverse_ids([x], DOWN, None)] == [child]
    assert [h.id for h in await reader.traverse_ids([child], UP, None)] == [x]


async def test_lineage_edges_keep_their_order_when_a_node_gains_edges(
        two: tuple[SqliteGraphStore, SqliteGraphStore]) -> None:
    reader, writer = two
    a, b, c, d = (new_id() for _ in range(4))  # ids in creation order: b < c < d
    await writer.create_nodes([model(b), model(c), model(d)])
    await writer.create_node(model(a, d))
    assert [e.target for e in (await reader.lineage(a, UP, None)).edges] == [d]  # index built here
    await writer.add_edge(a, EdgeSpec(EdgeType.DERIVED_FROM, c))
    await writer.add_edge(a, EdgeSpec(EdgeType.USED, b, role="train"))
    await writer.add_edge(a, EdgeSpec(EdgeType.DERIVED_FROM, b))
    graph = await reader.lineage(a, UP, None)
    assert [(e.source, e.target, e.type, e.role) for e in graph.edges] == [
        (a, b, EdgeType.DERIVED_FROM, None), (a, b, EdgeType.USED, "train"),
        (a, c, EdgeType.DERIVED_FROM, None), (a, d, EdgeType.DERIVED_FROM, None)]
