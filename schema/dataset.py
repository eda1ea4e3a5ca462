"""``Dataset``: a versioned set of files with its manifest digest and stats."""

from __future__ import annotations

import strawberry

from provgraph import model
from provgraph.model import EdgeType, NodeKind
from provgraph.schema.connection import DEFAULT_FILES_PAGE, Connection
from provgraph.schema.context import Info
from provgraph.schema.fields import field
from provgraph.schema.integrity import ArtifactIntegrity, artifact_integrity
from provgraph.schema.files import File, file_connection
from provgraph.schema.nodes import NodeType, base_fields, register
from provgraph.schema.run import Run
from provgraph.schema.scalars import JSON, Long, json_of


@strawberry.type(description="A versioned set of files.")
class Dataset(NodeType):
    version: str
    manifest_digest: str = strawberry.field(
        description="SHA-256 of the sorted `<path> <digest>` lines of the manifest."
    )
    file_count: int
    total_bytes: Long
    stats: JSON
    source: str | None

    @classmethod
    def from_node(cls, node: model.Node) -> Dataset:
        props = node.props
        return cls(
            **base_fields(node),
            version=node.version or "",
            manifest_digest=str(props.get("manifest_digest", "")),
            file_count=int(props.get("file_count", 0)),
            total_bytes=Long(props.get("total_bytes", 0)),
            stats=json_of(props.get("stats")),
            source=props.get("source"),
        )

    @field("The manifest, by path; `first` is 1..1000.")
    async def files(
        self, info: Info, first: int | None = DEFAULT_FILES_PAGE, after: str | None = None
    ) -> Connection[File]:
        return await file_connection(info, self.id, first, after)

    @field("Integrity of its files and of everything upstream (batched per request).")
    async def integrity(self, info: Info) -> ArtifactIntegrity:
        return await artifact_integrity(info, self.id)

    @field("Datasets this one was derived from (direct parents).")
    async def derived_from(self, info: Info) -> list[Dataset]:
        nodes = await info.context.loaders.related.load((self.id, EdgeType.DERIVED_FROM))
        return [Dataset.from_node(n) for n in nodes]

    @field("The run that produced this dataset, if recorded.")
    async def generated_by(self, info: Info) -> Run | None:
        nodes = await info.context.loaders.related.load((self.id, EdgeType.GENERATED_BY))
        return Run.from_node(nodes[0]) if nodes else None


register(NodeKind.DATASET, Dataset.from_node)
