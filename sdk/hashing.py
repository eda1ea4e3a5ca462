"""Hashing local files in bounded memory, and a cache of digests of unchanged files.

A file is identified by (absolute path, size, mtime_ns, inode): while those are the same,
its digest is taken from the cache and the file is not read at all. A file whose identity
changes while it is being read is refused: its digest would describe no real state.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from pathlib import Path
from typing import Callable

from provgraph.sdk.errors import FileChanged, UnreadableFile

CHUNK = 4 * 1024 * 1024
Identity = tuple[int, int, int]  # size, mtime_ns, inode
Progress = Callable[[int], None]


def identity(path: Path) -> Identity:
    """(size, mtime_ns, inode) of a regular file; ``UnreadableFile`` when it is none."""
    try:
        st = path.stat()
    except OSError as exc:
        raise UnreadableFile(f"cannot read {path}: {exc.strerror or exc}") from None
    if not os.path.isfile(path):
        raise UnreadableFile(f"cannot read {path}: not a regular file")
    return st.st_size, st.st_mtime_ns, st.st_ino


def check_unchanged(path: Path, before: Identity, doing: str) -> None:
    after = identity(path)
    if after != before:
        raise FileChanged(
            f"{path} changed while it was being {doing} (size {before[0]} → {after[0]}, "
            f"mtime_ns {before[1]} → {after[1]}); wait until it is completely written, then try again"
        )


def hash_file(path: Path, progress: Progress | None = None) -> tuple[str, Identity]:
    """SHA-256 (hex) of a file read in 4 MiB chunks, and the identity it had throughout."""
    before = identity(path)
    hasher = hashlib.sha256()
    buffer = bytearray(CHUNK)
    view = memoryview(buffer)
    try:
        with path.open("rb", buffering=0) as handle:
            left = before[0]  # a file still being appended to would otherwise never end
            while left and (n := handle.readinto(view[:min(CHUNK, left)])):
                hasher.update(view[:n])
                left -= n
                if progress is not None:
                    progress(n)
    except OSError as exc:
        raise UnreadableFile(f"cannot read {path}: {exc.strerror or exc}") from None
    check_unchanged(path, before, "hashed")
    return hasher.hexdigest(), before


class DigestCache:
    """Digests of local files by identity, in a SQLite file (safe across threads and
    processes; a damaged or unwritable cache only costs re-hashing)."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "digests.db"
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None

    def _db(self) -> sqlite3.Connection | None:
        if self._conn is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(self.path, check_same_thread=False, timeout=10, isolation_level=None)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("CREATE TABLE IF NOT EXISTS digests (path TEXT PRIMARY KEY, size INTEGER, "
                             "mtime_ns INTEGER, inode INTEGER, digest TEXT)")
                self._conn = conn
            except sqlite3.Error:
                return None
        return self._conn

    def get(self, path: Path, ident: Identity) -> str | None:
        with self._lock:
            db = self._db()
            if db is None:
                return None
            row = db.execute("SELECT size, mtime_ns, inode, digest FROM digests WHERE path = ?",
                             (str(path),)).fetchone()
        return row[3] if row is not None and tuple(row[:3]) == ident else None

    def put(self, path: Path, ident: Identity, digest: str) -> None:
        with self._lock:
            db = self._db()
            if db is not None:
                db.execute("INSERT OR REPLACE INTO digests VALUES (?, ?, ?, ?, ?)", (str(path), *ident, digest))

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
