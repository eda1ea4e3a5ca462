"""``Evaluation``: metrics of one model on one dataset."""

from __future__ import annotations

import strawberry

from provgraph import model as domain
from provgraph.model import EdgeType, NodeKind
from provgraph.schema.connection import DEFAULT_FILES_PAGE
from provgraph.schema.context import Info
from provgraph.schema.dataset import Dataset
from provgraph.schema.fields import field
from provgraph.schema.integrity import ArtifactIntegrity, artifact_integrity
from provgraph.schema.files import File, file_list
from provgraph.schema.model import Model
from provgraph.schema.nodes import NodeType, base_fields, register
from provgraph.schema.run import Run
from provgraph.schema.scalars import JSON, json_of


@strawberry.type(description="Metrics of one model on one dataset.")
class Evaluation(NodeType):
    metrics: JSON
    params: JSON = strawberry.field(description="Decoding/evaluation parameters.")

    @classmethod
    def from_node(cls, node: domain.Node) -> Evaluation:
        props = node.props
        return cls(**base_fields(node), metrics=json_of(props.get("metrics")), params=json_of(props.get("params")))

    @field("Files (e.g. per-example results), by path; `first` is 1..1000.")
    async def files(self, info: Info, first: int | None = DEFAULT_FILES_PAGE) -> list[File]:
        return await file_list(info, self.id, first)

    @field("Integrity of its files and of everything upstream (batched per request).")
    async def integrity(self, info: Info) -> ArtifactIntegrity:
        return await artifact_integrity(info, self.id)

    @field("The evaluated model (`EVALUATES`).")
    async def model(self, info: Info) -> Model | None:
        nodes = await info.context.loaders.related.load((self.id, EdgeType.EVALUATES))
        return Model.from_node(nodes[0]) if nodes else None

    @field("The dataset it was evaluated on (`ON`).")
    async def dataset(self, info: Info) -> Dataset | None:
        nodes = await info.context.loaders.related.load((self.id, EdgeType.ON))
        return Dataset.from_node(nodes[0]) if nodes else None

    @field("The evaluation run, if recorded.")
    async def generated_by(self, info: Info) -> Run | None:
        nodes = await info.context.loaders.related.load((self.id, EdgeType.GENERATED_BY))
        return Run.from_node(nodes[0]) if nodes else None


register(NodeKind.EVALUATION, Evaluation.from_node)
