"""Recording bytes that reached storage without a Blob node.

A crash between storing a blob and recording it (the service killed after a PUT or a
direct upload completed, before its graph write) leaves bytes no Blob node describes. A
worker cycle walks its shard's objects merge-joined with the Blob nodes (as ``gc`` does,
memory flat) and records each such object PENDING, so the verify pass that follows hashes
it and it is no longer an invisible orphan. Objects younger than ``SETTLE`` are left to
the request that is recording them now. Safe to run twice: a recorded object is skipped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from provgraph.blobs.content import ContentStore
from provgraph.checks import Shard
from provgraph.digest import Digest
from provgraph.graph import GraphStore
from provgraph.ids import utcnow
from provgraph.model import BlobStatus
from provgraph.verify import log_event
from provgraph.workers.gc import GcReport, digest_of_key, joined

SETTLE = timedelta(minutes=1)
DETAIL = "found in storage without a Blob node (stored, then not recorded); awaiting verification"


@dataclass
class AdoptReport:
    recorded: list[Digest] = field(default_factory=list)


async def record_unrecorded(graph: GraphStore, content: ContentStore, shard: Shard = Shard(),
                            now: datetime | None = None) -> AdoptReport:
    """Record a PENDING Blob node for every object of ``shard`` that has none."""
    report = AdoptReport()
    cutoff = (now or utcnow()) - SETTLE
    async for info, node, _ in joined(graph, content, shard, GcReport(shard, False)):
        if info is None or node is not None or info.modified > cutoff:
            continue
        digest = digest_of_key(info.key)
        assert digest is not None
        await graph.record_blob(digest, info.size, BlobStatus.PENDING, utcnow(), DETAIL)
        report.recorded.append(digest)
        log_event(logging.WARNING, "unrecorded_blob_recorded", digest=digest.hex, size=info.size)
    return report
