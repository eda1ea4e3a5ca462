"""Optional blob-store capabilities, each a small protocol checked with ``isinstance``.

A backend offers a capability by having the method; callers check explicitly and fall
back to the plain ``BlobStore`` path, so no backend carries ``NotImplementedError`` stubs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Callable, Protocol, Sequence, runtime_checkable


@runtime_checkable
class PresignedReads(Protocol):
    """A store that can hand out time-limited URLs to read an object directly, so the
    service need not be in the data path (S3 and S3-compatible servers)."""

    def presign_get(self, key: str, expires_s: int) -> str:
        """A URL that answers GET with the bytes of ``key`` for ``expires_s`` seconds.
        Makes no request: an absent key gives a URL that answers 404."""
        ...


@runtime_checkable
class NativeHash(Protocol):
    """A store that hashes an object next to its bytes, reading and hashing in parallel
    threads, instead of passing every chunk through the event loop (the integrity
    workers' hot path: the local folder and S3)."""

    async def sha256(self, key: str, pace: Callable[[int], None] | None = None) -> tuple[str, int]:
        """``(hex SHA-256, size)`` of the bytes at ``key``; ``NotFound`` when absent.
        ``pace(n)`` is called from a worker thread as each ``n`` bytes are read, and may
        sleep there (a bandwidth limit)."""
        ...


@runtime_checkable
class PresignedUploads(Protocol):
    """A store that lets a client upload an object in parts straight to storage through
    presigned URLs (S3 multipart), so large uploads bypass the service."""

    part_size: int

    async def start_upload(self, key: str) -> str:
        """Begin a multipart upload to ``key``; returns its upload id."""
        ...

    def presign_part(self, key: str, upload_id: str, part_number: int, expires_s: int) -> str:
        """A URL that accepts PUT of part ``part_number`` (1-based) for ``expires_s`` seconds."""
        ...

    async def complete_upload(self, key: str, upload_id: str, etags: Sequence[str]) -> None:
        """Join the parts, in order (``etags[i]`` is part i + 1's ETag), into the object."""
        ...

    async def abort_upload(self, key: str, upload_id: str) -> None:
        """Drop an unfinished upload and its parts."""
        ...


@runtime_checkable
class ThreadWrites(Protocol):
    """A staged write that may be fed from a worker thread (a local file): the content
    layer then hashes and writes each batch in one thread per upload, so neither the
    digest nor the disk holds up the event loop."""

    def write_sync(self, chunk: bytes | memoryview) -> None:
        """Append bytes, blocking; called from one thread at a time, in order. ``chunk``
        may be a view over a buffer reused after the call returns: copy what is kept."""
        ...


@runtime_checkable
class IncompleteUploads(Protocol):
    """A store whose unfinished multipart uploads keep their parts (billed, invisible to
    listings) until aborted: a crash mid-upload leaves them behind (S3)."""

    async def abort_stale_uploads(self, started_before: datetime) -> list[str]:
        """Abort every unfinished upload under the store's prefix begun before
        ``started_before``; the keys they were for, one entry per upload aborted."""
        ...

    async def uploaded_parts(self, key: str, upload_id: str) -> dict[int, tuple[str, int]]:
        """Parts already stored of an unfinished upload: ``{number: (etag, size)}``;
        ``NotFound`` when the upload is unknown (completed, aborted or never begun)."""
        ...


class NamedLater(Protocol):
    """A staged write whose key is chosen at commit (once the content's digest is known)."""

    async def write(self, chunk: bytes) -> None: ...

    async def commit_as(self, key: str) -> bool:
        """Make the bytes visible at ``key``; False when ``key`` already held bytes
        (first write wins: those stay, these are dropped)."""
        ...

    async def abort(self) -> None: ...


@runtime_checkable
class UnnamedWrites(Protocol):
    """A store that can take bytes before their key is known (a local folder), so a
    client can stream a file it has not hashed yet and learn its digest at the end."""

    async def unnamed_writer(self) -> NamedLater:
        """Start a staged write whose key ``commit_as`` names."""
        ...
