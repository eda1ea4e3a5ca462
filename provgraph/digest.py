"""SHA-256 digests as typed values, and hashing while streaming."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import BinaryIO, Iterable

from provgraph.errors import BadInput

_HEX64 = re.compile(r"[0-9a-f]{64}")
CHUNK_SIZE = 1024 * 1024


@dataclass(frozen=True, order=True)
class Digest:
    """A SHA-256 digest: 64 lowercase hex characters."""

    hex: str

    @classmethod
    def parse(cls, value: str) -> Digest:
        """Accept ``<hex>`` or ``sha256:<hex>``; anything else is ``BAD_INPUT``."""
        text = value[7:] if value.startswith("sha256:") else value
        if not _HEX64.fullmatch(text):
            raise BadInput(
                f"malformed digest {value!r}: expected 64 lowercase hex characters (SHA-256)"
            )
        return cls(text)

    @property
    def node_id(self) -> str:
        """The id of the Blob node that stands for these bytes."""
        return f"sha256:{self.hex}"

    @property
    def key(self) -> str:
        """The object key of these bytes in any blob store: ``sha256/ab/cd/<hex>``."""
        return f"sha256/{self.hex[:2]}/{self.hex[2:4]}/{self.hex}"

    def __str__(self) -> str:
        return self.hex


def is_digest(value: str) -> bool:
    """True when ``value`` is 64 lowercase hex characters."""
    return bool(_HEX64.fullmatch(value))


def digest_of_bytes(data: bytes) -> Digest:
    return Digest(hashlib.sha256(data).hexdigest())


def digest_of_chunks(chunks: Iterable[bytes]) -> Digest:
    hasher = hashlib.sha256()
    for chunk in chunks:
        hasher.update(chunk)
    return Digest(hasher.hexdigest())


def digest_of_file(handle: BinaryIO) -> tuple[Digest, int]:
    """Hash an open binary file from its current position; returns (digest, size)."""
    hasher = hashlib.sha256()
    size = 0
    buffer = bytearray(CHUNK_SIZE)
    view = memoryview(buffer)
    while n := handle.readinto(buffer):  # type: ignore[attr-defined]
        hasher.update(view[:n])
        size += n
    return Digest(hasher.hexdigest()), size


def manifest_digest(entries: Iterable[tuple[str, str]]) -> Digest:
    """SHA-256 of the sorted ``"<path> <digest>\\n"`` lines of a manifest."""
    hasher = hashlib.sha256()
    for path, hex_digest in sorted(entries):
        hasher.update(f"{path} {hex_digest}\n".encode())
    return Digest(hasher.hexdigest())
