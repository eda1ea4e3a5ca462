"""Traversal answers by ids only and page by page, and traversals that follow writes,
on every graph backend (the random-DAG agreement with networkx is in
test_traversal_oracle.py)."""

from __future__ import annotations

import pytest

from provgraph.digest import Digest
from provgraph.errors import BadInput, NotFound
from provgraph.graph import GraphStore
from provgraph.graph.hops import cursor_of
from provgraph.ids import new_id, utcnow
from provgraph.model import BlobStatus, Direction, EdgeSpec, EdgeType, FileRef, HopRef, NewNode, NodeKind

pytestmark = pytest.mark.anyio

UP, DOWN = Direction.UPSTREAM, Direction.DOWNSTREAM
BAD_CURSOR = "invalid cursor {!r}: pass the endCursor of a previous page of the same traversal"


def model(node_id: str, *parents: str) -> NewNode:
    return NewNode(NodeKind.MODEL, "p", "m", id=node_id,
                   edges=tuple(EdgeSpec(EdgeType.DERIVED_FROM, p) for p in parents))


async def fan(store: GraphStore, width: int) -> tuple[str, list[str]]:
    """A root, ``width`` children of it and one grandchild under each: 2 × width hops."""
    root, kids = new_id(), [new_id() for _ in range(width)]
    grandkids = [new_id() for _ in range(width)]
    await store.create_nodes([model(root), *(model(k, root) for k in kids),
                              *(model(g, k) for g, k in zip(grandkids, kids))])
    return root, [*sorted(kids), *sorted(grandkids)]


async def pages(store: GraphStore, start: str, first: int) -> list[list[HopRef]]:
    found, after = [], None
    while True:
        page = await store.traverse_page([start], DOWN, None, None, None, first, after)
        found.append(list(page.items))
        if not page.has_next:
            return found
        after = page.end_cursor


async def test_pages_cover_every_hop_once_in_order(graph_store: GraphStore) -> None:
    root, expected = await fan(graph_store, 7)
    whole = await graph_store.traverse_ids([root], DOWN, None)
    assert [h.id for h in whole] == expected and [h.depth for h in whole] == [1] * 7 + [2] * 7
    for first in (1, 3, 5, 14, 100):
        found = await pages(graph_store, root, first)
        assert [h for page in found for h in page] == whole
        assert [len(p) for p in found[:-1]] == [first] * (len(found) - 1) and 0 < len(found[-1]) <= first


async def test_page_cursors_name_their_last_hop(graph_store: GraphStore) -> None:
    root, _ = await fan(graph_store, 3)
    page = await graph_store.traverse_page([root], DOWN, None, None, None, 4, None)
    assert page.has_next and page.end_cursor == cursor_of(page.items[-1])
    rest = await graph_store.traverse_page([root], DOWN, None, None, None, 4, page.end_cursor)
    assert len(rest.items) == 2 and not rest.has_next and rest.end_cursor == cursor_of(rest.items[-1])


async def test_page_filters_and_bounds_like_traverse(graph_store: GraphStore) -> None:
    root, expected = await fan(graph_store, 4)
    page = await graph_store.traverse_page([root], DOWN, 1, [NodeKind.MODEL], [EdgeType.DERIVED_FROM], 10, None)
    assert [h.id for h in page.items] == expected[:4] and not page.has_next
    assert (await graph_store.traverse_page([root], DOWN, None, [NodeKind.RUN], None, 10, None)).items == []


async def test_a_page_after_the_last_hop_is_empty(graph_store: GraphStore) -> None:
    root, _ = await fan(graph_store, 2)
    whole = await graph_store.traverse_ids([root], DOWN, None)
    page = await graph_store.traverse_page([root], DOWN, None, None, None, 5, cursor_of(whole[-1]))
    assert page.items == [] and not page.has_next and page.end_cursor is None


@pytest.mark.parametrize("cursor", ["", "nope", "!!!", cursor_of(HopRef("x", NodeKind.MODEL, 1))[:-2] + "==",
                                    "LTE6eA", "OngK", "MTo"])
async def test_a_bad_cursor_is_bad_input(graph_store: GraphStore, cursor: str) -> None:
    root, _ = await fan(graph_store, 1)
    with pytest.raises(BadInput) as raised:
        await graph_store.traverse_page([root], DOWN, None, None, None, 5, cursor)
    assert str(raised.value) == BAD_CURSOR.format(cursor)


async def test_ids_only_answers_match_full_ones(graph_store: GraphStore) -> None:
    dataset = await graph_store.create_node(NewNode(NodeKind.DATASET, "p", "d"))
    run = await graph_store.create_node(NewNode(NodeKind.RUN, "p", "r", edges=(EdgeSpec(EdgeType.USED, dataset.id, "train"),)))
    tip = await graph_store.create_node(NewNode(NodeKind.MODEL, "p", "m", edges=(EdgeSpec(EdgeType.GENERATED_BY, run.id),)))
    for kinds in (None, [NodeKind.DATASET], [NodeKind.RUN, NodeKind.MODEL]):
        hops = await graph_store.traverse([tip.id], UP, None, kinds)
        assert await graph_store.traverse_ids([tip.id], UP, None, kinds) == [
            HopRef(h.node.id, h.node.kind, h.depth) for h in hops]
    assert await graph_store.traverse_ids([tip.id], UP, None) == [
        HopRef(run.id, NodeKind.RUN, 1), HopRef(dataset.id, NodeKind.DATASET, 2)]
    assert await graph_store.traverse_ids([tip.id], UP, None, edge_types=[EdgeType.GENERATED_BY]) == [
        HopRef(run.id, NodeKind.RUN, 1)]
    with pytest.raises(NotFound):
        await graph_store.traverse_ids(["01ARZ3NDEKTSV4RRFFQ69G5FAV"], UP, None)
    with pytest.raises(NotFound):
        await graph_store.traverse_page(["01ARZ3NDEKTSV4RRFFQ69G5FAV"], UP, None, None, None, 5, None)


async def test_traversals_see_every_write_before_them(graph_store: GraphStore) -> None:
    """Each answer reflects the writes made before it: new nodes and edges, changed
    props, deleted blobs (an index or cache built by an earlier answer stays fresh)."""
    a, b = new_id(), new_id()
    await graph_store.create_nodes([model(a), model(b, a)])
    assert [h.node.id for h in await graph_store.traverse([b], UP, None)] == [a]
    page = await graph_store.traverse_page([a], DOWN, None, None, None, 10, None)
    assert [h.id for h in page.items] == [b]
    c = (await graph_store.create_node(model(new_id(), b))).id
    assert [h.node.id for h in await graph_store.traverse([a], DOWN, None)] == [b, c]
    assert [h.id for h in (await graph_store.traverse_page([a], DOWN, None, None, None, 10, None)).items] == [b, c]
    d = (await graph_store.create_node(model(new_id()))).id
    await graph_store.add_edge(a, EdgeSpec(EdgeType.DERIVED_FROM, d))
    assert {h.node.id: h.depth for h in await graph_store.traverse([c], UP, None)} == {b: 1, a: 2, d: 3}
    assert len((await graph_store.lineage(c, UP, None)).edges) == 3
    await graph_store.update_props(a, NodeKind.MODEL, {"description": "changed"})
    (hop,) = [h for h in await graph_store.traverse([b], UP, None) if h.node.id == a]
    assert hop.node.props["description"] == "changed"
    assert (await graph_store.lineage(b, UP, 1)).nodes[0].props["description"] == "changed"


async def test_traversals_after_blobs_are_deleted_and_ids_reused(graph_store: GraphStore) -> None:
    blob = Digest("b" * 64)
    a = (await graph_store.create_node(model(new_id()))).id
    await graph_store.record_blob(blob, 3, BlobStatus.PENDING, utcnow())  # unreferenced, newest
    assert await graph_store.traverse_ids([a], DOWN, None) == []
    assert await graph_store.delete_unreferenced_blobs([blob]) == [blob]
    # A node created now may take the deleted blob's place in the store; it must not
    # come back under the blob's name.
    child = await graph_store.create_node(NewNode(
        NodeKind.MODEL, "p", "m", edges=(EdgeSpec(EdgeType.DERIVED_FROM, a),),
        files=(FileRef("w.bin", Digest("c" * 64), 1),)))
    assert await graph_store.traverse_ids([a], DOWN, None) == [HopRef(child.id, NodeKind.MODEL, 1)]
    assert [h.id for h in await graph_store.traverse_ids([child.id], UP, None)] == [a, "sha256:" + "c" * 64]
    with pytest.raises(NotFound):
        await graph_store.traverse_ids([blob.node_id], UP, None)
