"""Optional blob-store capabilities, each a small protocol checked with ``isinstance``.

A backend offers a capability by having the method; callers check explicitly and fall
back to the plain ``BlobStore`` path, so no backend carries ``NotImplementedError`` stubs.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class PresignedReads(Protocol):
    """A store that can hand out time-limited URLs to read an object directly, so the
    service need not be in the data path (S3 and S3-compatible servers)."""

    def presign_get(self, key: str, expires_s: int) -> str:
        """A URL that answers GET with the bytes of ``key`` for ``expires_s`` seconds.
        Makes no request: an absent key gives a URL that answers 404."""
        ...
