"""``ContentStore.rehash`` (the workers' hot path) over every blob backend: native
hashing where the store offers it, bounded by a throttle, absent bytes named."""

from __future__ import annotations

import hashlib
import time

import pytest

from provgraph.blobs import BlobStore
from provgraph.blobs.content import ContentStore
from provgraph.blobs.hashing import pipelined_sha256
from provgraph.blobs.throttle import Throttle
from provgraph.digest import Digest
from provgraph.errors import NotFound

pytestmark = pytest.mark.anyio
MiB = 1024 * 1024


async def store_raw(store: BlobStore, data: bytes) -> Digest:
    digest = Digest(hashlib.sha256(data).hexdigest())
    writer = await store.writer(digest.key)
    await writer.write(data)
    await writer.commit()
    return digest


async def test_rehash_spans_many_chunks_and_sees_any_change(blob_store: BlobStore) -> None:
    content = ContentStore(blob_store)
    data = bytes(range(256)) * (9 * MiB // 256 + 5)
    digest = await store_raw(blob_store, data)
    assert await content.rehash(digest) == (digest, len(data))
    await blob_store.delete(digest.key)
    writer = await blob_store.writer(digest.key)
    await writer.write(data[:-1] + b"\x00")
    await writer.commit()
    assert await content.rehash(digest) == (Digest(hashlib.sha256(data[:-1] + b"\x00").hexdigest()), len(data))


async def test_rehash_of_absent_bytes_names_the_digest(blob_store: BlobStore) -> None:
    digest = Digest("ab" * 32)
    with pytest.raises(NotFound, match=f"^no blob sha256:{'ab' * 32}$"):
        await ContentStore(blob_store).rehash(digest)


async def test_rehash_honours_the_throttle(blob_store: BlobStore) -> None:
    data = b"x" * (3 * MiB)
    digest = await store_raw(blob_store, data)
    start = time.monotonic()
    assert await ContentStore(blob_store).rehash(digest, Throttle(2 * MiB)) == (digest, len(data))
    assert time.monotonic() - start >= 1.5 - 0.3  # 3 MiB at 2 MiB/s, less the burst allowance


def test_pipelined_hash_is_plain_sha256() -> None:
    parts = [b"a" * 5000, b"", b"b" * 3]
    chunks = iter(parts[:1] + parts[2:] + [b""])
    assert pipelined_sha256(lambda: next(chunks)) == (hashlib.sha256(b"a" * 5000 + b"b" * 3).hexdigest(), 5003)
