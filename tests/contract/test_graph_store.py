"""The GraphStore contract, run against every graph backend (see tests/conftest.py)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import pytest

from provgraph.digest import Digest
from provgraph.errors import BadInput, Conflict, Cycle, NotFound
from provgraph.graph import GraphStore
from provgraph.ids import new_id
from provgraph.model import (
    BlobStatus,
    Direction,
    EdgeSpec,
    EdgeType,
    FileRef,
    NewNode,
    Node,
    NodeFilter,
    NodeKind,
    PathDirection,
)

pytestmark = pytest.mark.anyio

UP, DOWN, BOTH = Direction.UPSTREAM, Direction.DOWNSTREAM, Direction.BOTH


def digest(char: str) -> Digest:
    return Digest(char * 64)


def model(name: str = "m", *parents: str, version: str | None = None, **kw: object) -> NewNode:
    edges = tuple(EdgeSpec(EdgeType.DERIVED_FROM, p) for p in parents)
    return NewNode(NodeKind.MODEL, "p", name, version=version, edges=edges, **kw)  # type: ignore[arg-type]


async def count(store: GraphStore, kind: NodeKind) -> int:
    return len((await store.list_nodes(kind, NodeFilter(), 1000, None)).items)


def depths(hops: list) -> dict[str, int]:  # type: ignore[type-arg]
    return {h.node.id: h.depth for h in hops}


# -- writes -------------------------------------------------------------------------


async def test_created_node_reads_back(graph_store: GraphStore) -> None:
    created = await graph_store.create_node(NewNode(
        NodeKind.DATASET, "proj", "replays", tags=("a", "b"), metadata={"k": [1, 2]},
        props={"file_count": 0, "stats": {"x": 1}},
    ))
    assert created.version == "v1"
    got = (await graph_store.get_nodes([created.id, "01ARZ3NDEKTSV4RRFFQ69G5FAV"]))
    assert list(got) == [created.id]
    node = got[created.id]
    assert (node.kind, node.project, node.name, node.tags) == (NodeKind.DATASET, "proj", "replays", ("a", "b"))
    assert node.metadata == {"k": [1, 2]}
    assert node.props["stats"] == {"x": 1}
    assert node.created_at.tzinfo is not None


async def test_versions_are_allocated_per_kind_project_and_name(graph_store: GraphStore) -> None:
    a1 = await graph_store.create_node(model("a"))
    a2 = await graph_store.create_node(model("a"))
    b1 = await graph_store.create_node(model("b"))
    d1 = await graph_store.create_node(NewNode(NodeKind.DATASET, "p", "a"))
    other = await graph_store.create_node(NewNode(NodeKind.MODEL, "q", "a"))
    assert [n.version for n in (a1, a2, b1, d1, other)] == ["v1", "v2", "v1", "v1", "v1"]


async def test_explicit_versions_and_duplicates(graph_store: GraphStore) -> None:
    await graph_store.create_node(model("a", version="1.0.0"))
    five = await graph_store.create_node(model("a", version="v5"))
    auto = await graph_store.create_node(model("a"))
    assert (five.version, auto.version) == ("v5", "v6")
    with pytest.raises(Conflict) as err:
        await graph_store.create_node(model("a", version="1.0.0"))
    assert err.value.message == "model p/a:1.0.0 already exists"
    assert await count(graph_store, NodeKind.MODEL) == 3


async def test_auto_version_skips_explicitly_taken_ones(graph_store: GraphStore) -> None:
    await graph_store.create_node(model("a"))
    await graph_store.create_node(model("a", version="v2"))
    assert (await graph_store.create_node(model("a"))).version == "v3"


async def test_concurrent_writers_get_distinct_versions(graph_store: GraphStore) -> None:
    nodes = await asyncio.gather(*(graph_store.create_node(model("hot")) for _ in range(32)))
    assert sorted(n.version for n in nodes if n.version) == sorted(f"v{i}" for i in range(1, 33))


async def test_client_chosen_id_makes_create_idempotent(graph_store: GraphStore) -> None:
    node_id = new_id()
    first = await graph_store.create_node(model("a", id=node_id))
    again = await graph_store.create_node(model("a", id=node_id))
    assert first == again and first.id == node_id
    assert await count(graph_store, NodeKind.MODEL) == 1
    with pytest.raises(Conflict) as err:
        await graph_store.create_node(NewNode(NodeKind.RUN, "p", "r", id=node_id))
    assert err.value.message == f"id {node_id} already names a model"


async def test_unknown_edge_target_writes_nothing(graph_store: GraphStore) -> None:
    ghost = new_id()
    with pytest.raises(NotFound) as err:
        await graph_store.create_node(model("a", ghost, files=(FileRef("w.bin", digest("a"), 1),)))
    assert err.value.message == f"no node with id {ghost!r}"
    assert await count(graph_store, NodeKind.MODEL) == 0
    assert await graph_store.get_nodes([digest("a").node_id]) == {}
    assert (await graph_store.create_node(model("a"))).version == "v1"


async def test_files_create_pending_blobs(graph_store: GraphStore) -> None:
    files = (FileRef("b.txt", digest("b"), 2), FileRef("a.txt", digest("a"), 1, "data"))
    node = await graph_store.create_node(NewNode(NodeKind.DATASET, "p", "d", files=files))
    blob = (await graph_store.get_nodes([digest("a").node_id]))[digest("a").node_id]
    assert blob.kind is NodeKind.BLOB
    assert (blob.props["status"], blob.props["size"], blob.props["digest"]) == ("PENDING", 1, "a" * 64)
    page = await graph_store.list_files(node.id, 1, None)
    assert [(f.path, f.role, f.digest, f.size, f.status) for f in page.items] == [
        ("a.txt", "data", digest("a"), 1, BlobStatus.PENDING)]
    assert page.has_next
    rest = await graph_store.list_files(node.id, 10, page.end_cursor)
    assert [f.path for f in rest.items] == ["b.txt"] and not rest.has_next
    batch = await graph_store.files_of([node.id, digest("a").node_id], 1)
    assert [f.path for f in batch[node.id]] == ["a.txt"] and batch[digest("a").node_id] == []


async def test_blob_size_clash_writes_nothing(graph_store: GraphStore) -> None:
    await graph_store.create_node(NewNode(NodeKind.DATASET, "p", "d", files=(FileRef("a", digest("a"), 1),)))
    with pytest.raises(BadInput) as err:
        await graph_store.create_node(NewNode(NodeKind.DATASET, "p", "e", files=(
            FileRef("new", digest("c"), 5), FileRef("x", digest("a"), 2))))
    assert err.value.message == f"file 'x' claims size 2 but blob {'a' * 64} is 1 bytes"
    assert await count(graph_store, NodeKind.DATASET) == 1
    assert await graph_store.get_nodes([digest("c").node_id]) == {}


async def test_update_props_merges(graph_store: GraphStore) -> None:
    run = await graph_store.create_node(NewNode(NodeKind.RUN, "p", "r", props={"status": "RUNNING", "params": {"lr": 1}}))
    done = await graph_store.update_props(run.id, NodeKind.RUN, {"status": "COMPLETED"})
    assert done.props == {"status": "COMPLETED", "params": {"lr": 1}}
    listed = await graph_store.list_nodes(NodeKind.RUN, NodeFilter(status="COMPLETED"), 10, None)
    assert [n.id for n in listed.items] == [run.id]
    with pytest.raises(NotFound) as err:
        await graph_store.update_props(run.id, NodeKind.MODEL, {"status": "X"})
    assert err.value.message == f"no model with id {run.id!r}"


async def test_aliases_move_between_versions(graph_store: GraphStore) -> None:
    v1 = await graph_store.create_node(model("a"))
    v2 = await graph_store.create_node(model("a"))
    await graph_store.set_alias(v1.id, "production")
    moved = await graph_store.set_alias(v2.id, "production")
    assert moved.props["aliases"] == ["production"]
    old = (await graph_store.get_nodes([v1.id]))[v1.id]
    assert old.props["aliases"] == []
    found = await graph_store.find_versions([NodeKind.MODEL, NodeKind.DATASET], "p", "a", "@production")
    assert [n.id for n in found] == [v2.id]
    with pytest.raises(NotFound):
        await graph_store.set_alias(new_id(), "x")


async def test_find_versions(graph_store: GraphStore) -> None:
    v1 = await graph_store.create_node(model("a"))
    v2 = await graph_store.create_node(model("a"))
    ds = await graph_store.create_node(NewNode(NodeKind.DATASET, "p", "a"))
    kinds = [NodeKind.MODEL, NodeKind.DATASET]
    assert [n.id for n in await graph_store.find_versions(kinds, "p", "a", "v1")] == [v1.id, ds.id]
    assert [n.id for n in await graph_store.find_versions([NodeKind.MODEL], "p", "a", "latest")] == [v2.id]
    assert await graph_store.find_versions(kinds, "p", "a", "v9") == []
    assert await graph_store.find_versions(kinds, "other", "a", "latest") == []


async def test_add_edge_refuses_cycles(graph_store: GraphStore) -> None:
    a = await graph_store.create_node(model("a"))
    b = await graph_store.create_node(model("b", a.id))
    c = await graph_store.create_node(model("c", b.id))
    with pytest.raises(Cycle) as err:
        await graph_store.add_edge(a.id, EdgeSpec(EdgeType.DERIVED_FROM, c.id))
    assert err.value.message == (
        f"DERIVED_FROM from {a.id} to {c.id} would close a cycle: {c.id} already derives from {a.id}")
    with pytest.raises(Cycle):
        await graph_store.add_edge(a.id, EdgeSpec(EdgeType.DERIVED_FROM, a.id))
    assert depths(await graph_store.traverse([a.id], UP, None)) == {}
    await graph_store.add_edge(c.id, EdgeSpec(EdgeType.DERIVED_FROM, a.id))
    await graph_store.add_edge(c.id, EdgeSpec(EdgeType.DERIVED_FROM, a.id))
    sub = await graph_store.lineage(c.id, UP, None)
    assert len(sub.edges) == 3
    with pytest.raises(NotFound):
        await graph_store.add_edge(c.id, EdgeSpec(EdgeType.DERIVED_FROM, new_id()))


async def test_record_blob_keeps_bounded_history(graph_store: GraphStore) -> None:
    at = datetime(2026, 1, 1, tzinfo=timezone.utc)
    for i in range(25):
        status = BlobStatus.VERIFIED if i < 24 else BlobStatus.CORRUPT
        blob = await graph_store.record_blob(digest("e"), 7, status, at.replace(minute=i), f"check {i}")
    assert blob.id == "sha256:" + "e" * 64 and blob.kind is NodeKind.BLOB
    assert blob.props["status"] == "CORRUPT"
    assert blob.props["verified_at"] == at.replace(minute=23).isoformat()
    history = blob.props["history"]
    assert len(history) == 20 and history[0]["detail"] == "check 24" and history[-1]["detail"] == "check 5"


async def test_blob_counts_and_lists_by_project(graph_store: GraphStore) -> None:
    await graph_store.create_node(NewNode(NodeKind.DATASET, "p", "d", files=(FileRef("a", digest("a"), 1),)))
    await graph_store.create_node(NewNode(NodeKind.DATASET, "q", "d", files=(FileRef("b", digest("b"), 1),)))
    now = datetime.now(timezone.utc)
    await graph_store.record_blob(digest("b"), 1, BlobStatus.MISSING, now)
    counts = await graph_store.blob_counts(None)
    assert (counts[BlobStatus.PENDING], counts[BlobStatus.MISSING], counts[BlobStatus.VERIFIED]) == (1, 1, 0)
    assert (await graph_store.blob_counts(["p"]))[BlobStatus.MISSING] == 0
    both = await graph_store.blob_counts(["p", "q"])
    assert (both[BlobStatus.PENDING], both[BlobStatus.MISSING]) == (1, 1)
    assert sum((await graph_store.blob_counts([])).values()) == 0
    missing = await graph_store.blobs_with_status([BlobStatus.MISSING, BlobStatus.CORRUPT], ["q"], 10)
    assert [b.id for b in missing] == [digest("b").node_id]
    assert await graph_store.blobs_with_status([BlobStatus.MISSING], ["p"], 10) == []
    assert await graph_store.blobs_with_status([BlobStatus.MISSING], ["elsewhere"], 10) == []


async def test_blob_projects_name_the_projects_that_hold_a_blob(graph_store: GraphStore) -> None:
    shared = FileRef("w", digest("c"), 1)
    await graph_store.create_node(NewNode(NodeKind.DATASET, "p", "d", files=(shared,)))
    await graph_store.create_node(NewNode(NodeKind.MODEL, "q", "m", files=(FileRef("x", digest("c"), 1),)))
    await graph_store.create_node(NewNode(NodeKind.MODEL, "q", "n", files=(FileRef("y", digest("c"), 1),)))
    assert await graph_store.blob_projects(digest("c").node_id) == frozenset({"p", "q"})
    await graph_store.record_blob(digest("f"), 1, BlobStatus.VERIFIED, datetime.now(timezone.utc))
    assert await graph_store.blob_projects(digest("f").node_id) == frozenset()
    assert await graph_store.blob_projects("sha256:" + "0" * 64) == frozenset()


async def test_listing_pages_newest_first_with_filters(graph_store: GraphStore) -> None:
    made = [await graph_store.create_node(model("m", tags=("even",) if i % 2 == 0 else ())) for i in range(7)]
    await graph_store.create_node(NewNode(NodeKind.MODEL, "other", "m"))
    seen: list[str] = []
    after = None
    while True:
        page = await graph_store.list_nodes(NodeKind.MODEL, NodeFilter(project="p"), 3, after)
        seen += [n.id for n in page.items]
        if not page.has_next:
            break
        after = page.end_cursor
    assert seen == sorted((n.id for n in made), reverse=True)
    tagged = await graph_store.list_nodes(NodeKind.MODEL, NodeFilter(tag="even", name="m"), 10, None)
    assert len(tagged.items) == 4
    scoped = await graph_store.list_nodes(NodeKind.MODEL, NodeFilter(projects=frozenset({"other", "x"})), 10, None)
    assert [n.project for n in scoped.items] == ["other"]
    both = await graph_store.list_nodes(NodeKind.MODEL, NodeFilter(projects=frozenset({"other", "p"})), 10, None)
    assert len(both.items) == 8
    assert (await graph_store.list_nodes(NodeKind.MODEL, NodeFilter(projects=frozenset()), 10, None)).items == []
    narrowed = NodeFilter(project="p", projects=frozenset({"other"}))
    assert (await graph_store.list_nodes(NodeKind.MODEL, narrowed, 10, None)).items == []


# -- traversals ---------------------------------------------------------------------


async def scenario(store: GraphStore) -> dict[str, Node]:
    """raw ← filtered; train(raw) → m1; finetune(filtered, m1) → m2 ← eval(on filtered)."""
    n: dict[str, Node] = {}
    n["raw"] = await store.create_node(NewNode(NodeKind.DATASET, "p", "raw", files=(
        FileRef("a", digest("a"), 1), FileRef("b", digest("b"), 1))))
    n["filtered"] = await store.create_node(NewNode(
        NodeKind.DATASET, "p", "filtered", files=(FileRef("a", digest("a"), 1),),
        edges=(EdgeSpec(EdgeType.DERIVED_FROM, n["raw"].id),)))
    n["train"] = await store.create_node(NewNode(NodeKind.RUN, "p", "train", edges=(
        EdgeSpec(EdgeType.USED, n["raw"].id, "train"),)))
    n["m1"] = await store.create_node(NewNode(NodeKind.MODEL, "p", "m", files=(
        FileRef("w", digest("c"), 1, "checkpoint"),), edges=(EdgeSpec(EdgeType.GENERATED_BY, n["train"].id),)))
    n["tune"] = await store.create_node(NewNode(NodeKind.RUN, "p", "tune", edges=(
        EdgeSpec(EdgeType.USED, n["filtered"].id, "train"), EdgeSpec(EdgeType.USED, n["m1"].id, "base_model"))))
    n["m2"] = await store.create_node(NewNode(NodeKind.MODEL, "p", "m", edges=(
        EdgeSpec(EdgeType.GENERATED_BY, n["tune"].id), EdgeSpec(EdgeType.DERIVED_FROM, n["m1"].id))))
    n["eval"] = await store.create_node(NewNode(NodeKind.EVALUATION, "p", "e", edges=(
        EdgeSpec(EdgeType.EVALUATES, n["m2"].id), EdgeSpec(EdgeType.ON, n["filtered"].id))))
    return n


async def test_ancestors_with_shortest_depths(graph_store: GraphStore) -> None:
    n = await scenario(graph_store)
    got = depths(await graph_store.traverse([n["m2"].id], UP, None))
    assert got == {
        n["tune"].id: 1, n["m1"].id: 1, n["filtered"].id: 2, n["train"].id: 2,
        digest("c").node_id: 2, n["raw"].id: 3, digest("a").node_id: 3, digest("b").node_id: 4,
    }
    models = await graph_store.traverse([n["m2"].id], UP, None, kinds=[NodeKind.DATASET])
    assert [(h.node.id, h.depth) for h in models] == [(n["filtered"].id, 2), (n["raw"].id, 3)]
    shallow = depths(await graph_store.traverse([n["m2"].id], UP, 1))
    assert shallow == {n["tune"].id: 1, n["m1"].id: 1}
    derived = depths(await graph_store.traverse([n["m2"].id], UP, None, edge_types=[EdgeType.DERIVED_FROM]))
    assert derived == {n["m1"].id: 1}


async def test_descendants_and_impact_of_a_blob(graph_store: GraphStore) -> None:
    n = await scenario(graph_store)
    got = depths(await graph_store.traverse([digest("a").node_id], DOWN, None))
    assert got == {
        n["raw"].id: 1, n["filtered"].id: 1, n["train"].id: 2, n["tune"].id: 2, n["eval"].id: 2,
        n["m1"].id: 3, n["m2"].id: 3,
    }
    hops = await graph_store.traverse([n["raw"].id], DOWN, 2)
    assert [h.depth for h in hops] == sorted(h.depth for h in hops)
    with pytest.raises(NotFound):
        await graph_store.traverse([new_id()], UP, None)


async def test_lineage_subgraphs(graph_store: GraphStore) -> None:
    n = await scenario(graph_store)
    up = await graph_store.lineage(n["m1"].id, UP, None)
    assert {x.id for x in up.nodes} == {n["m1"].id, n["train"].id, n["raw"].id, digest("a").node_id,
                                         digest("b").node_id, digest("c").node_id}
    assert {(e.source, e.target, e.type, e.role) for e in up.edges} == {
        (n["m1"].id, n["train"].id, EdgeType.GENERATED_BY, None),
        (n["m1"].id, digest("c").node_id, EdgeType.HAS_FILE, "w"),
        (n["train"].id, n["raw"].id, EdgeType.USED, "train"),
        (n["raw"].id, digest("a").node_id, EdgeType.HAS_FILE, "a"),
        (n["raw"].id, digest("b").node_id, EdgeType.HAS_FILE, "b"),
    }
    assert up.direction is UP and list(up.edges) == sorted(up.edges, key=lambda e: (e.source, e.target))
    down = await graph_store.lineage(n["m1"].id, DOWN, 1)
    assert {x.id for x in down.nodes} == {n["m1"].id, n["tune"].id, n["m2"].id}
    down_edges = {
        (n["tune"].id, n["m1"].id, EdgeType.USED, "base_model"),
        (n["m2"].id, n["m1"].id, EdgeType.DERIVED_FROM, None),
        # Between two nodes at the depth bound: not walked, but among the nodes returned.
        (n["m2"].id, n["tune"].id, EdgeType.GENERATED_BY, None),
    }
    assert {(e.source, e.target, e.type, e.role) for e in down.edges} == down_edges
    assert len(down.edges) == 3 and down.direction is DOWN
    both = await graph_store.lineage(n["m1"].id, BOTH, 1)
    assert {x.id for x in both.nodes} == {n["m1"].id, n["tune"].id, n["m2"].id, n["train"].id, digest("c").node_id}
    assert {(e.source, e.target, e.type, e.role) for e in both.edges} == down_edges | {
        (n["m1"].id, n["train"].id, EdgeType.GENERATED_BY, None),
        (n["m1"].id, digest("c").node_id, EdgeType.HAS_FILE, "w"),
    }
    assert both.direction is BOTH


async def test_lineage_both_keeps_edges_that_bypass_the_start(graph_store: GraphStore) -> None:
    """P1→G, P2→G, C→P1, C→P2, D→C, D→G, E→D, E→P1 (child → parent): lineage(C, BOTH)
    has all six nodes and all eight edges, D→G and E→P1 included."""
    g = await graph_store.create_node(model("G"))
    p1 = await graph_store.create_node(model("P1", g.id))
    p2 = await graph_store.create_node(model("P2", g.id))
    c = await graph_store.create_node(model("C", p1.id, p2.id))
    d = await graph_store.create_node(model("D", c.id, g.id))
    e = await graph_store.create_node(model("E", d.id, p1.id))
    both = await graph_store.lineage(c.id, BOTH, None)
    assert {x.id for x in both.nodes} == {g.id, p1.id, p2.id, c.id, d.id, e.id}
    assert {(x.source, x.target) for x in both.edges} == {
        (p1.id, g.id), (p2.id, g.id), (c.id, p1.id), (c.id, p2.id), (d.id, c.id), (d.id, g.id),
        (e.id, d.id), (e.id, p1.id)}
    bounded = await graph_store.lineage(c.id, BOTH, 1)
    assert {x.id for x in bounded.nodes} == {p1.id, p2.id, c.id, d.id}
    assert {(x.source, x.target) for x in bounded.edges} == {(c.id, p1.id), (c.id, p2.id), (d.id, c.id)}
    path = await graph_store.path(g.id, e.id)
    assert path is not None and path.direction is DOWN
    hops = [x.id for x in path.nodes]  # G ← P1 ← E or G ← D ← E: both shortest
    assert hops in ([g.id, p1.id, e.id], [g.id, d.id, e.id])
    assert [(x.source, x.target) for x in path.edges] == [(hops[1], g.id), (e.id, hops[1])]


async def test_path_between_nodes(graph_store: GraphStore) -> None:
    n = await scenario(graph_store)
    found = await graph_store.path(n["m2"].id, n["raw"].id)
    assert found is not None
    assert len(found.nodes) == 4 and found.nodes[0].id == n["m2"].id and found.nodes[-1].id == n["raw"].id
    assert [(e.source, e.target) for e in found.edges] == [
        (a.id, b.id) for a, b in zip(found.nodes, found.nodes[1:])]
    assert found.direction is UP
    assert await graph_store.path(n["m2"].id, n["raw"].id, PathDirection.UPSTREAM) == found
    assert await graph_store.path(n["m2"].id, n["raw"].id, PathDirection.DOWNSTREAM) is None
    reverse = await graph_store.path(n["raw"].id, n["m2"].id)
    assert reverse is not None and reverse.direction is DOWN
    assert len(reverse.nodes) == 4 and reverse.nodes[0].id == n["raw"].id and reverse.nodes[-1].id == n["m2"].id
    assert [(e.source, e.target) for e in reverse.edges] == [
        (b.id, a.id) for a, b in zip(reverse.nodes, reverse.nodes[1:])]
    assert await graph_store.path(n["raw"].id, n["m2"].id, PathDirection.UPSTREAM) is None
    assert await graph_store.path(n["raw"].id, n["m2"].id, PathDirection.DOWNSTREAM) == reverse
    assert await graph_store.path(n["m1"].id, n["eval"].id) is not None
    assert await graph_store.path(n["train"].id, n["filtered"].id) is None
    itself = await graph_store.path(n["m1"].id, n["m1"].id)
    assert itself is not None and [x.id for x in itself.nodes] == [n["m1"].id] and itself.edges == ()
    with pytest.raises(NotFound):
        await graph_store.path(n["m1"].id, new_id())


async def test_diamond_answers_the_shortest_depth(graph_store: GraphStore) -> None:
    root = await graph_store.create_node(model("root"))
    a = await graph_store.create_node(model("a", root.id))
    b = await graph_store.create_node(model("b", a.id))
    tip = await graph_store.create_node(model("tip", b.id, root.id))
    assert depths(await graph_store.traverse([tip.id], UP, None)) == {b.id: 1, root.id: 1, a.id: 2}
    assert depths(await graph_store.traverse([root.id], DOWN, None)) == {a.id: 1, tip.id: 1, b.id: 2}


@pytest.mark.timeout(60)
async def test_ladder_with_2_pow_200_paths(graph_store: GraphStore) -> None:
    layer: list[str] = []
    for _ in range(200):
        layer = [(await graph_store.create_node(model("l", *layer))).id for _ in range(2)]
    tip = layer[0]
    hops = await graph_store.traverse([tip], UP, None)
    assert len(hops) == 398 and max(h.depth for h in hops) == 199
    assert sum(1 for h in hops if h.depth == 1) == 2
    bounded = await graph_store.traverse([tip], UP, 100)
    assert len(bounded) == 200 and max(h.depth for h in bounded) == 100
    sub = await graph_store.lineage(tip, UP, None)
    assert (len(sub.nodes), len(sub.edges)) == (399, 4 * 198 + 2)


async def test_create_nodes_is_all_or_nothing(graph_store: GraphStore) -> None:
    a, b = new_id(), new_id()
    made = await graph_store.create_nodes([model("a", id=a), model("b", a, id=b)])
    assert [n.id for n in made] == [a, b]
    assert depths(await graph_store.traverse([b], UP, None)) == {a: 1}
    with pytest.raises(Conflict):
        await graph_store.create_nodes([model("c"), model("a", version="v1")])
    assert await count(graph_store, NodeKind.MODEL) == 2


async def test_create_nodes_imports_many_runs_at_once(graph_store: GraphStore) -> None:
    dataset = await graph_store.create_node(NewNode(NodeKind.DATASET, "p", "d"))
    ids = [new_id() for _ in range(50)]
    used = (EdgeSpec(EdgeType.USED, dataset.id, "train"),)
    runs = await graph_store.create_nodes([NewNode(NodeKind.RUN, "p", f"r{i}", id=ids[i], edges=used,
                                                   props={"status": "RUNNING"}, tags=("t",)) for i in range(50)])
    assert [r.id for r in runs] == ids and runs[7].name == "r7" and runs[7].props == {"status": "RUNNING"}
    assert depths(await graph_store.traverse([dataset.id], DOWN, None)) == {i: 1 for i in ids}
    again = await graph_store.create_nodes([NewNode(NodeKind.RUN, "p", "x", id=i) for i in ids[:3]])
    assert [r.name for r in again] == ["r0", "r1", "r2"]
    ghost = new_id()
    with pytest.raises(NotFound):
        await graph_store.create_nodes([NewNode(NodeKind.RUN, "p", "y", id=new_id()),
                                        NewNode(NodeKind.RUN, "p", "z", id=new_id(), edges=(EdgeSpec(EdgeType.USED, ghost),))])
    assert await count(graph_store, NodeKind.RUN) == 50
