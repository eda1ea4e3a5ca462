"""The ``Mutation`` root: each field checks write access, then makes one ``Registry`` call.

Every ``ID`` argument takes an id or a ref. A client-chosen ``id`` (ULID) on a create makes
a retry return the node the first attempt created.
"""

from __future__ import annotations

import strawberry

from provgraph import lifecycle
from provgraph.metrics import points_from_series
from provgraph.model import EdgeType, ModelStatus, RunStatus
from provgraph.model import Node as DomainNode
from provgraph.schema.context import Info
from provgraph.schema.dataset import Dataset
from provgraph.schema.evaluation import Evaluation
from provgraph.schema.fields import mutation
from provgraph.schema.files import FileInput, file_tuples
from provgraph.schema.lifecycle import ModelSettings
from provgraph.schema.lineage import GraphEdge
from provgraph.schema.metrics import MetricPointInput
from provgraph.schema.model import Model
from provgraph.schema.run import Run
from provgraph.schema.scalars import JSON
from provgraph.schema.verify import VerifyResult, verify_ref

DEFAULT_PROJECT = "default"


@strawberry.input(description="An input of a run: an id or ref, and its role (train, val, …).")
class RunInputRef:
    id: strawberry.ID
    role: str | None = None


async def _writable(info: Info, ref: str) -> DomainNode:
    """The node ``ref`` names, once the caller may write its project."""
    node = await info.context.registry.resolve(ref)
    info.context.check_write(node.project)
    return node


def _actor(info: Info) -> str:
    return info.context.principal.token_hint


def _project(info: Info, project: str | None) -> str:
    chosen = project or DEFAULT_PROJECT
    info.context.check_write(chosen)
    return chosen


@strawberry.type
class Mutation:
    @mutation("Record a dataset version and its manifest.")
    async def register_dataset(
        self, info: Info, name: str, files: list[FileInput], project: str | None = DEFAULT_PROJECT,
        version: str | None = None, stats: JSON | None = None, metadata: JSON | None = None,
        tags: list[str] | None = None, derived_from: list[strawberry.ID] | None = None,
        run: strawberry.ID | None = None, source: str | None = None, id: strawberry.ID | None = None,
    ) -> Dataset:
        node = await info.context.registry.register_dataset(
            name, file_tuples(files), _project(info, project), version, stats, metadata, tags,
            derived_from, run, source, id,
        )
        return Dataset.from_node(node)

    @mutation("Start a run (status RUNNING) with its inputs and provenance.")
    async def start_run(
        self, info: Info, name: str, project: str | None = DEFAULT_PROJECT, kind: str | None = None,
        params: JSON | None = None, inputs: list[RunInputRef] | None = None, provenance: JSON | None = None,
        tags: list[str] | None = None, metadata: JSON | None = None, files: list[FileInput] | None = None,
        id: strawberry.ID | None = None,
    ) -> Run:
        node = await info.context.registry.start_run(
            name, _project(info, project), kind, params, [(i.id, i.role) for i in inputs or ()],
            provenance, tags, metadata, file_tuples(files), id,
        )
        return Run.from_node(node)

    @mutation("Finish a run as COMPLETED or FAILED (a retry is a no-op).")
    async def finish_run(
        self, info: Info, id: strawberry.ID, status: RunStatus, metrics: JSON | None = None,
        error: str | None = None,
    ) -> Run:
        run = await _writable(info, id)
        return Run.from_node(await info.context.registry.finish_run(run.id, status, metrics, error))

    @mutation("Append points to a run's metric history; a replayed `batch` (ULID) writes nothing.")
    async def log_metrics(
        self, info: Info, run: strawberry.ID, points: list[MetricPointInput], batch: strawberry.ID | None = None
    ) -> int:
        node = await _writable(info, run)
        return await info.context.registry.log_metrics(node.id, [p.to_point() for p in points], batch)

    @mutation(
        "`logMetrics` in columnar form, much cheaper for big batches: "
        '`series` is {key: {steps: [Long], values: [Float], timestamps: [Float]?}}.'
    )
    async def log_metric_series(
        self, info: Info, run: strawberry.ID, series: JSON, batch: strawberry.ID | None = None
    ) -> int:
        node = await _writable(info, run)
        return await info.context.registry.log_metrics(node.id, points_from_series(series), batch)

    @mutation("Merge params and seeds logged during a run into it; set its notes.")
    async def update_run(
        self, info: Info, id: strawberry.ID, params: JSON | None = None, seeds: JSON | None = None,
        notes: str | None = None,
    ) -> Run:
        run = await _writable(info, id)
        return Run.from_node(await info.context.registry.update_run(run.id, params, seeds, notes))

    @mutation("Register a model version (v1, v2, … unless `version` is given).")
    async def register_model(
        self, info: Info, name: str, project: str | None = DEFAULT_PROJECT, version: str | None = None,
        run: strawberry.ID | None = None, parents: list[strawberry.ID] | None = None,
        files: list[FileInput] | None = None, metrics: JSON | None = None, tags: list[str] | None = None,
        metadata: JSON | None = None, status: ModelStatus | None = ModelStatus.COMPLETED,
        description: str | None = None, id: strawberry.ID | None = None,
    ) -> Model:
        node = await info.context.registry.register_model(
            name, _project(info, project), version, run, parents, file_tuples(files), metrics, tags,
            metadata, status or ModelStatus.COMPLETED, description, id,
        )
        return Model.from_node(node)

    @mutation("Record metrics of a model (on a dataset).")
    async def record_evaluation(
        self, info: Info, model: strawberry.ID, metrics: JSON, dataset: strawberry.ID | None = None,
        run: strawberry.ID | None = None, project: str | None = DEFAULT_PROJECT, params: JSON | None = None,
        files: list[FileInput] | None = None, name: str | None = None, tags: list[str] | None = None,
        metadata: JSON | None = None, id: strawberry.ID | None = None,
    ) -> Evaluation:
        node = await info.context.registry.record_evaluation(
            model, metrics, dataset, run, _project(info, project), params, file_tuples(files), name,
            tags, metadata, id,
        )
        return Evaluation.from_node(node)

    @mutation("Add an edge from `source` to `target` (CYCLE if it would close one).")
    async def link(
        self, info: Info, source: strawberry.ID, target: strawberry.ID, type: EdgeType, role: str | None = None
    ) -> GraphEdge:
        node = await _writable(info, source)
        return GraphEdge.from_edge(await info.context.registry.link(node.id, type, target, role))

    @mutation("Point an alias (e.g. production) at this model version.")
    async def set_alias(self, info: Info, model: strawberry.ID, alias: str) -> Model:
        node = await _writable(info, model)
        return Model.from_node(await info.context.registry.set_alias(node.id, alias))

    @mutation(
        "Move a model version along its lifecycle: DRAFT → TRAINING | COMPLETED | ARCHIVED; "
        "TRAINING → DRAFT | COMPLETED | ARCHIVED; COMPLETED → DEPRECATED | ARCHIVED; "
        "DEPRECATED → COMPLETED | ARCHIVED; ARCHIVED is final. DEPLOYED is entered with "
        "`deployModel` and left when another version replaces it. Any other move is a CONFLICT "
        "and writes nothing; each change is an event in `Model.history`."
    )
    async def set_model_status(self, info: Info, model: strawberry.ID, status: ModelStatus,
                               note: str | None = None) -> Model:
        node = await _writable(info, model)
        return Model.from_node(await info.context.registry.set_model_status(node.id, status, note, _actor(info)))

    @mutation(
        "Deploy a version (COMPLETED, DEPRECATED or already DEPLOYED elsewhere) into `environment`. "
        "The version it replaces there leaves it and, once it runs nowhere, becomes DEPRECATED "
        "(COMPLETED when `autoDeprecate` is off: this call's value, else the model's setting). "
        "Refused (CONFLICT) when a blob of it or upstream is CORRUPT or MISSING, unless `force` "
        "(recorded). Deploying what already runs there is a no-op."
    )
    async def deploy_model(self, info: Info, model: strawberry.ID, environment: str = lifecycle.DEFAULT_ENVIRONMENT,
                           note: str | None = None, force: bool = False, auto_deprecate: bool | None = None) -> Model:
        node = await _writable(info, model)
        return Model.from_node(await info.context.registry.deploy(
            node.id, environment, note, force, auto_deprecate, _actor(info)))

    @mutation(
        "Deploy again in `environment` the version that ran there before the current one (`to`: "
        "any version deployed there before). Repeated rollbacks walk further back. Returns the "
        "version now deployed; the same integrity rule and `force` as `deployModel`."
    )
    async def rollback_model(self, info: Info, name: str, project: str | None = DEFAULT_PROJECT,
                             environment: str = lifecycle.DEFAULT_ENVIRONMENT, to: strawberry.ID | None = None,
                             note: str | None = None, force: bool = False) -> Model:
        chosen = _project(info, name.partition("/")[0] if "/" in name else project)
        return Model.from_node(await info.context.registry.rollback(
            name, chosen, environment, to, note, force, _actor(info)))

    @mutation("Settings of a model, every version: `autoDeprecate` (null leaves it as is).")
    async def configure_model(self, info: Info, name: str, project: str | None = DEFAULT_PROJECT,
                              auto_deprecate: bool | None = None) -> ModelSettings:
        chosen = _project(info, name.partition("/")[0] if "/" in name else project)
        return ModelSettings.from_state(await info.context.registry.configure_model(name, chosen, auto_deprecate))

    @mutation(
        "Check now the bytes of an artifact's files (a ref or id) or of one blob (a digest) "
        "against the registry, record the verdicts like a worker, and say what differs. "
        "`quick` checks existence and size only."
    )
    async def verify_artifact(self, info: Info, ref: str, quick: bool | None = False) -> VerifyResult:
        return await verify_ref(info.context, ref, bool(quick))
