"""Orphans and garbage on every graph × blob backend: reported by default, removed only
with ``delete``, never anything a node references."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from provgraph.blobs.content import ContentStore
from provgraph.checks import Shard
from provgraph.digest import Digest
from provgraph.graph import GraphStore
from provgraph.ids import utcnow
from provgraph.workers.gc import collect_garbage, digest_of_key

from .world import DIGESTS, World, overwrite, payload, upload

pytestmark = pytest.mark.anyio
LATER = timedelta(days=2)  # "now" for the collector: every object is past the grace period


async def keys(content: ContentStore) -> list[str]:
    return [info.key async for info in content.store.list()]


async def garbage(graph: GraphStore, content: ContentStore) -> tuple[Digest, Digest, str]:
    """An object with no node, one uploaded through the service but never registered,
    and a foreign key under sha256/."""
    loose = payload("abandoned", 3_000)
    unregistered = Digest(hashlib.sha256(loose).hexdigest())
    await overwrite(content.store, unregistered.key, loose)
    uploaded = await upload(graph, content, payload("uploaded, never registered", 4_000))
    foreign = "sha256/00/00/not-a-digest.txt"
    await overwrite(content.store, foreign, b"someone else's file")
    return unregistered, uploaded, foreign


async def test_orphans_are_reported_and_nothing_is_deleted(graph_store: GraphStore, content: ContentStore, world: World) -> None:
    unregistered, uploaded, foreign = await garbage(graph_store, content)
    await content.delete(DIGESTS["C"])  # a referenced blob whose bytes are gone
    before = await keys(content)
    report = await collect_garbage(graph_store, content, now=utcnow() + LATER)
    assert sorted((o.digest, o.registered) for o in report.orphans) == sorted([(unregistered, False), (uploaded, True)])
    assert [n.id for n in report.gone] == [DIGESTS["C"].node_id]
    assert (report.objects, report.foreign, report.deleted_count) == (7, [foreign], 0)
    assert await keys(content) == before
    assert uploaded.node_id in await graph_store.get_nodes([uploaded.node_id])


async def test_young_orphans_are_left_alone(graph_store: GraphStore, content: ContentStore, world: World) -> None:
    await garbage(graph_store, content)
    report = await collect_garbage(graph_store, content, grace=timedelta(hours=1), delete=True)
    assert (report.orphan_count, report.young_orphans, report.deleted_count) == (0, 2, 0)


async def test_delete_removes_only_old_unreferenced_bytes(graph_store: GraphStore, content: ContentStore, world: World) -> None:
    unregistered, uploaded, foreign = await garbage(graph_store, content)
    report = await collect_garbage(graph_store, content, delete=True, now=utcnow() + LATER)
    assert sorted(report.deleted) == sorted([unregistered, uploaded]) and report.deleted_count == 2
    remaining = await keys(content)
    assert sorted(remaining) == sorted([d.key for d in DIGESTS.values()] + [foreign])
    assert await graph_store.get_nodes([uploaded.node_id]) == {}
    again = await collect_garbage(graph_store, content, delete=True, now=utcnow() + LATER)
    assert (again.orphan_count, again.deleted_count, again.objects) == (0, 0, 6)


async def test_unreferenced_nodes_without_bytes_are_counted_and_removed_with_delete(
    graph_store: GraphStore, content: ContentStore, world: World
) -> None:
    uploaded = await upload(graph_store, content, payload("short-lived", 100))
    await content.delete(uploaded)
    report = await collect_garbage(graph_store, content, now=utcnow() + LATER)
    assert (report.empty_nodes, report.gone_count) == (1, 0)
    await collect_garbage(graph_store, content, delete=True, now=utcnow() + LATER)
    assert await graph_store.get_nodes([uploaded.node_id]) == {}


async def test_shards_split_the_orphans(graph_store: GraphStore, content: ContentStore) -> None:
    orphans = [payload(f"orphan {i}", 100 + i) for i in range(12)]
    digests = sorted(Digest(hashlib.sha256(o).hexdigest()) for o in orphans)
    for data in orphans:
        await overwrite(content.store, Digest(hashlib.sha256(data).hexdigest()).key, data)
    found = [sorted(o.digest for o in (await collect_garbage(graph_store, content, Shard(i, 3), now=utcnow() + LATER)).orphans)
             for i in range(3)]
    assert sorted(d for part in found for d in part) == digests
    assert all(Shard(i, 3).contains(d.hex) for i, part in enumerate(found) for d in part)


def test_only_digest_keys_count_as_blobs() -> None:
    digest = DIGESTS["A"]
    assert digest_of_key(digest.key) == digest
    assert digest_of_key(f"sha256/00/00/{digest.hex}") is None
    assert digest_of_key("sha256/ab/cd/readme.txt") is None
