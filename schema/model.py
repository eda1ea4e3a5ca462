"""``Model``: a registered model version with its files, aliases and status."""

from __future__ import annotations

from datetime import datetime

import strawberry

from provgraph import lifecycle, model
from provgraph.model import EdgeType, ModelStatus, NodeKind
from provgraph.schema.connection import DEFAULT_FILES_PAGE, DEFAULT_PAGE, Connection, page_size
from provgraph.schema.lifecycle import ModelEvent, event_connection
from provgraph.schema.context import Info
from provgraph.schema.fields import field
from provgraph.schema.integrity import ArtifactIntegrity, artifact_integrity
from provgraph.schema.files import File, file_list
from provgraph.schema.nodes import NodeType, base_fields, register
from provgraph.schema.run import Run
from provgraph.schema.scalars import JSON, json_of


@strawberry.type(description="A registered model version (`name:vN`).")
class Model(NodeType):
    version: str
    status: ModelStatus
    aliases: list[str]
    metrics: JSON
    description: str | None
    deployed_in: list[str] = strawberry.field(description="Environments this version runs in now.")
    deployed_at: datetime | None = strawberry.field(
        description="When it was last deployed into one of them (null when deployed nowhere)."
    )

    @classmethod
    def from_node(cls, node: model.Node) -> Model:
        props = node.props
        deployed = lifecycle.deployed_in(node)
        return cls(
            **base_fields(node),
            version=node.version or "",
            status=ModelStatus(props.get("status", ModelStatus.COMPLETED.value)),
            aliases=list(props.get("aliases", ())),
            metrics=json_of(props.get("metrics")),
            description=props.get("description"),
            deployed_in=sorted(deployed),
            deployed_at=max((datetime.fromisoformat(t) for t in deployed.values()), default=None),
        )

    @field("Its lifecycle events (deploys, rollbacks, status changes), newest first; `first` is 1..1000.")
    async def history(self, info: Info, first: int | None = DEFAULT_PAGE, after: str | None = None) -> Connection[ModelEvent]:
        page = await info.context.registry.history(self.project, self.name, self.id, page_size(first, DEFAULT_PAGE), after)
        return event_connection(page)

    @field("Files by path (checkpoint, config, …); `first` is 1..1000.")
    async def files(self, info: Info, first: int | None = DEFAULT_FILES_PAGE) -> list[File]:
        return await file_list(info, self.id, first)

    @field("Integrity of its files and of everything upstream (batched per request).")
    async def integrity(self, info: Info) -> ArtifactIntegrity:
        return await artifact_integrity(info, self.id)

    @field("Models this one was derived from (`DERIVED_FROM`).")
    async def parents(self, info: Info) -> list[Model]:
        nodes = await info.context.loaders.related.load((self.id, EdgeType.DERIVED_FROM))
        return [Model.from_node(n) for n in nodes]

    @field("The run that produced this model, if recorded.")
    async def generated_by(self, info: Info) -> Run | None:
        nodes = await info.context.loaders.related.load((self.id, EdgeType.GENERATED_BY))
        return Run.from_node(nodes[0]) if nodes else None


register(NodeKind.MODEL, Model.from_node)
