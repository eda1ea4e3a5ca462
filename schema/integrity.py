"""``integrityReport``: blob counts by status, the bad blobs, and what they affect."""

from __future__ import annotations

import strawberry

from provgraph.graph import GraphStore
from provgraph.model import BlobStatus, Direction, NodeKind
from provgraph.schema.blob import Blob
from provgraph.schema.nodes import NodeType, to_gql_all

REPORT_LIMIT = 1000
AFFECTED_KINDS = (NodeKind.MODEL, NodeKind.EVALUATION, NodeKind.DATASET, NodeKind.RUN)


@strawberry.type
class StatusCount:
    status: BlobStatus
    count: int


@strawberry.type(description="Blob integrity of a project (or of everything).")
class IntegrityReport:
    counts: list[StatusCount] = strawberry.field(description="Every status, zeros included.")
    corrupt: list[Blob] = strawberry.field(description=f"At most {REPORT_LIMIT}, by digest.")
    missing: list[Blob] = strawberry.field(description=f"At most {REPORT_LIMIT}, by digest.")
    affected: list[NodeType] = strawberry.field(
        description="Artifacts and runs downstream of a corrupt or missing blob, nearest first."
    )


async def integrity_report(graph: GraphStore, project: str | None) -> IntegrityReport:
    counts = await graph.blob_counts(project)
    bad = await graph.blobs_with_status([BlobStatus.CORRUPT, BlobStatus.MISSING], project, REPORT_LIMIT)
    hops = await graph.traverse([b.id for b in bad], Direction.DOWNSTREAM, None, AFFECTED_KINDS) if bad else []
    affected = [h.node for h in hops if project is None or h.node.project == project]
    return IntegrityReport(
        counts=[StatusCount(status=s, count=counts.get(s, 0)) for s in BlobStatus],
        corrupt=[Blob.from_node(b) for b in bad if b.props.get("status") == BlobStatus.CORRUPT.value],
        missing=[Blob.from_node(b) for b in bad if b.props.get("status") == BlobStatus.MISSING.value],
        affected=to_gql_all(affected),
    )
