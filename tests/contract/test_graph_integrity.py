"""The integrity part of the GraphStore contract (blobs due, check results, orphans,
impact walks, lineage validation), run against every graph backend."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

import pytest

from provgraph.checks import CheckResult, Shard
from provgraph.digest import Digest
from provgraph.graph import GraphStore
from provgraph.ids import new_id
from provgraph.model import BlobStatus, Direction, EdgeSpec, EdgeType, FileRef, NewNode, NodeKind

pytestmark = pytest.mark.anyio

T0 = datetime(2026, 3, 1, tzinfo=timezone.utc)
PENDING, VERIFIED, CORRUPT, MISSING = BlobStatus.PENDING, BlobStatus.VERIFIED, BlobStatus.CORRUPT, BlobStatus.MISSING


def d(label: str) -> Digest:
    return Digest(hashlib.sha256(label.encode()).hexdigest())


def prefixed(prefix: str, label: str = "") -> Digest:
    """A digest starting with ``prefix`` (for exact shard placement)."""
    return Digest(prefix + hashlib.sha256(label.encode()).hexdigest()[len(prefix):])


def check(digest: Digest, status: BlobStatus, at: datetime, size: int = 5, quick: bool = False,
          actual: Digest | None = None, previous: BlobStatus = PENDING) -> CheckResult:
    matched_actual = actual if actual is not None else (None if quick or status is not VERIFIED else digest)
    return CheckResult(digest, status, previous, 5, size, matched_actual, at, quick, f"{status.value} at {at:%H:%M}")


async def files_node(store: GraphStore, name: str, *digests: Digest, kind: NodeKind = NodeKind.MODEL,
                     parents: tuple[str, ...] = ()) -> str:
    files = tuple(FileRef(f"f{i}", dg, 5) for i, dg in enumerate(digests))
    edges = tuple(EdgeSpec(EdgeType.DERIVED_FROM, p) for p in parents)
    return (await store.create_node(NewNode(kind, "p", name, files=files, edges=edges))).id


def ids(nodes: list) -> list[str]:  # type: ignore[type-arg]
    return [n.id for n in nodes]


# -- blobs due ---------------------------------------------------------------------------


async def test_due_blobs_come_pending_first_then_least_recently_checked(graph_store: GraphStore) -> None:
    a, b, c, e, f = (d(x) for x in "abcef")
    await files_node(graph_store, "m", a, b, c, e, f)
    await graph_store.record_checks([check(a, VERIFIED, T0 + timedelta(hours=3)),
                                     check(b, VERIFIED, T0 + timedelta(hours=1)),
                                     check(c, CORRUPT, T0 + timedelta(hours=2)),
                                     check(e, PENDING, T0 + timedelta(hours=4))])
    due = await graph_store.blobs_due(Shard(), T0 + timedelta(days=1), T0 + timedelta(days=1), 10)
    # f: never checked; e: checked but still pending; then b, c, a by last check.
    assert ids(due) == [f.node_id, e.node_id, b.node_id, c.node_id, a.node_id]
    assert ids(await graph_store.blobs_due(Shard(), T0 + timedelta(days=1), T0 + timedelta(days=1), 3)) == [f.node_id, e.node_id, b.node_id]
    assert ids(await graph_store.blobs_due(Shard(), T0 + timedelta(hours=2), T0 + timedelta(hours=2), 10)) == [f.node_id, b.node_id]
    # PENDING blobs have a cutoff of their own (a pass checks them whatever its recheck period).
    assert ids(await graph_store.blobs_due(Shard(), T0 + timedelta(days=1), T0 + timedelta(hours=2), 10)) == [
        f.node_id, e.node_id, b.node_id]


async def test_a_recorded_full_check_ends_a_blobs_turn_but_a_quick_one_does_not(graph_store: GraphStore) -> None:
    a, b = d("a"), d("b")
    await files_node(graph_store, "m", a, b)
    start = datetime.now(timezone.utc)
    await graph_store.record_checks([check(a, VERIFIED, start), check(b, PENDING, start, size=None, quick=True)])  # type: ignore[arg-type]
    assert ids(await graph_store.blobs_due(Shard(), start, start, 10)) == [b.node_id]
    await graph_store.record_blob(b, 5, VERIFIED, start + timedelta(seconds=1), "uploaded")
    assert await graph_store.blobs_due(Shard(), start, start, 10) == []


async def test_shards_split_the_digest_space_without_overlap(graph_store: GraphStore) -> None:
    digests = [prefixed(p, p) for p in ("00", "3f", "40", "7f", "80", "bf", "c0", "ff")]
    await files_node(graph_store, "m", *digests)
    later = datetime.now(timezone.utc) + timedelta(days=1)
    got = [ids(await graph_store.blobs_due(Shard(i, 4), later, later, 100)) for i in range(4)]
    assert [sorted(g) for g in got] == [sorted(x.node_id for x in digests[i * 2:i * 2 + 2]) for i in range(4)]
    listed = [[n.id for n, _ in await graph_store.list_blobs(Shard(i, 4), None, 100)] for i in range(4)]
    assert listed == [sorted(x.node_id for x in digests[i * 2:i * 2 + 2]) for i in range(4)]


# -- recording checks --------------------------------------------------------------------


async def test_record_checks_sets_status_history_and_times(graph_store: GraphStore) -> None:
    a = d("a")
    await files_node(graph_store, "m", a)
    (blob,) = await graph_store.record_checks([check(a, VERIFIED, T0)])
    assert (blob.props["status"], blob.props["size"], blob.props["verified_at"]) == ("VERIFIED", 5, T0.isoformat(timespec="microseconds"))
    (blob,) = await graph_store.record_checks([check(a, CORRUPT, T0 + timedelta(hours=1), size=4, previous=VERIFIED)])
    assert (blob.props["status"], blob.props["size"]) == ("CORRUPT", 5)  # the registered size stays
    assert blob.props["verified_at"] == T0.isoformat(timespec="microseconds")
    assert [(h["status"], h["size"], h["quick"]) for h in blob.props["history"]] == [("CORRUPT", 4, False), ("VERIFIED", 5, False)]


async def test_an_older_check_never_overwrites_a_newer_verdict(graph_store: GraphStore) -> None:
    a = d("a")
    await files_node(graph_store, "m", a)
    await graph_store.record_checks([check(a, VERIFIED, T0 + timedelta(hours=1))])
    assert await graph_store.record_checks([check(a, MISSING, T0, size=None)]) == []  # type: ignore[arg-type]
    blob = (await graph_store.get_nodes([a.node_id]))[a.node_id]
    assert blob.props["status"] == "VERIFIED" and len(blob.props["history"]) == 1


async def test_quick_checks_keep_the_full_check_time(graph_store: GraphStore) -> None:
    a = d("a")
    await files_node(graph_store, "m", a)
    await graph_store.record_checks([check(a, VERIFIED, T0)])
    (blob,) = await graph_store.record_checks([check(a, VERIFIED, T0 + timedelta(hours=5), quick=True)])
    assert blob.props["verified_at"] == T0.isoformat(timespec="microseconds")
    assert ids(await graph_store.blobs_due(Shard(), T0 + timedelta(hours=1), T0 + timedelta(hours=1), 10)) == [a.node_id]


async def test_checks_of_unknown_digests_are_skipped_and_history_is_bounded(graph_store: GraphStore) -> None:
    a = d("a")
    await files_node(graph_store, "m", a)
    results = [check(a, VERIFIED, T0 + timedelta(minutes=i)) for i in range(25)] + [check(d("zz"), VERIFIED, T0)]
    updated = await graph_store.record_checks(results)
    assert ids(updated) == [a.node_id]
    history = updated[0].props["history"]
    assert len(history) == 20 and history[0]["at"] == (T0 + timedelta(minutes=24)).isoformat(timespec="microseconds")
    assert (await graph_store.get_nodes([d("zz").node_id])) == {}


# -- orphans -----------------------------------------------------------------------------


async def test_list_blobs_counts_references_and_pages_by_id(graph_store: GraphStore) -> None:
    a, b, c = sorted((d("a"), d("b"), d("c")))
    await files_node(graph_store, "m1", a, b)
    await files_node(graph_store, "m2", a)
    await graph_store.record_blob(c, 5, VERIFIED, T0, "uploaded, never registered")
    first = await graph_store.list_blobs(Shard(), None, 2)
    rest = await graph_store.list_blobs(Shard(), first[-1][0].id, 2)
    assert [(n.id, refs) for n, refs in first + rest] == [(a.node_id, 2), (b.node_id, 1), (c.node_id, 0)]


async def test_delete_unreferenced_blobs_keeps_referenced_ones(graph_store: GraphStore) -> None:
    a, b, unknown = d("a"), d("b"), d("never")
    await files_node(graph_store, "m", a)
    await graph_store.record_blob(b, 5, VERIFIED, T0)
    freed = await graph_store.delete_unreferenced_blobs([a, b, unknown])
    assert freed == [b, unknown]
    assert list(await graph_store.get_nodes([a.node_id, b.node_id])) == [a.node_id]


# -- impact and artifact status ----------------------------------------------------------


async def test_lineage_many_walks_down_from_several_blobs_at_once(graph_store: GraphStore) -> None:
    a, b, c = d("a"), d("b"), d("c")
    m1 = await files_node(graph_store, "m1", a)
    m2 = await files_node(graph_store, "m2", b, parents=(m1,))
    m3 = await files_node(graph_store, "m3", parents=(m2,))
    await files_node(graph_store, "m4", c)
    sub = await graph_store.lineage_many([a.node_id, b.node_id], Direction.DOWNSTREAM)
    assert sorted(ids(list(sub.nodes))) == sorted([a.node_id, b.node_id, m1, m2, m3])
    assert sorted((e.source, e.target, e.type.value) for e in sub.edges) == sorted([
        (m1, a.node_id, "HAS_FILE"), (m2, b.node_id, "HAS_FILE"), (m2, m1, "DERIVED_FROM"), (m3, m2, "DERIVED_FROM")])


async def test_file_status_counts_per_node(graph_store: GraphStore) -> None:
    a, b, c = d("a"), d("b"), d("c")
    m1 = await files_node(graph_store, "m1", a, b, c)
    m2 = await files_node(graph_store, "m2")
    await graph_store.record_checks([check(a, VERIFIED, T0), check(b, CORRUPT, T0)])
    counts = await graph_store.file_status_counts([m1, m2])
    assert counts == {m1: {VERIFIED: 1, CORRUPT: 1, PENDING: 1}, m2: {}}


# -- lineage validation ------------------------------------------------------------------


async def test_edge_pairs_dangling_edges_and_nodes_without_files(graph_store: GraphStore) -> None:
    m1 = await files_node(graph_store, "m1", d("a"))
    m2 = await files_node(graph_store, "m2", parents=(m1,))
    ds = await files_node(graph_store, "ds", kind=NodeKind.DATASET)
    run = (await graph_store.create_node(NewNode(NodeKind.RUN, "p", "r", id=new_id()))).id
    assert await graph_store.edge_pairs(EdgeType.DERIVED_FROM) == [(m2, m1)]
    assert await graph_store.dangling_edges(10) == []
    without = await graph_store.nodes_without_files([NodeKind.DATASET, NodeKind.MODEL, NodeKind.EVALUATION], 10)
    assert ids(without) == sorted([m2, ds]) and run not in ids(without)
