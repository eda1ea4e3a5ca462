"""``ContentStore``: content-addressed bytes over any ``BlobStore``.

The one place that maps digests to keys (``Digest.key``), deduplicates, and checks bytes
against their digest while they stream. Memory stays bounded: chunks pass through one at a
time and are never joined.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import AsyncIterable, AsyncIterator, Awaitable, Callable

from provgraph.blobs.capabilities import NativeHash, PresignedReads
from provgraph.blobs.protocol import BlobStore
from provgraph.blobs.throttle import Throttle
from provgraph.digest import Digest
from provgraph.errors import BadInput, NotFound

Sink = Callable[[bytes], Awaitable[None]]


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
            actual, size = await _hash(chunks, writer.write)
            _check(digest, actual, size, expected_size)
            await writer.commit()
        except BaseException:
            await writer.abort()
            raise
        return PutResult(digest, size, created=True)

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

    def presign_get(self, digest: Digest, expires_s: int) -> str | None:
        """A direct download URL when the backend offers ``PresignedReads``, else None."""
        if isinstance(self.store, PresignedReads):
            return self.store.presign_get(digest.key, expires_s)
        return None


async def _hash(chunks: AsyncIterable[bytes], sink: Sink | None) -> tuple[Digest, int]:
    hasher = hashlib.sha256()
    size = 0
    async for chunk in chunks:
        hasher.update(chunk)
        size += len(chunk)
        if sink is not None:
            await sink(chunk)
    return Digest(hasher.hexdigest()), size


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
