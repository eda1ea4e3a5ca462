"""``LocalBlobStore``: blobs as files under one folder (the embedded default).

Keys are relative paths under the root. Writes go to a temp file in ``<root>/tmp`` (same
filesystem), are fsynced, then hard-linked into place, which is atomic and refuses to
replace an existing file: first write wins. File IO runs in worker threads so the event
loop never waits on the disk.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
import time
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import AsyncIterator, BinaryIO, Callable
from urllib.parse import unquote, urlsplit

from anyio import to_thread

from provgraph.blobs import keys
from provgraph.blobs.hashing import pipelined_sha256
from provgraph.blobs.keys import QUARANTINE, TMP
from provgraph.blobs.protocol import BlobStore, ObjectInfo
from provgraph.digest import CHUNK_SIZE
from provgraph.errors import ConfigError, NotFound

STALE_TEMP_S = 3600.0
HASH_CHUNK = 4 * CHUNK_SIZE


class LocalBlobStore:
    """A ``BlobStore`` over a local folder; ``tmp/`` and ``quarantine/`` are reserved."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def from_url(cls, url: str) -> LocalBlobStore:
        """``file:///absolute/path`` (or ``file://localhost/absolute/path``)."""
        parts = urlsplit(url)
        path = unquote(parts.path)
        if parts.netloc not in ("", "localhost") or not path.startswith("/"):
            raise ConfigError(
                f"PROVGRAPH_BLOB_URL={url!r} is not a local folder URL: expected file:///absolute/path"
            )
        return cls(Path(path))

    async def open(self) -> None:
        await to_thread.run_sync(self._prepare)

    async def close(self) -> None:
        return None

    async def head(self, key: str) -> ObjectInfo | None:
        path = self._path(key)
        return await to_thread.run_sync(_info, key, path)

    async def writer(self, key: str, sha256_hex: str | None = None) -> LocalWriter:
        # The content layer checks the digest while streaming; a folder has no server to ask.
        target = self._path(key, writing=True)
        fd, temp = await to_thread.run_sync(_mkstemp, self.root / TMP)
        return LocalWriter(target, Path(temp), os.fdopen(fd, "wb"), self)

    async def unnamed_writer(self) -> LocalWriter:
        """``UnnamedWrites``: a temp file whose key ``commit_as`` gives."""
        fd, temp = await to_thread.run_sync(_mkstemp, self.root / TMP)
        return LocalWriter(None, Path(temp), os.fdopen(fd, "wb"), self)

    async def read(self, key: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        path = self._path(key)
        try:
            handle = await to_thread.run_sync(_open_regular, path)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise NotFound(f"no blob at key {key!r}") from None
        try:
            await to_thread.run_sync(handle.seek, start)
            remaining = None if end is None else max(0, end - start)
            while remaining is None or remaining > 0:
                want = CHUNK_SIZE if remaining is None else min(CHUNK_SIZE, remaining)
                chunk = await to_thread.run_sync(handle.read, want)
                if not chunk:
                    return
                if remaining is not None:
                    remaining -= len(chunk)
                yield chunk
        finally:
            handle.close()

    async def delete(self, key: str) -> bool:
        path = self._path(key)
        try:
            await to_thread.run_sync(path.unlink)
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return False
        return True

    async def list(self, prefix: str = "") -> AsyncIterator[ObjectInfo]:
        async for info in self._walk("", prefix):
            yield info

    async def quarantine(self, key: str) -> str | None:
        source = self._path(key, writing=True)
        new_key = keys.quarantine_key(key)
        moved = await to_thread.run_sync(_move, source, self.root / new_key)
        return new_key if moved else None

    async def sha256(self, key: str, pace: Callable[[int], None] | None = None) -> tuple[str, int]:
        path = self._path(key)
        try:
            handle = await to_thread.run_sync(_open_regular, path)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise NotFound(f"no blob at key {key!r}") from None
        with handle:
            return await to_thread.run_sync(pipelined_sha256, partial(handle.read, HASH_CHUNK), pace)

    # -- helpers --------------------------------------------------------------------

    def _path(self, key: str, writing: bool = False) -> Path:
        return self.root.joinpath(*keys.check(key, writing))

    def _prepare(self) -> None:
        for folder in (self.root, self.root / TMP, self.root / QUARANTINE):
            folder.mkdir(parents=True, exist_ok=True)
        cutoff = time.time() - STALE_TEMP_S
        for entry in os.scandir(self.root / TMP):
            # Leftovers of a crash mid-upload; younger ones may belong to a live writer.
            with contextlib.suppress(FileNotFoundError):
                if entry.is_file() and entry.stat().st_mtime < cutoff:
                    os.unlink(entry.path)

    async def _walk(self, rel: str, prefix: str) -> AsyncIterator[ObjectInfo]:
        entries = await to_thread.run_sync(_scan, self.root, rel)
        for key, info in entries:
            if info is not None:
                if key.startswith(prefix):
                    yield info
            elif (key + "/").startswith(prefix) or prefix.startswith(key + "/"):
                async for child in self._walk(key, prefix):
                    yield child


class LocalWriter:
    """A staged write into ``<root>/tmp``, linked into place on commit."""

    def __init__(self, target: Path | None, temp: Path, handle: BinaryIO, store: LocalBlobStore) -> None:
        self._target = target
        self._store = store
        self._temp = temp
        self._handle: BinaryIO | None = handle
        self._buffer = bytearray()

    async def write(self, chunk: bytes) -> None:
        if self._handle is None:
            raise RuntimeError("write after commit or abort")
        self._buffer += chunk
        if len(self._buffer) >= CHUNK_SIZE:
            await self._flush()

    def write_sync(self, chunk: bytes | memoryview) -> None:
        # ``ThreadWrites``: the content layer's upload thread writes its batches directly.
        if self._handle is None:
            raise RuntimeError("write after commit or abort")
        self._handle.write(chunk)

    async def commit(self) -> None:
        assert self._target is not None, "an unnamed write is committed with commit_as"
        await self._publish(self._target)

    async def commit_as(self, key: str) -> bool:
        return await self._publish(self._store._path(key, writing=True))

    async def _publish(self, target: Path) -> bool:
        if self._handle is None:
            raise RuntimeError("commit after commit or abort")
        await self._flush()
        handle, self._handle = self._handle, None
        return await to_thread.run_sync(_publish, handle, self._temp, target)

    async def abort(self) -> None:
        handle, self._handle = self._handle, None
        self._buffer.clear()
        if handle is not None:
            await to_thread.run_sync(_discard, handle, self._temp)

    async def _flush(self) -> None:
        # Disk writes in 1 MiB batches: one thread hop per MiB, not per network chunk.
        assert self._handle is not None
        data, self._buffer = bytes(self._buffer), bytearray()
        if data:
            await to_thread.run_sync(self._handle.write, data)


def _scan(root: Path, rel: str) -> list[tuple[str, ObjectInfo | None]]:
    """Entries of one folder in key order: ``(key, info)`` for files, ``(key, None)``
    for folders. Folders sort as ``name/`` so a depth-first walk yields keys in
    plain string order (``a-b`` before ``a/c``)."""
    found: list[tuple[str, str, ObjectInfo | None]] = []
    try:
        entries = list(os.scandir(root / rel if rel else root))
    except FileNotFoundError:
        return []
    for entry in entries:
        key = f"{rel}/{entry.name}" if rel else entry.name
        if not rel and entry.name in (TMP, QUARANTINE):
            continue
        if entry.is_dir(follow_symlinks=False):
            found.append((key + "/", key, None))
        elif (info := _info(key, Path(entry.path))) is not None:
            found.append((key, key, info))
    found.sort(key=lambda item: item[0])
    return [(key, info) for _, key, info in found]


def _info(key: str, path: Path) -> ObjectInfo | None:
    try:
        st = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    return ObjectInfo(key, st.st_size, datetime.fromtimestamp(st.st_mtime, timezone.utc))


def _mkstemp(folder: Path) -> tuple[int, str]:
    folder.mkdir(parents=True, exist_ok=True)
    return tempfile.mkstemp(dir=folder, suffix=".part")


def _open_regular(path: Path) -> BinaryIO:
    handle = path.open("rb")
    if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
        handle.close()
        raise IsADirectoryError(str(path))
    return handle


def _publish(handle: BinaryIO, temp: Path, target: Path) -> bool:
    try:
        handle.flush()
        os.fsync(handle.fileno())
        handle.close()
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(temp, target)
        except FileExistsError:
            return False  # first write wins: the bytes already there stay
        _fsync_dir(target.parent)
        return True
    finally:
        handle.close()
        temp.unlink(missing_ok=True)


def _discard(handle: BinaryIO, temp: Path) -> None:
    handle.close()
    temp.unlink(missing_ok=True)


def _move(source: Path, target: Path) -> bool:
    if _info("", source) is None:
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.rename(source, target)
    except (FileNotFoundError, NotADirectoryError):
        return False
    return True


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


_: type[BlobStore] = LocalBlobStore
