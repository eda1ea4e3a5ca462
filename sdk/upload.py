"""Uploading files as content-addressed blobs: hash once, ask first, stream the rest.

1. The digest comes from the cache when the file's (path, size, mtime, inode) is
   unchanged. A file of ``STREAM_MIN_BYTES`` or more that is not cached goes up in one
   read, hashed while it is sent (``StreamSink``), where the service's store allows it;
   otherwise the file is hashed in one streaming pass.
2. ``HEAD`` asks whether the service already has those bytes: then nothing is sent.
3. Otherwise a ``BlobSink`` streams them. ``PutSink`` (one streamed ``PUT``, restarted from
   byte 0 after a broken connection: an interrupted PUT does not resume) is
   the path every backend offers. Files of ``DIRECT_MIN_BYTES`` or more go through
   ``DirectSink`` instead (presigned multipart straight to S3, parallel, resumable) when
   the service's store offers it; a 501 switches this uploader back to ``PutSink``.
A file that changes while it is read is refused, before or after the transfer.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Protocol

from provgraph.errors import BadInput, Unavailable
from provgraph.sdk.direct import DirectSink, NoDirectUploads
from provgraph.sdk.errors import FileChanged
from provgraph.sdk.hashing import DigestCache, Identity, check_unchanged, hash_file, identity
from provgraph.sdk.progress import BarFactory, silent_bar
from provgraph.sdk.stream import StreamSink
from provgraph.sdk.transport import Transport

SEND_CHUNK = 1024 * 1024
DIRECT_MIN_BYTES = 8 * 1024 * 1024
# Below this, hashing first and asking (HEAD) saves sending bytes the service already has.
STREAM_MIN_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class UploadResult:
    """What one upload did: ``sent`` and ``hashed`` count bytes (0 when skipped)."""

    path: Path
    digest: str
    size: int
    sent: int
    hashed: int
    existed: bool


class BlobSink(Protocol):
    """A way to move a file's bytes to the service."""

    def send(self, path: Path, digest: str, ident: Identity, bar: BarFactory) -> int:
        """Store the file under ``digest``; the number of bytes sent."""


class PutSink:
    """One streamed ``PUT /blobs/sha256/{digest}`` (the service hashes and checks it)."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    def send(self, path: Path, digest: str, ident: Identity, bar: BarFactory) -> int:
        what = f"upload of {path}"
        try:
            self.transport.put_blob(digest, ident[0], lambda: _read(path, ident[0], bar), what)
        except BadInput as exc:
            check_unchanged(path, ident, "uploaded")
            raise exc
        except Unavailable as exc:
            raise Unavailable(f"{exc.message}. An upload through the service does not resume: run the same "
                              "upload again to restart it from byte 0 (the service drops the partial bytes; "
                              "parts left by a service crash are removed at its next start or `provgraph gc`)") from None
        check_unchanged(path, ident, "uploaded")
        return ident[0]


def _read(path: Path, size: int, bar: BarFactory) -> Iterator[bytes]:
    progress = bar(size, path.name)
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(SEND_CHUNK):
                progress.update(len(chunk))
                yield chunk
    finally:
        progress.close()


class Uploader:
    """Hash-once, ask-first uploads through one ``Transport``."""

    def __init__(self, transport: Transport, cache: DigestCache, bar: BarFactory = silent_bar,
                 concurrency: int = 8) -> None:
        self.transport = transport
        self.cache = cache
        self.bar = bar
        self.sink: BlobSink = PutSink(transport)
        self.direct: DirectSink | None = DirectSink(transport, cache.path.parent, concurrency)
        self.stream = StreamSink(transport)

    def close(self) -> None:
        if self.direct is not None:
            self.direct.close()

    def digest(self, path: Path) -> tuple[str, Identity, int]:
        """(digest, identity, bytes read to get it): 0 bytes when the cache knew it."""
        path = path.absolute()
        ident = identity(path)
        cached = self.cache.get(path, ident)
        if cached is not None:
            return cached, ident, 0
        progress = self.bar(ident[0], f"hashing {path.name}")
        try:
            digest, ident = hash_file(path, progress.update)
        finally:
            progress.close()
        self.cache.put(path, ident, digest)
        return digest, ident, ident[0]

    def upload(self, path: Path | str) -> UploadResult:
        """Make sure the service stores the bytes of ``path``; see the module doc."""
        file = Path(path).absolute()
        streamed = self.stream_if_unhashed(file)
        if streamed is not None:
            return streamed
        digest, ident, hashed = self.digest(file)
        stored = self.transport.head_blob(digest, f"upload of {file}")
        if stored is not None:
            return UploadResult(file, digest, ident[0], 0, hashed, True)
        sent = self._send(file, digest, ident)
        return UploadResult(file, digest, ident[0], sent, hashed, False)

    def stream_if_unhashed(self, path: Path) -> UploadResult | None:
        """Upload a large file whose digest is not cached in one read (``StreamSink``);
        None (nothing done) for a small or cached file, or where the service cannot."""
        file = path.absolute()
        ident = identity(file)
        if ident[0] < STREAM_MIN_BYTES or self.cache.get(file, ident) is not None or not self.stream.offered():
            return None
        digest, created = self.stream.send(file, ident, self.bar)  # hashed while it is sent
        self.cache.put(file, ident, digest)
        return UploadResult(file, digest, ident[0], ident[0], ident[0], not created)

    def _send(self, file: Path, digest: str, ident: Identity) -> int:
        if self.direct is not None and ident[0] >= DIRECT_MIN_BYTES:
            try:
                return self.direct.send(file, digest, ident, self.bar)
            except NoDirectUploads:
                self.direct.close()
                self.direct = None  # this service takes bytes through PUT only
        return self.sink.send(file, digest, ident, self.bar)


__all__ = ["BlobSink", "FileChanged", "PutSink", "UploadResult", "Uploader"]
