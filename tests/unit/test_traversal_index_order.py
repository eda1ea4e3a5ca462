"""The traversal index keeps each node's out-edges in answer order as edges arrive."""

from __future__ import annotations

from pathlib import Path
from typing import AsyncIterator

import pytest

from provgraph.graph.sqlite import SqliteGraphStore
from provgraph.ids import new_id
from provgraph.model import Direction, EdgeSpec, EdgeType, NewNode, NodeKind

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
