"""``Run``: one execution (training, fine-tuning, evaluation, data processing)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from provgraph import model
from provgraph.model import EdgeType, NodeKind, RunStatus
from provgraph.schema.connection import DEFAULT_FILES_PAGE
from provgraph.schema.context import Info
from provgraph.schema.fields import field
from provgraph.schema.integrity import ArtifactIntegrity, artifact_integrity
from provgraph.schema.files import File, file_list
from provgraph.schema.metrics import MetricHistory, MetricSummary, history_page_size
from provgraph.schema.nodes import NodeType, base_fields, parse_time, register, to_gql
from provgraph.schema.scalars import JSON, json_of


@strawberry.type(description="An input of a run (a `USED` edge) and its role.")
class RunInput:
    node: NodeType
    role: str | None


@strawberry.type(description="An execution: training, fine-tuning, evaluation, data processing.")
class Run(NodeType):
    run_kind: str = strawberry.field(description="training, evaluation, processing, …")
    status: RunStatus
    params: JSON
    metrics: JSON
    provenance: JSON = strawberry.field(description="Captured at start: git, environment, GPUs.")
    started_at: datetime | None
    ended_at: datetime | None
    duration_s: float | None
    error: str | None
    seeds: JSON = strawberry.field(description="Random seeds the run recorded (`updateRun`).")
    notes: str | None
    stale: bool = strawberry.field(description="RUNNING past PROVGRAPH_STUCK_RUN_HOURS, marked by a worker.")
    stale_note: str | None

    @classmethod
    def from_node(cls, node: model.Node) -> Run:
        props = node.props
        return cls(
            **base_fields(node),
            run_kind=str(props.get("run_kind", "training")),
            status=RunStatus(props.get("status", RunStatus.RUNNING.value)),
            params=json_of(props.get("params")),
            metrics=json_of(props.get("metrics")),
            provenance=json_of(props.get("provenance")),
            started_at=parse_time(props.get("started_at")),
            ended_at=parse_time(props.get("ended_at")),
            duration_s=props.get("duration_s"),
            error=props.get("error"),
            seeds=json_of(props.get("seeds")),
            notes=props.get("notes"),
            stale=bool(props.get("stale", False)),
            stale_note=props.get("stale_note") if props.get("stale") else None,
        )

    @field("Datasets, models and blobs the run used, with their roles.")
    async def inputs(self, info: Info) -> list[RunInput]:
        graph = await info.context.loaders.upstream.load(self.id)
        nodes = {n.id: n for n in graph.nodes}
        return [
            RunInput(node=to_gql(nodes[e.target]), role=e.role)
            for e in graph.edges
            if e.type is EdgeType.USED and e.source == self.id
        ]

    @field("Integrity of its files and of everything upstream (batched per request).")
    async def integrity(self, info: Info) -> ArtifactIntegrity:
        return await artifact_integrity(info, self.id)

    @field("Files of the run (logs, patches), by path.")
    async def files(self, info: Info, first: int | None = DEFAULT_FILES_PAGE) -> list[File]:
        return await file_list(info, self.id, first)

    @field("Every logged value of one metric, by step; `first` is 1..10000, `after` an endCursor.")
    async def metric_history(
        self, info: Info, key: str, first: int | None = 1000, after: str | None = None
    ) -> MetricHistory:
        page = await info.context.graph.metric_history(self.id, key, history_page_size(first), after)
        return MetricHistory.from_page(page)

    @field("Each logged metric in brief: count, last value, min/max and their steps.")
    async def metric_summary(self, info: Info) -> list[MetricSummary]:
        return [MetricSummary.from_summary(s) for s in await info.context.graph.metric_summary(self.id)]


register(NodeKind.RUN, Run.from_node)
