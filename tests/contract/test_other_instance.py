"""Traversals stay exact when another store instance (another process, another replica
or worker in production) writes the same graph: the in-memory traversal index catches up
with new nodes, edges and props, and rebuilds when rows it knows were deleted."""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator

import pytest

from provgraph.digest import Digest
from provgraph.errors import NotFound
from provgraph.graph import GraphStore, open_graph_store
from provgraph.ids import new_id, utcnow
from provgraph.model import BlobStatus, Direction, EdgeSpec, EdgeType, NewNode, NodeKind

from tests.conftest import GRAPH_BACKENDS, graph_url, wipe

pytestmark = pytest.mark.anyio

UP, DOWN = Direction.UPSTREAM, Direction.DOWNSTREAM
Two = tuple[GraphStore, GraphStore]


def model(node_id: str, *parents: str) -> NewNode:
    return NewNode(NodeKind.MODEL, "p", "m", id=node_id,
                   edges=tuple(EdgeSpec(EdgeType.DERIVED_FROM, p) for p in parents))


@asynccontextmanager
async def reader_and_writer(url: str) -> AsyncIterator[Two]:
    """Two open store instances on the graph at ``url``, emptied first."""
    reader, writer = open_graph_store(url), open_graph_store(url)
    await reader.open()
    await writer.open()
    try:
        await wipe(writer)
        yield reader, writer
    finally:
        await writer.close()
        await reader.close()


@pytest.fixture(params=GRAPH_BACKENDS)
async def two(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Two]:
    """A reader and a writer on one graph."""
    async with reader_and_writer(graph_url(request.param, tmp_path)) as stores:
        yield stores


async def test_writes_of_another_instance_are_seen(two: Two) -> None:
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
    lineage = await reader.lineage(c, UP, None)
    assert [n.id for n in lineage.nodes] == sorted([a, b, c, d])
    assert sorted((e.source, e.target) for e in lineage.edges) == sorted([(c, b), (b, a), (a, d)])
    with pytest.raises(NotFound, match="^no node with id 'nope'$"):
        await reader.traverse_ids(["nope"], UP, None)


async def test_a_deletion_rebuilds_the_index(two: Two) -> None:
    """Unreferenced blobs deleted by the other instance, then new nodes (on SQLite they
    take the deleted rows' seqs, which equal row counts must not hide): the reader drops
    the blobs and sees the new nodes and their edges."""
    reader, writer = two
    a = new_id()
    await writer.create_node(model(a))
    blobs = [Digest("d" * 64), Digest("e" * 64)]
    for blob in blobs:
        await writer.record_blob(blob, 1, BlobStatus.PENDING, utcnow())
    assert await reader.traverse_ids([blobs[0].node_id], UP, None) == []
    assert await writer.delete_unreferenced_blobs(blobs) == blobs
    x, child = new_id(), new_id()
    await writer.create_node(model(x))  # SQLite: takes the first blob's seq
    await writer.record_blob(blobs[1], 1, BlobStatus.PENDING, utcnow())  # the second's again
    await writer.create_node(model(child, x))
    with pytest.raises(NotFound, match=f"^no node with id '{blobs[0].node_id}'$"):
        await reader.traverse_ids([blobs[0].node_id], UP, None)
    assert [h.id for h in await reader.traverse_ids([x], DOWN, None)] == [child]
    assert [h.id for h in await reader.traverse_ids([child], UP, None)] == [x]
    assert await reader.traverse_ids([blobs[1].node_id], UP, None) == []


async def test_lineage_edges_keep_their_order_when_a_node_gains_edges(
        two: Two) -> None:
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
