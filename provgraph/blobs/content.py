"""``ContentStore``: content-addressed bytes over any ``BlobStore``.

The one place that maps digests to keys (``Digest.key``), deduplicates, and checks bytes
against their digest while they stream. Memory stays bounded: chunks pass through one at a
time and are never joined.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import AsyncIterable, AsyncIterator

from provgraph.blobs.capabilities import IncompleteUploads, NativeHash, NamedLater, PresignedReads, ThreadWrites, UnnamedWrites
from provgraph.blobs.protocol import BlobStore, BlobWriter
from provgraph.blobs.throttle import Throttle
from provgraph.digest import Digest
from provgraph.errors import BadInput, NotFound

# Network chunks (64-256 KiB) are joined into batches this large before they cross to the
# upload's worker thread: one hand-off, one hash update and one disk write per 4 MiB.
BATCH = 4 * 1024 * 1024


@dataclass(frozen=True)
class PutResult:
    """Outcome of ``put_stream``: ``created`` is False when the bytes were already stored."""

    digest: Digest
    size: int
    created: bool


class ContentStore:
    """Blobs by digest: verified writes, deduplication, ranged reads, integrity checks."""

    def __init__(self, store: BlobStore) -> None:
        self.store = store

    async def open(self) -> None:
        await self.store.open()

    async def close(self) -> None:
        await self.store.close()

    async def put_stream(
        self, digest: Digest, chunks: AsyncIterable[bytes], expected_size: int | None = None
    ) -> PutResult:
        """Store the bytes of ``chunks`` under ``digest``; ``BadInput`` (and nothing kept)
        when they do not hash to it or are not ``expected_size`` bytes long."""
        if await self.store.head(digest.key) is not None:
            # Already stored, yet still hash what came: answering "stored" to bytes that
            # do not match the digest would tell the client its wrong file is safe.
            actual, size = await _hash(chunks, None)
            _check(digest, actual, size, expected_size)
            return PutResult(digest, size, created=False)
        writer = await self.store.writer(digest.key, digest.hex)
        try:
            actual, size = await _hash(chunks, writer)
            _check(digest, actual, size, expected_size)
            await writer.commit()
        except BaseException:
            await writer.abort()
            raise
        return PutResult(digest, size, created=True)

    @property
    def takes_unnamed(self) -> bool:
        """Whether ``put_unnamed`` works on this backend (``UnnamedWrites``)."""
        return isinstance(self.store, UnnamedWrites)

    async def put_unnamed(self, chunks: AsyncIterable[bytes], expected_size: int | None = None) -> PutResult:
        """Store bytes whose digest the caller does not know yet, under the digest they
        have; ``BadInput`` (nothing kept) when they are not ``expected_size`` long. Only
        when ``takes_unnamed``."""
        assert isinstance(self.store, UnnamedWrites)
        writer = await self.store.unnamed_writer()
        try:
            actual, size = await _hash(chunks, writer)
            if expected_size is not None and size != expected_size:
                raise BadInput(f"the upload is {size} bytes long, not {expected_size}")
            created = await writer.commit_as(actual.key)
        except BaseException:
            await writer.abort()
            raise
        return PutResult(actual, size, created)

    async def stat(self, digest: Digest) -> int | None:
        """Size of the stored bytes of ``digest``, or None when absent."""
        info = await self.store.head(digest.key)
        return None if info is None else info.size

    async def read(self, digest: Digest, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        """Stream bytes ``[start, end)`` of ``digest``; ``NotFound`` naming it when absent."""
        if start < 0 or (end is not None and end < start):
            raise BadInput(f"invalid byte range [{start}, {end}) of {digest.node_id}")
        try:
            async for chunk in self.store.read(digest.key, start, end):
                yield chunk
        except NotFound:
            raise NotFound(f"no blob {digest.node_id}") from None

    async def rehash(self, digest: Digest, throttle: Throttle | None = None) -> tuple[Digest, int]:
        """Hash the stored bytes of ``digest`` again: ``(actual digest, size)``; ``NotFound``
        when absent. ``throttle`` paces the reads. A store offering ``LocalFiles`` is
        hashed by the store itself (``NativeHash``: reads and hashing overlapped)."""
        if isinstance(self.store, NativeHash):
            try:
                hex_digest, size = await self.store.sha256(digest.key, throttle.take_sync if throttle else None)
            except NotFound:
                raise NotFound(f"no blob {digest.node_id}") from None
            return Digest(hex_digest), size
        return await _hash(_paced(self.read(digest), throttle), None)

    async def delete(self, digest: Digest) -> bool:
        return await self.store.delete(digest.key)

    async def quarantine(self, digest: Digest) -> str | None:
        """Move the bytes of ``digest`` aside as evidence; their new key, or None."""
        return await self.store.quarantine(digest.key)

    async def abort_stale_uploads(self, started_before: datetime) -> list[str]:
        """Abort the backend's unfinished multipart uploads begun before ``started_before``
        (``IncompleteUploads``; a crash mid-upload leaves their parts behind); the keys."""
        if isinstance(self.store, IncompleteUploads):
            return await self.store.abort_stale_uploads(started_before)
        return []

    def presign_get(self, digest: Digest, expires_s: int) -> str | None:
        """A direct download URL when the backend offers ``PresignedReads``, else None."""
        if isinstance(self.store, PresignedReads):
            return self.store.presign_get(digest.key, expires_s)
        return None


async def _hash(chunks: AsyncIterable[bytes], writer: BlobWriter | NamedLater | None) -> tuple[Digest, int]:
    """Digest and size of ``chunks``, written to ``writer`` as they pass. Hashing (and
    the write, for a ``ThreadWrites`` writer) runs in one worker thread per upload, one
    batch behind the event loop, which meanwhile receives the next batch."""
    hasher = hashlib.sha256()
    direct = writer if isinstance(writer, ThreadWrites) else None

    def work(batch: memoryview) -> None:
        hasher.update(batch)
        if direct is not None:
            direct.write_sync(batch)

    size = 0
    pending: Future[None] | None = None
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="blob-put")
    try:
        async for batch in _batched(chunks):
            if pending is not None:
                await asyncio.wrap_future(pending)
            if writer is not None and direct is None:
                await writer.write(bytes(batch))
            pending = pool.submit(work, batch)
            size += len(batch)
        if pending is not None:
            await asyncio.wrap_future(pending)
            pending = None
    finally:
        if pending is not None:  # never abort a writer the thread is still writing to
            with contextlib.suppress(Exception):
                await asyncio.wrap_future(pending)
        pool.shutdown(wait=False)
    return Digest(hasher.hexdigest()), size


async def _batched(chunks: AsyncIterable[bytes]) -> AsyncIterator[memoryview]:
    """``chunks`` regrouped into ``BATCH``-byte views over two buffers used in turn: a
    view stays valid until the next-but-one is yielded (the caller is one batch behind).
    Reusing the buffers spares a fresh allocation, and its page faults, per batch."""
    buffers = (bytearray(BATCH), bytearray(BATCH))
    turn, held = 0, 0
    async for chunk in chunks:
        view = memoryview(chunk)
        while view:
            take = min(len(view), BATCH - held)
            buffers[turn][held:held + take] = view[:take]
            held, view = held + take, view[take:]
            if held == BATCH:
                yield memoryview(buffers[turn])
                turn, held = 1 - turn, 0
    if held:
        yield memoryview(buffers[turn])[:held]


async def _paced(chunks: AsyncIterator[bytes], throttle: Throttle | None) -> AsyncIterator[bytes]:
    async for chunk in chunks:
        if throttle is not None:
            await throttle.take(len(chunk))
        yield chunk


def _check(expected: Digest, actual: Digest, size: int, expected_size: int | None) -> None:
    if actual != expected:
        raise BadInput(f"bytes do not hash to {expected.hex}: got {actual.hex}")
    if expected_size is not None and size != expected_size:
        raise BadInput(f"bytes of {expected.hex} are {size} bytes long, not {expected_size}")
