"""Orphans and garbage: bytes nothing references, and references whose bytes are gone.

The blob store's listing under ``sha256/`` (key order is digest order) is merge-joined
with the graph's Blob nodes (by id), so memory stays flat for any store size:

- an object with no Blob node, or whose Blob node no edge points to (uploaded through
  the service, never registered), is an *orphan*; older than the grace period it is
  reported and, only with ``delete``, removed (its unreferenced Blob node with it);
- a referenced Blob node without bytes is reported (MISSING, or PENDING: never uploaded);
- an unreferenced Blob node without bytes is reported, and removed with ``delete``;
- a key under ``sha256/`` that is not a digest's key, or any key under the blob prefix
  outside ``sha256/`` (``tmp/`` and ``quarantine/`` excepted), is reported, never touched;
- unfinished multipart uploads older than the grace period (a crash mid-upload leaves
  their parts stored, invisible and billed) are aborted, in either mode.

Deletion re-checks references atomically (``delete_unreferenced_blobs``) right before
the bytes go; a registration landing in between is logged as an error naming the digest.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, AsyncIterator

from provgraph.blobs.content import ContentStore
from provgraph.blobs.protocol import ObjectInfo
from provgraph.checks import Shard
from provgraph.digest import Digest, is_digest
from provgraph.graph import GraphStore
from provgraph.ids import utcnow
from provgraph.model import Node
from provgraph.verify import log_event

PAGE = 1000
DELETE_BATCH = 100
KEPT = 1000  # entries kept per list in a report; the counts are exact


@dataclass(frozen=True)
class Orphan:
    digest: Digest
    size: int
    modified: datetime
    registered: bool  # a Blob node exists, but nothing references it


@dataclass
class GcReport:
    shard: Shard
    delete: bool
    objects: int = 0
    orphans: list[Orphan] = field(default_factory=list)
    orphan_count: int = 0
    young_orphans: int = 0
    deleted: list[Digest] = field(default_factory=list)
    deleted_count: int = 0
    gone: list[Node] = field(default_factory=list)
    gone_count: int = 0
    empty_nodes: int = 0
    foreign: list[str] = field(default_factory=list)
    aborted_uploads: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {"shard": str(self.shard), "objects": self.objects, "orphans": self.orphan_count,
                "young_orphans": self.young_orphans, "deleted": self.deleted_count,
                "referenced_without_bytes": self.gone_count, "unreferenced_nodes_without_bytes": self.empty_nodes,
                "foreign_keys": len(self.foreign), "aborted_uploads": len(self.aborted_uploads), "mode": "delete" if self.delete else "report"}


def digest_of_key(key: str) -> Digest | None:
    """The digest whose key ``key`` is, or None for any other key."""
    hex_part = key.rsplit("/", 1)[-1]
    return Digest(hex_part) if is_digest(hex_part) and Digest(hex_part).key == key else None


async def collect_garbage(
    graph: GraphStore, content: ContentStore, shard: Shard = Shard(), grace: timedelta = timedelta(hours=24),
    delete: bool = False, now: datetime | None = None,
) -> GcReport:
    """Report (and with ``delete`` remove) the garbage of ``shard``; see the module doc."""
    report = GcReport(shard, delete)
    cutoff = (now or utcnow()) - grace
    doomed: list[Orphan] = []
    empty: list[Digest] = []
    async for info, node, refs in joined(graph, content, shard, report):
        if info is not None and refs == 0:
            if info.modified > cutoff:
                report.young_orphans += 1
                continue
            orphan = Orphan(_digest(info), info.size, info.modified, node is not None)
            _keep(report.orphans, orphan)
            report.orphan_count += 1
            log_event(logging.WARNING, "orphan", digest=orphan.digest.hex, size=orphan.size,
                      modified=orphan.modified.isoformat(), registered=orphan.registered)
            if delete:
                doomed.append(orphan)
        elif info is None and node is not None:
            if refs:
                _keep(report.gone, node)
                report.gone_count += 1
                log_event(logging.WARNING, "bytes_gone", digest=node.id[7:], status=node.props.get("status"), references=refs)
            else:
                report.empty_nodes += 1
                if delete:
                    empty.append(Digest(node.id[7:]))
        if delete and len(doomed) + len(empty) >= DELETE_BATCH:
            await _delete(graph, content, doomed, empty, report)
            doomed, empty = [], []
    if delete:
        await _delete(graph, content, doomed, empty, report)
    if shard.index == 0:  # one shard does the store-wide part
        await _outside(content, report)
        report.aborted_uploads = await content.abort_stale_uploads(cutoff)
        for key in report.aborted_uploads:
            log_event(logging.WARNING, "stale_upload_aborted", key=key)
    log_event(logging.INFO, "gc_finished", **report.summary())
    return report


def _keep(items: list[Any], item: Any) -> None:
    if len(items) < KEPT:
        items.append(item)


def _digest(info: ObjectInfo) -> Digest:
    digest = digest_of_key(info.key)
    assert digest is not None
    return digest


async def joined(
    graph: GraphStore, content: ContentStore, shard: Shard, report: GcReport
) -> AsyncIterator[tuple[ObjectInfo | None, Node | None, int]]:
    """(object, Blob node, references) for every digest of the shard, by digest (also
    used by ``adopt`` to find objects without a node)."""
    objects, blobs = _objects(content, shard, report), _blobs(graph, shard)
    obj, blob = await anext(objects, None), await anext(blobs, None)
    while obj is not None or blob is not None:
        obj_hex = _digest(obj).hex if obj is not None else None
        blob_hex = blob[0].id[7:] if blob is not None else None
        if blob_hex is None or (obj_hex is not None and obj_hex < blob_hex):
            yield obj, None, 0
            obj = await anext(objects, None)
        elif obj_hex is None or blob_hex < obj_hex:
            assert blob is not None
            yield None, blob[0], blob[1]
            blob = await anext(blobs, None)
        else:
            assert blob is not None
            yield obj, blob[0], blob[1]
            obj, blob = await anext(objects, None), await anext(blobs, None)


async def _objects(content: ContentStore, shard: Shard, report: GcReport) -> AsyncIterator[ObjectInfo]:
    for prefix in _prefixes(shard):
        async for info in content.store.list(prefix):
            digest = digest_of_key(info.key)
            if digest is None:
                if _owns_foreign(shard, info.key):
                    _keep(report.foreign, info.key)
                    log_event(logging.WARNING, "foreign_object", key=info.key)
            elif shard.contains(digest.hex):
                report.objects += 1
                yield info


async def _outside(content: ContentStore, report: GcReport) -> None:
    """Keys under the blob prefix but outside ``sha256/``: not provgraph's, reported."""
    async for info in content.store.list(""):
        if not info.key.startswith("sha256/"):
            _keep(report.foreign, info.key)
            log_event(logging.WARNING, "foreign_object", key=info.key)


def _prefixes(shard: Shard) -> list[str]:
    """Key prefixes to list: every ``sha256/xx/`` folder the shard's range touches."""
    if shard.count == 1:
        return ["sha256/"]
    last = 255 if shard.high == "g" else int(shard.high[:2], 16)
    return [f"sha256/{b:02x}/" for b in range(int(shard.low[:2], 16), last + 1)]


def _owns_foreign(shard: Shard, key: str) -> bool:
    """One shard reports each foreign key: the one holding its ``sha256/xx/`` folder."""
    parts = key.split("/")
    folder = parts[1] if len(parts) > 2 else ""
    if len(folder) != 2 or not all(c in "0123456789abcdef" for c in folder):
        return shard.index == 0
    return shard.contains(folder + "000000")


async def _blobs(graph: GraphStore, shard: Shard) -> AsyncIterator[tuple[Node, int]]:
    after: str | None = None
    while page := await graph.list_blobs(shard, after, PAGE):
        for row in page:
            yield row
        after = page[-1][0].id


async def _delete(
    graph: GraphStore, content: ContentStore, orphans: list[Orphan], empty: list[Digest], report: GcReport
) -> None:
    if not orphans and not empty:
        return
    freed = set(await graph.delete_unreferenced_blobs([o.digest for o in orphans] + empty))
    gone = [o.digest for o in orphans if o.digest in freed]
    for digest in gone:
        await content.delete(digest)
        log_event(logging.WARNING, "orphan_deleted", digest=digest.hex)
    report.deleted += gone[:KEPT - len(report.deleted)]
    report.deleted_count += len(gone)
    # A registration between the reference check and the deletion recreated the node.
    for node_id in await graph.get_nodes([d.node_id for d in gone]):
        log_event(logging.ERROR, "gc_raced_registration", digest=node_id[7:],
                  detail="registered while its unreferenced bytes were deleted: upload them again")
