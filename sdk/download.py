"""Downloading the files of an artifact: verified, in parallel, skipping what is there.

Each file goes to ``<dest>/<path inside the artifact>``. A file already there with the
right size and digest (the digest cache spares re-reading an unchanged one) is skipped.
Others stream from ``GET /blobs/sha256/{digest}`` (a presigned redirect straight to
storage when the backend offers one) into a hidden ``.<name>.provgraph-part`` file next to
the target, hashed as they arrive; only bytes that match the registered digest and size
are renamed into place. A mismatch deletes the partial file and is reported: a bad file
is never left under its final name. Files download ``concurrency`` at a time.
"""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from provgraph.errors import BadInput, ProvgraphError
from provgraph.sdk.hashing import DigestCache, hash_file, identity
from provgraph.sdk.progress import BarFactory
from provgraph.sdk.transport import Transport
from provgraph.sdk.types import FileInfo

CONCURRENCY = 4
PARTIAL = ".provgraph-part"


class CorruptDownload(BadInput):
    """The bytes the service sent do not hash to the registered digest."""


@dataclass(frozen=True)
class FileOutcome:
    """One file: ``state`` is ``downloaded``, ``skipped`` (already correct) or ``failed``."""

    path: Path
    digest: str
    size: int
    state: str
    error: str | None = None


@dataclass
class DownloadReport:
    """Per-file outcomes of one download; ``ok`` when none failed."""

    dest: Path
    files: list[FileOutcome] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(f.state != "failed" for f in self.files)

    def count(self, state: str) -> int:
        return sum(1 for f in self.files if f.state == state)


def target_of(dest: Path, rel: str) -> Path:
    """Where the file recorded as ``rel`` goes; ``BadInput`` for a path leaving ``dest``."""
    parts = PurePosixPath(rel).parts
    if not parts or rel.startswith("/") or any(p in ("..", "") for p in parts):
        raise BadInput(f"file path {rel!r} would be written outside {dest}")
    return dest.joinpath(*parts)


class Downloader:
    """Verified, parallel downloads through one ``Transport``."""

    def __init__(self, transport: Transport, cache: DigestCache, bar: BarFactory,
                 concurrency: int = CONCURRENCY) -> None:
        self.transport = transport
        self.cache = cache
        self.bar = bar
        self.concurrency = concurrency

    def download(self, files: list[FileInfo], dest: Path) -> DownloadReport:
        dest = dest.absolute()
        targets = [(f, target_of(dest, f.path)) for f in files]  # refuse a bad path before any byte
        with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="provgraph-get") as pool:
            outcomes = list(pool.map(lambda pair: self._one(*pair), targets))
        return DownloadReport(dest, outcomes)

    def _one(self, file: FileInfo, target: Path) -> FileOutcome:
        try:
            if self._present(target, file):
                return FileOutcome(target, file.digest, file.size, "skipped")
            self._fetch(file, target)
        except ProvgraphError as exc:
            return FileOutcome(target, file.digest, file.size, "failed", exc.message)
        return FileOutcome(target, file.digest, file.size, "downloaded")

    def _present(self, target: Path, file: FileInfo) -> bool:
        if not target.is_file() or target.stat().st_size != file.size:
            return False
        ident = identity(target)
        digest = self.cache.get(target, ident)
        if digest is None:
            digest, ident = hash_file(target)
            self.cache.put(target, ident, digest)
        return digest == file.digest

    def _fetch(self, file: FileInfo, target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}{PARTIAL}")
        try:
            actual, size = self._stream(file, partial)
            if (actual, size) != (file.digest, file.size):
                raise CorruptDownload(
                    f"{file.path}: the service sent {size} bytes hashing to {actual}, not the registered "
                    f"{file.size} bytes of {file.digest}; nothing was written at {target}. Run "
                    "`provgraph verify` on the artifact: its stored copy may be damaged")
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
        self.cache.put(target, identity(target), file.digest)

    def _stream(self, file: FileInfo, partial: Path) -> tuple[str, int]:
        hasher = hashlib.sha256()
        size = 0
        progress = self.bar(file.size, file.path)
        try:
            with self.transport.get_blob(file.digest, f"download of {file.path}") as chunks, \
                    partial.open("wb") as out:
                for chunk in chunks:
                    hasher.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
                    progress.update(len(chunk))
                out.flush()
                os.fsync(out.fileno())
        finally:
            progress.close()
        return hasher.hexdigest(), size
