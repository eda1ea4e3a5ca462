"""Offline mode: every write appended to a local journal, replayed later by ``provgraph sync``.

The journal is JSON lines under ``<cache dir>/offline/``: ``{"op": "graphql", "query",
"variables", "what"}`` for a mutation and ``{"op": "blob", "digest", "size"}`` for bytes,
whose copy waits in ``offline/blobs/``. Every write carries what makes it idempotent (a
client-chosen ULID, a metric batch id, a digest), so replaying a journal twice, or after
a replay that stopped half-way, changes nothing more.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping

from provgraph.sdk.hashing import CHUNK
from provgraph.sdk.transport import Transport


@dataclass(frozen=True)
class SyncResult:
    operations: int
    blobs_sent: int


class Journal:
    """The append-only record of writes made while offline."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder / "offline"
        self.path = self.folder / "journal.jsonl"
        self.blobs = self.folder / "blobs"
        self._lock = threading.Lock()

    def append(self, entry: Mapping[str, Any]) -> None:
        line = json.dumps(entry, separators=(",", ":"), allow_nan=False) + "\n"
        with self._lock:
            self.folder.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(line)

    def mutation(self, query: str, variables: Mapping[str, Any], what: str) -> None:
        self.append({"op": "graphql", "query": query, "variables": dict(variables), "what": what})

    def keep_blob(self, source: Path, digest: str, size: int) -> None:
        """Copy the bytes aside (the original may change before sync) and journal them."""
        target = self.blobs / digest
        if not target.exists():
            self.blobs.mkdir(parents=True, exist_ok=True)
            partial = target.with_suffix(".partial")
            shutil.copyfile(source, partial)
            partial.replace(target)
        self.append({"op": "blob", "digest": digest, "size": size})

    def keep_bytes(self, data: bytes, digest: str) -> None:
        self.blobs.mkdir(parents=True, exist_ok=True)
        (self.blobs / digest).write_bytes(data)
        self.append({"op": "blob", "digest": digest, "size": len(data)})

    def entries(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        with self.path.open(encoding="utf-8") as handle:
            return [json.loads(line) for line in handle if line.strip()]

    def replay(self, transport: Transport) -> SyncResult:
        """Send every journaled write in order; on success the journal is archived under
        ``offline/synced/`` and the kept blobs removed. A failure leaves it all in place."""
        entries = self.entries()
        sent = 0
        for number, entry in enumerate(entries, 1):
            what = f"sync of journal entry {number}/{len(entries)} ({entry.get('what', entry['op'])})"
            if entry["op"] == "blob":
                sent += self._replay_blob(transport, entry["digest"], entry["size"], what)
            else:
                transport.graphql(entry["query"], entry["variables"], what)
        if entries:
            self._archive()
        return SyncResult(len(entries), sent)

    def _replay_blob(self, transport: Transport, digest: str, size: int, what: str) -> int:
        if transport.head_blob(digest, what) is not None:
            return 0
        transport.put_blob(digest, size, lambda: _chunks(self.blobs / digest), what)
        return 1

    def _archive(self) -> None:
        archive = self.folder / "synced"
        archive.mkdir(parents=True, exist_ok=True)
        with self._lock:
            self.path.replace(archive / f"journal-{time.strftime('%Y%m%dT%H%M%S')}-{time.time_ns()}.jsonl")
            shutil.rmtree(self.blobs, ignore_errors=True)


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk
