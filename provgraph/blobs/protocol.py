"""The ``BlobStore`` contract: a backend moves bytes by key, nothing more.

Digest → key layout, hashing, deduplication and verification live once, above every
backend, in ``provgraph.blobs.content``. All methods are coroutines; backends turn
their client's failures into ``provgraph.errors`` (``Unavailable`` when the store cannot
be reached, ``NotFound`` for a missing key).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import AsyncIterator, Protocol


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    modified: datetime


class BlobWriter(Protocol):
    """A staged write: nothing is visible at the key until ``commit``."""

    async def write(self, chunk: bytes) -> None:
        """Append bytes. Memory use stays bounded whatever the total size."""

    async def commit(self) -> None:
        """Make the written bytes visible at the key, atomically. If the key already
        holds bytes, first write wins: the existing object is kept."""

    async def abort(self) -> None:
        """Discard everything written; safe to call after a failure, and twice."""


class BlobStore(Protocol):
    async def open(self) -> None:
        """Prepare the store (create the folder or bucket when configured to)."""

    async def close(self) -> None:
        """Release clients and connections."""

    async def head(self, key: str) -> ObjectInfo | None:
        """Size and modification time of ``key``, or None when absent."""

    async def writer(self, key: str, sha256_hex: str | None = None) -> BlobWriter:
        """Start a staged write to ``key``. ``sha256_hex`` is the expected digest of the
        whole object when known, so a backend that can check it server-side does."""

    def read(self, key: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        """Stream the bytes of ``key`` from ``start`` up to ``end`` (exclusive; None =
        to the end) in bounded chunks. ``NotFound`` when absent."""

    async def delete(self, key: str) -> bool:
        """Remove ``key``; True when something was removed."""

    def list(self, prefix: str = "") -> AsyncIterator[ObjectInfo]:
        """Every object whose key starts with ``prefix``, in key order."""

    async def quarantine(self, key: str) -> str | None:
        """Move the object at ``key`` aside (kept as evidence, out of the content
        namespace) and return its new key, or None when absent."""
