"""Verification passes on every graph × blob backend: faults injected behind the
service's back are all found, the right artifacts are marked, nothing is deleted."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import timedelta

import pytest

from provgraph.blobs.content import ContentStore
from provgraph.checks import Shard
from provgraph.digest import Digest
from provgraph.graph import GraphStore
from provgraph.ids import utcnow
from provgraph.model import BlobStatus
from provgraph.impact import Impact
from provgraph.registry import Registry
from provgraph.workers.passes import PassOptions, run_pass

from .world import BYTES, DIGESTS, World, flip_bit, overwrite, payload, statuses, truncate, upload

pytestmark = pytest.mark.anyio

ORPHAN = payload("abandoned upload", 7_000)


async def keys(content: ContentStore) -> list[str]:
    return [info.key async for info in content.store.list()]


async def inject_all(content: ContentStore) -> None:
    store = content.store
    await flip_bit(store, DIGESTS["E"])                   # mamba:v2's checkpoint: one bit
    await truncate(store, DIGESTS["G"], 4_096)            # the evaluation's results: cut short
    await store.delete(DIGESTS["C"].key)                  # mamba:v1's checkpoint: gone
    await overwrite(store, DIGESTS["F"].key, BYTES["A"])  # other's weights: another valid blob's bytes
    orphan = Digest(hashlib.sha256(ORPHAN).hexdigest())   # bytes nothing references
    await overwrite(store, orphan.key, ORPHAN)


async def test_one_pass_finds_every_fault_and_marks_what_they_affect(
    graph_store: GraphStore, content: ContentStore, world: World
) -> None:
    await inject_all(content)
    before = await keys(content)
    report = await run_pass(graph_store, content)
    assert await statuses(graph_store) == {"A": "VERIFIED", "B": "VERIFIED", "C": "MISSING", "E": "CORRUPT",
                                           "F": "CORRUPT", "G": "CORRUPT"}
    assert (report.checked, dict(report.statuses)) == (6, {"VERIFIED": 2, "MISSING": 1, "CORRUPT": 3})
    assert sorted(f.digest for f in report.findings) == sorted(DIGESTS[n] for n in "CEFG")
    impact = await Impact.of_bad_blobs(graph_store, 100)
    nearest = {world.label(a.node.id): (world.label(a.blob.id), a.depth) for a in impact.affected()}
    assert nearest == {"v1": ("C", 1), "v2": ("E", 1), "evaluation": ("G", 1), "other": ("F", 1)}
    assert [(world.label(n.id), d) for n, d in impact.downstream(DIGESTS["C"].node_id)] == [
        ("v1", 1), ("v2", 2), ("evaluation", 3)]
    assert await keys(content) == before  # a pass deletes (and moves) nothing


def fault_details() -> dict[str, str]:
    """What a full check says about each fault of ``inject_all``."""
    flipped = bytearray(BYTES["E"])
    flipped[1234] ^= 0x01
    def sha(data: bytes) -> str:
        return hashlib.sha256(data).hexdigest()

    return {
        "C": f"no bytes at {DIGESTS['C'].key}",
        "E": f"bytes hash to {sha(bytes(flipped))}, registry says {DIGESTS['E'].hex} (300000 bytes)",
        "F": f"bytes hash to {DIGESTS['A'].hex}, registry says {DIGESTS['F'].hex} (10000 bytes)",
        "G": f"bytes hash to {sha(BYTES['G'][:4096])}, registry says {DIGESTS['G'].hex} (4096 bytes)",
    }


async def test_details_say_exactly_what_differs(graph_store: GraphStore, content: ContentStore, world: World) -> None:
    await inject_all(content)
    await run_pass(graph_store, content)
    blobs = await graph_store.get_nodes([DIGESTS[n].node_id for n in "CEFG"])
    assert {n: blobs[DIGESTS[n].node_id].props["history"][0]["detail"] for n in "CEFG"} == fault_details()


async def test_healthy_blobs_stay_verified_with_a_new_check(graph_store: GraphStore, content: ContentStore, world: World) -> None:
    before = await graph_store.get_nodes([d.node_id for d in DIGESTS.values()])
    report = await run_pass(graph_store, content)
    after = await graph_store.get_nodes([d.node_id for d in DIGESTS.values()])
    assert report.checked == 6 and set(await statuses(graph_store)) == set(DIGESTS)
    for node_id, node in after.items():
        assert node.props["status"] == "VERIFIED"
        assert node.props["verified_at"] > before[node_id].props["verified_at"]
        assert [h["detail"] for h in node.props["history"]] == ["valid, hash matches registry", "verified on upload"]
    assert (await run_pass(graph_store, content)).checked == 6  # a second pass checks everything again


async def test_bytes_that_arrive_after_registration_are_verified_by_the_next_pass(
    graph_store: GraphStore, content: ContentStore, world: World
) -> None:
    late = payload("direct-to-S3 upload", 50_000)
    digest = Digest(hashlib.sha256(late).hexdigest())
    await Registry(graph_store).register_model("late", files=[("model.bin", digest.hex, len(late), None)])
    await run_pass(graph_store, content)
    blob = (await graph_store.get_nodes([digest.node_id]))[digest.node_id]
    assert (blob.props["status"], blob.props["history"][0]["detail"]) == ("PENDING", f"no bytes at {digest.key} yet")
    await overwrite(content.store, digest.key, late)  # copied in by another tool
    report = await run_pass(graph_store, content, PassOptions(limit=1))
    blob = (await graph_store.get_nodes([digest.node_id]))[digest.node_id]
    assert (report.checked, blob.props["status"]) == (1, "VERIFIED")  # PENDING comes first


async def test_quick_pass_checks_existence_and_size_only(graph_store: GraphStore, content: ContentStore, world: World) -> None:
    await inject_all(content)
    report = await run_pass(graph_store, content, PassOptions(quick=True, batch=2))
    # A flipped bit and same-size bytes are invisible to HEAD: E and F stay VERIFIED.
    assert await statuses(graph_store) == {"A": "VERIFIED", "B": "VERIFIED", "C": "MISSING", "E": "VERIFIED",
                                           "F": "CORRUPT", "G": "CORRUPT"}
    assert report.checked == 6 and report.bytes_hashed == 0
    blob = (await graph_store.get_nodes([DIGESTS["A"].node_id]))[DIGESTS["A"].node_id]
    assert blob.props["history"][0]["quick"] is True and len(blob.props["history"]) == 2
    assert [b.id for b in await graph_store.blobs_due(Shard(), report.started, report.started, 10)] != []  # full checks still due


async def test_two_shards_check_every_blob_exactly_once(graph_store: GraphStore, content: ContentStore) -> None:
    digests = [await upload(graph_store, content, payload(f"blob {i}", 1_000 + i)) for i in range(40)]
    first, second = await asyncio.gather(
        run_pass(graph_store, content, PassOptions(Shard(0, 2), batch=3)),
        run_pass(graph_store, content, PassOptions(Shard(1, 2), batch=3)),
    )
    nodes = await graph_store.get_nodes([d.node_id for d in digests])
    assert [len(nodes[d.node_id].props["history"]) for d in digests] == [2] * 40  # upload + exactly one check
    assert first.checked + second.checked == 40
    assert first.checked == sum(Shard(0, 2).contains(d.hex) for d in digests)


async def test_a_pass_with_a_limit_resumes_with_the_least_recently_checked(
    graph_store: GraphStore, content: ContentStore, world: World
) -> None:
    first = await run_pass(graph_store, content, PassOptions(limit=4, batch=3))
    second = await run_pass(graph_store, content, PassOptions(limit=4, batch=3))
    nodes = await graph_store.get_nodes([d.node_id for d in DIGESTS.values()])
    checks = sorted(len(n.props["history"]) - 1 for n in nodes.values())
    assert (first.checked, second.checked, checks) == (4, 4, [1, 1, 1, 1, 2, 2])


async def test_quarantine_moves_proven_corrupt_bytes_aside(graph_store: GraphStore, content: ContentStore, world: World) -> None:
    await flip_bit(content.store, DIGESTS["E"])
    await truncate(content.store, DIGESTS["G"], 100)
    await run_pass(graph_store, content, PassOptions(quarantine=True))
    assert await content.stat(DIGESTS["E"]) is None and await content.stat(DIGESTS["G"]) is None
    blob = (await graph_store.get_nodes([DIGESTS["E"].node_id]))[DIGESTS["E"].node_id]
    assert blob.props["status"] == "CORRUPT" and "; bytes moved to quarantine/sha256/" in blob.props["history"][0]["detail"]
    await upload(graph_store, content, BYTES["E"])  # the key is free again: good bytes go back
    await run_pass(graph_store, content)
    assert (await statuses(graph_store))["E"] == "VERIFIED" and (await statuses(graph_store))["G"] == "MISSING"


async def test_bandwidth_limit_paces_the_pass(graph_store: GraphStore, content: ContentStore, world: World) -> None:
    from provgraph.blobs.throttle import Throttle

    loop = asyncio.get_running_loop()
    start = loop.time()
    report = await run_pass(graph_store, content, throttle=Throttle(4 * 1024 * 1024))
    elapsed = loop.time() - start
    # 3.4 MiB at 4 MiB/s, less the 0.25 s burst allowance.
    assert report.bytes_hashed == sum(len(b) for b in BYTES.values())
    assert elapsed >= report.bytes_hashed / (4 * 1024 * 1024) - 0.3


async def direct_uploads(graph: GraphStore, content: ContentStore, count: int, size: int) -> list[Digest]:
    """Files registered PENDING whose bytes were put in the store by another tool."""
    blobs = [payload(f"direct {i}", size) for i in range(count)]
    digests = [Digest(hashlib.sha256(b).hexdigest()) for b in blobs]
    for digest, data in zip(digests, blobs):
        await overwrite(content.store, digest.key, data)
    await Registry(graph).register_dataset("direct", [(f"f{i}", d.hex, size, None) for i, d in enumerate(digests)])
    return digests


async def test_a_recheck_period_skips_fresh_verdicts_but_never_pending_blobs(
    graph_store: GraphStore, content: ContentStore, world: World
) -> None:
    digests = await direct_uploads(graph_store, content, 3, 1000)
    for digest in digests:  # what the direct-upload endpoint records once the parts are joined
        await graph_store.record_blob(digest, 1000, BlobStatus.PENDING, utcnow(), "uploaded to S3 directly")
    report = await run_pass(graph_store, content, PassOptions(recheck_after=timedelta(hours=24)))
    nodes = await graph_store.get_nodes([d.node_id for d in digests])
    assert report.checked == 3 and {n.props["status"] for n in nodes.values()} == {"VERIFIED"}


async def test_a_cancelled_pass_loses_nothing_and_the_next_one_resumes(graph_store: GraphStore, content: ContentStore) -> None:
    from provgraph.blobs.throttle import Throttle

    digests = await direct_uploads(graph_store, content, 6, 512 * 1024)
    options = PassOptions(batch=1, recheck_after=timedelta(hours=1))
    task = asyncio.ensure_future(run_pass(graph_store, content, options, throttle=Throttle(1024 * 1024)))
    await asyncio.sleep(1.0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    nodes = await graph_store.get_nodes([d.node_id for d in digests])
    done = [n.id for n in nodes.values() if n.props["status"] == "VERIFIED"]
    report = await run_pass(graph_store, content, options)
    nodes = await graph_store.get_nodes([d.node_id for d in digests])
    assert [len(nodes[d.node_id].props["history"]) for d in digests] == [1] * 6  # each checked exactly once
    assert {n.props["status"] for n in nodes.values()} == {"VERIFIED"}
    assert 0 < len(done) < 6 and report.checked == 6 - len(done)
