"""Storage hygiene: bytes stored without a Blob node are recorded and verified by the next
worker cycle; keys outside ``sha256/`` are reported; unfinished multipart uploads a crash
left behind are aborted once past the grace period, on the real S3 server."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from provgraph.blobs import open_blob_store
from provgraph.blobs.content import ContentStore
from provgraph.blobs.s3 import S3BlobStore
from provgraph.config import Settings
from provgraph.digest import Digest
from provgraph.graph import GraphStore, open_graph_store
from provgraph.ids import utcnow
from provgraph.model import BlobStatus
from provgraph.service.app import create_app
from provgraph.workers.adopt import record_unrecorded
from provgraph.workers.gc import collect_garbage
from provgraph.workers.passes import run_pass

from ..conftest import blob_url
from .world import overwrite, payload

pytestmark = pytest.mark.anyio
LATER = timedelta(days=2)


async def _loose(content: ContentStore, label: str) -> Digest:
    """Bytes committed to storage whose Blob node was never recorded (a crash)."""
    data = payload(label, 5_000)
    digest = Digest(hashlib.sha256(data).hexdigest())
    await overwrite(content.store, digest.key, data)
    return digest


async def test_stored_bytes_without_a_node_are_recorded_then_verified(graph_store: GraphStore,
                                                                       content: ContentStore) -> None:
    digest = await _loose(content, "crashed before record")
    young = await record_unrecorded(graph_store, content, now=utcnow())
    assert young.recorded == [] and await graph_store.get_nodes([digest.node_id]) == {}
    adopted = await record_unrecorded(graph_store, content, now=utcnow() + LATER)
    assert adopted.recorded == [digest]
    node = (await graph_store.get_nodes([digest.node_id]))[digest.node_id]
    assert node.props["status"] == BlobStatus.PENDING.value
    report = await run_pass(graph_store, content)
    assert report.statuses[BlobStatus.VERIFIED] == 1
    node = (await graph_store.get_nodes([digest.node_id]))[digest.node_id]
    assert node.props["status"] == BlobStatus.VERIFIED.value
    again = await record_unrecorded(graph_store, content, now=utcnow() + LATER)
    assert again.recorded == []


async def test_keys_outside_sha256_are_reported_and_kept(graph_store: GraphStore, content: ContentStore) -> None:
    await overwrite(content.store, "exports/report.csv", b"someone else's file")
    report = await collect_garbage(graph_store, content, now=utcnow() + LATER, delete=True)
    assert report.foreign == ["exports/report.csv"]
    assert report.summary()["foreign_keys"] == 1
    assert await content.store.head("exports/report.csv") is not None


@pytest.fixture
async def s3_content(tmp_path: Path) -> Any:
    store = open_blob_store(blob_url("s3", tmp_path))
    await store.open()
    try:
        yield ContentStore(store)
    finally:
        await store.close()


@pytest.fixture
async def sqlite_graph(tmp_path: Path) -> Any:
    graph = open_graph_store(f"sqlite:///{tmp_path / 'graph.db'}")
    await graph.open()
    try:
        yield graph
    finally:
        await graph.close()


async def _crashed_put(store: S3BlobStore, key: str) -> str:
    """A multipart upload with one part sent, never completed (the service killed mid-PUT)."""
    upload_id = await store.start_upload(key)
    await store._call("part", store._client.upload_part, Bucket=store.bucket, Key=store.prefix + key,
                      UploadId=upload_id, PartNumber=1, Body=b"p" * 1000)
    return upload_id


async def _unfinished(store: S3BlobStore) -> list[tuple[str, str, Any]]:
    return await store._call("list", store._list_uploads)


async def test_gc_aborts_unfinished_uploads_past_the_grace_period(s3_content: ContentStore,
                                                                   sqlite_graph: GraphStore) -> None:
    store = s3_content.store
    assert isinstance(store, S3BlobStore)
    key = Digest(hashlib.sha256(b"never finished").hexdigest()).key
    upload_id = await _crashed_put(store, key)
    young = await collect_garbage(sqlite_graph, s3_content, now=utcnow())
    assert young.aborted_uploads == [] and [u[1] for u in await _unfinished(store)] == [upload_id]
    report = await collect_garbage(sqlite_graph, s3_content, now=utcnow() + LATER)
    assert report.aborted_uploads == [key] and report.summary()["aborted_uploads"] == 1
    assert await _unfinished(store) == []
    assert await s3_content.store.head(key) is None


def test_service_start_up_aborts_stale_uploads(tmp_path: Path) -> None:
    url = blob_url("s3", tmp_path)
    key = Digest(hashlib.sha256(b"old").hexdigest()).key

    async def crash() -> tuple[str, int]:
        store = open_blob_store(url)
        await store.open()
        assert isinstance(store, S3BlobStore)
        try:
            return await _crashed_put(store, key), len(await _unfinished(store))
        finally:
            await store.close()

    async def unfinished() -> int:
        store = open_blob_store(url)
        await store.open()
        assert isinstance(store, S3BlobStore)
        try:
            return len(await _unfinished(store))
        finally:
            await store.close()

    assert asyncio.run(crash())[1] == 1
    graph = f"sqlite:///{tmp_path / 'graph.db'}"
    # S3Proxy reports an upload's ``Initiated`` as the time of the listing, so "old" is
    # simulated by a grace period that ends an hour from now.
    for grace, left in ((1.0, 1), (-1.0, 0)):
        with TestClient(create_app(Settings(graph_url=graph, blob_url=url, orphan_grace_hours=grace))) as http:
            assert http.get("/healthz").status_code == 200
        assert asyncio.run(unfinished()) == left


async def test_a_pending_pass_hashes_pending_blobs_only(graph_store: GraphStore, content: ContentStore) -> None:
    from provgraph.workers.passes import PassOptions
    from provgraph.workers.scheduler import pending_options
    from .world import upload

    verified = await upload(graph_store, content, payload("verified on upload", 4_000))
    pending = await _loose(content, "direct upload")
    await graph_store.record_blob(pending, 5_000, BlobStatus.PENDING, utcnow(), "uploaded directly")
    report = await run_pass(graph_store, content, pending_options(PassOptions()))
    assert report.checked == 1 and report.statuses[BlobStatus.VERIFIED] == 1
    nodes = await graph_store.get_nodes([pending.node_id, verified.node_id])
    assert nodes[pending.node_id].props["status"] == BlobStatus.VERIFIED.value
    assert [r.digest for r in report.findings] == []
    again = await run_pass(graph_store, content, pending_options(PassOptions()))
    assert again.checked == 0  # nothing PENDING left; the VERIFIED blob is not this pass's
    full = await run_pass(graph_store, content)
    assert full.checked == 2
