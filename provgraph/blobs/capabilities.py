"""Optional blob-store capabilities, each a small protocol checked with ``isinstance``.

A backend offers a capability by having the method; callers check explicitly and fall
back to the plain ``BlobStore`` path, so no backend carries ``NotImplementedError`` stubs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, Sequence, runtime_checkable


@runtime_checkable
class PresignedReads(Protocol):
    """A store that can hand out time-limited URLs to read an object directly, so the
    service need not be in the data path (S3 and S3-compatible servers)."""

    def presign_get(self, key: str, expires_s: int) -> str:
        """A URL that answers GET with the bytes of ``key`` for ``expires_s`` seconds.
        Makes no request: an absent key gives a URL that answers 404."""
        ...


@runtime_checkable
class LocalFiles(Protocol):
    """A store whose objects are files on this machine, so a reader can hash one in a
    single thread without a hop per chunk (the local folder)."""

    def local_path(self, key: str) -> Path:
        """The file that holds (or would hold) the bytes of ``key``; ``BadInput`` for
        an invalid key. Makes no check that the file exists."""
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
