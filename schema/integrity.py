"""Integrity in the API: ``integrityReport`` (counts by status, the bad blobs, what they
affect and how) and the ``integrity`` field of every artifact.

Both read one per-request ``Impact`` (``Loaders.impact``): a single walk down from every
corrupt or missing blob, so neither the report's paths nor a list of 5,000 models each
asking for its ``integrity`` costs a query per node.
"""

from __future__ import annotations

import asyncio

import strawberry

from provgraph.checks import worst
from provgraph.graph import GraphStore
from provgraph.impact import Affected
from provgraph.model import BlobStatus, NodeKind
from provgraph.schema.blob import Blob
from provgraph.schema.context import Info
from provgraph.schema.fields import field
from provgraph.schema.lineage import LineageGraph
from provgraph.schema.nodes import NodeType, to_gql, to_gql_all

REPORT_LIMIT = 1000
AFFECTED_KINDS = (NodeKind.MODEL, NodeKind.EVALUATION, NodeKind.DATASET, NodeKind.RUN)


@strawberry.type
class StatusCount:
    status: BlobStatus
    count: int


def status_counts(counts: dict[BlobStatus, int]) -> list[StatusCount]:
    return [StatusCount(status=s, count=counts.get(s, 0)) for s in BlobStatus]


@strawberry.type(description="A node downstream of a corrupt or missing blob, and how it is reached.")
class AffectedNode:
    node: NodeType
    depth: int = strawberry.field(description="Edges between the node and its nearest bad blob.")
    blob: Blob = strawberry.field(description="The nearest corrupt or missing blob upstream of the node.")
    path: LineageGraph = strawberry.field(
        description="A shortest path from the node down to that blob: nodes in order, then the edges between them."
    )

    @classmethod
    def from_affected(cls, affected: Affected) -> AffectedNode:
        return cls(node=to_gql(affected.node), depth=affected.depth, blob=Blob.from_node(affected.blob),
                   path=LineageGraph.from_subgraph(affected.path))


@strawberry.type(description="Blob integrity of a project (or of everything).")
class IntegrityReport:
    counts: list[StatusCount] = strawberry.field(description="Every status, zeros included.")
    corrupt: list[Blob] = strawberry.field(description=f"At most {REPORT_LIMIT}, by digest.")
    missing: list[Blob] = strawberry.field(description=f"At most {REPORT_LIMIT}, by digest.")
    affected: list[NodeType] = strawberry.field(
        description="Artifacts and runs downstream of a corrupt or missing blob, nearest first."
    )
    affected_paths: list[AffectedNode] = strawberry.field(
        description="`affected`, each with its nearest bad blob and a shortest path to it."
    )


async def integrity_report(info: Info, project: str | None) -> IntegrityReport:
    """The report of ``project`` (None: every project), within what the reader may read:
    blobs the readable nodes name, and affected nodes whose path to the bad blob is
    readable throughout."""
    graph: GraphStore = info.context.graph
    reads = info.context.reads
    projects = reads.listing(project)
    counts, bad, impact = await asyncio.gather(
        graph.blob_counts(projects),
        graph.blobs_with_status([BlobStatus.CORRUPT, BlobStatus.MISSING], projects, REPORT_LIMIT),
        info.context.loaders.impact(),
    )
    affected = [a for a in impact.affected()
                if a.node.kind in AFFECTED_KINDS and (projects is None or a.node.project in projects)
                and (reads.everything or all(reads.sees(n) for n in a.path.nodes))]
    return IntegrityReport(
        counts=status_counts(counts),
        corrupt=[Blob.from_node(b) for b in bad if b.props.get("status") == BlobStatus.CORRUPT.value],
        missing=[Blob.from_node(b) for b in bad if b.props.get("status") == BlobStatus.MISSING.value],
        affected=to_gql_all(a.node for a in affected),
        affected_paths=[AffectedNode.from_affected(a) for a in affected],
    )


@strawberry.type(description="Integrity of an artifact's bytes: its own files, and everything upstream.")
class ArtifactIntegrity:
    status: BlobStatus | None = strawberry.field(
        description="The worst status of its own files (CORRUPT > MISSING > PENDING > VERIFIED); null without files."
    )
    files: list[StatusCount] = strawberry.field(description="Its own files by status, zeros included.")
    affected: bool = strawberry.field(
        description="A corrupt or missing blob is among its files or anywhere upstream of it."
    )
    nearest_bad_blob: Blob | None = strawberry.field(
        description="The nearest such blob, when affected (null when the way to it crosses a project this token may not read)."
    )
    depth: int | None = strawberry.field(
        description="Edges between this node and that blob, when affected (null like nearestBadBlob)."
    )
    node_id: strawberry.Private[str]
    shown: strawberry.Private[bool]

    @field("A shortest path from this node down to that blob, when affected (null like nearestBadBlob).")
    async def path_to_bad_blob(self, info: Info) -> LineageGraph | None:
        impact = await info.context.loaders.impact()
        return LineageGraph.from_subgraph(impact.path(self.node_id)) if self.affected and self.shown else None


async def artifact_integrity(info: Info, node_id: str) -> ArtifactIntegrity:
    """The ``integrity`` of one node: batched file counts, the request's one impact walk.

    ``affected`` is a fact of the node's whole lineage, whoever asks; the blob and the
    path behind it are redacted for a reader who may not read every node on that path."""
    loaders = info.context.loaders
    counts, impact = await asyncio.gather(loaders.file_statuses.load(node_id), loaders.impact())
    hit = impact.nearest(node_id)
    reads = info.context.reads
    shown = hit is not None and (reads.everything or all(reads.sees(n) for n in impact.path(node_id).nodes))
    return ArtifactIntegrity(
        status=worst(s for s, n in counts.items() if n),
        files=status_counts(counts),
        affected=hit is not None,
        nearest_bad_blob=Blob.from_node(hit[0]) if hit and shown else None,
        depth=hit[1] if hit and shown else None,
        node_id=node_id,
        shown=shown,
    )
