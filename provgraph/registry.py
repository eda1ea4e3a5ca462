"""The domain operations behind every mutation and query: validation, ref resolution,
edge-kind rules, then one atomic store call. Shared by the service and the workers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from provgraph import metrics, refs, validate
from provgraph.errors import BadInput, Conflict, NotFound
from provgraph.graph import GraphStore
from provgraph.ids import new_id, utcnow
from provgraph.digest import manifest_digest
from provgraph.model import (
    EDGE_RULES,
    Direction,
    Edge,
    EdgeSpec,
    EdgeType,
    FileRef,
    Hop,
    ModelStatus,
    NewNode,
    Node,
    NodeKind,
    PathDirection,
    RunStatus,
    Subgraph,
)

FileInput = tuple[str, str, int, str | None]  # path, digest, size, role
REF_KINDS = (NodeKind.DATASET, NodeKind.MODEL)


@dataclass(frozen=True)
class Limits:
    max_json_bytes: int = 1024 * 1024
    max_files: int = 1_000_000


class Registry:
    """Validated, atomic writes and ref-aware reads over one ``GraphStore``."""

    def __init__(self, graph: GraphStore, limits: Limits = Limits()) -> None:
        self.graph = graph
        self.limits = limits

    # -- resolution -----------------------------------------------------------------

    async def resolve(self, value: str, default_project: str = "default") -> Node:
        """The node an id or ref names; ``NotFound`` / ``BadInput`` (ambiguous) otherwise."""
        node_id = refs.node_id_of(value)
        if node_id is not None:
            found = await self.graph.get_nodes([node_id])
            if node_id not in found:
                raise NotFound(f"no node with id {value!r}")
            return found[node_id]
        ref = refs.parse(value)
        matches = await self.graph.find_versions(
            REF_KINDS, ref.project or default_project, ref.name, ref.selector
        )
        if not matches:
            raise NotFound(f"no dataset or model matches ref {value!r}")
        if len(matches) > 1:
            kinds = ", ".join(sorted(n.kind.value.lower() for n in matches))
            raise BadInput(f"ref {value!r} is ambiguous ({kinds}); use the node id instead")
        return matches[0]

    # -- writes ---------------------------------------------------------------------

    async def register_dataset(
        self,
        name: str,
        files: Sequence[FileInput],
        project: str = "default",
        version: str | None = None,
        stats: Any = None,
        metadata: Any = None,
        tags: Sequence[str] | None = None,
        derived_from: Sequence[str] | None = None,
        run: str | None = None,
        source: str | None = None,
        id: str | None = None,
    ) -> Node:
        refs_ = self._files(files)
        edges = await self._edges(NodeKind.DATASET, EdgeType.DERIVED_FROM, derived_from or (), project)
        if run is not None:
            edges += await self._edges(NodeKind.DATASET, EdgeType.GENERATED_BY, [run], project)
        props = {
            "manifest_digest": manifest_digest((f.path, f.digest.hex) for f in refs_).hex,
            "file_count": len(refs_),
            "total_bytes": sum(f.size for f in refs_),
            "stats": self._json(stats, "stats"),
            "source": source,
        }
        if version is None and id is None:
            # Like W&B artifacts and DVC: the same files again are the same version.
            latest = await self.graph.find_versions([NodeKind.DATASET], project, name, "latest")
            if latest and latest[0].props.get("manifest_digest") == props["manifest_digest"]:
                return latest[0]
        return await self._create(NodeKind.DATASET, project, name, version, id, tags, metadata, props, edges, refs_)

    async def start_run(
        self,
        name: str,
        project: str = "default",
        kind: str | None = None,
        params: Any = None,
        inputs: Sequence[tuple[str, str | None]] = (),
        provenance: Any = None,
        tags: Sequence[str] | None = None,
        metadata: Any = None,
        files: Sequence[FileInput] = (),
        id: str | None = None,
    ) -> Node:
        edges: list[EdgeSpec] = []
        for target, role in inputs:
            if role is not None:
                validate.name(role, "input role")
            edges += await self._edges(NodeKind.RUN, EdgeType.USED, [target], project, role)
        props = {
            "run_kind": validate.name(kind, "run kind") if kind else "training",
            "status": RunStatus.RUNNING.value,
            "params": self._json(params, "params"),
            "provenance": self._json(provenance, "provenance"),
            "metrics": {},
            "started_at": utcnow().isoformat(),
            "ended_at": None,
            "error": None,
        }
        return await self._create(NodeKind.RUN, project, name, None, id, tags, metadata, props, edges, self._files(files))

    async def finish_run(self, id: str, status: RunStatus, metrics: Any = None, error: str | None = None) -> Node:
        run = await self._node(id, NodeKind.RUN)
        checked = validate.metrics(metrics, self.limits.max_json_bytes)
        if status is RunStatus.RUNNING:
            raise BadInput("finishRun needs status COMPLETED or FAILED, not RUNNING")
        if run.props.get("status") != RunStatus.RUNNING.value:
            if run.props.get("status") == status.value:
                return run  # a retried finish changes nothing
            raise Conflict(f"run {run.id} already finished as {run.props.get('status')}")
        if error is not None and len(error) > 10_000:
            raise BadInput(f"error message is {len(error)} characters; the limit is 10000")
        ended = utcnow()
        started = run.props.get("started_at")
        duration = (ended - run.created_at).total_seconds() if started else None
        return await self.graph.update_props(run.id, NodeKind.RUN, {
            "status": status.value,
            "metrics": {**run.props.get("metrics", {}), **checked},
            "ended_at": ended.isoformat(),
            "duration_s": duration,
            "error": error,
            **({"stale": False} if run.props.get("stale") else {}),  # a worker's stuck-run mark
        })

    async def update_run(self, id: str, params: Any = None, seeds: Any = None, notes: str | None = None) -> Node:
        """Merge params and seeds logged during a run into it, and set its notes."""
        run = await self._node(id, NodeKind.RUN)
        if notes is not None and len(notes) > 100_000:
            raise BadInput(f"notes are {len(notes)} characters; the limit is 100000")
        changes: dict[str, Any] = {k: {**run.props.get(k, {}), **self._json(v, k)}
                                   for k, v in (("params", params), ("seeds", seeds)) if v is not None}
        return await self.graph.update_props(run.id, NodeKind.RUN, changes if notes is None else {**changes, "notes": notes})

    async def register_model(
        self,
        name: str,
        project: str = "default",
        version: str | None = None,
        run: str | None = None,
        parents: Sequence[str] | None = None,
        files: Sequence[FileInput] = (),
        metrics: Any = None,
        tags: Sequence[str] | None = None,
        metadata: Any = None,
        status: ModelStatus = ModelStatus.COMPLETED,
        description: str | None = None,
        id: str | None = None,
    ) -> Node:
        edges = await self._edges(NodeKind.MODEL, EdgeType.DERIVED_FROM, parents or (), project)
        if run is not None:
            edges += await self._edges(NodeKind.MODEL, EdgeType.GENERATED_BY, [run], project)
        props: dict[str, Any] = {
            "status": status.value,
            "aliases": [],
            "metrics": validate.metrics(metrics, self.limits.max_json_bytes),
            "description": description,
        }
        return await self._create(NodeKind.MODEL, project, name, version, id, tags, metadata, props, edges, self._files(files))

    async def record_evaluation(
        self,
        model: str,
        metrics: Any,
        dataset: str | None = None,
        run: str | None = None,
        project: str = "default",
        params: Any = None,
        files: Sequence[FileInput] = (),
        name: str | None = None,
        tags: Sequence[str] | None = None,
        metadata: Any = None,
        id: str | None = None,
    ) -> Node:
        if metrics is None:
            raise BadInput("recordEvaluation needs metrics")
        evaluated = await self._node(model, NodeKind.MODEL, project)
        edges = [EdgeSpec(EdgeType.EVALUATES, evaluated.id)]
        if dataset is not None:
            edges += await self._edges(NodeKind.EVALUATION, EdgeType.ON, [dataset], project)
        if run is not None:
            edges += await self._edges(NodeKind.EVALUATION, EdgeType.GENERATED_BY, [run], project)
        props = {
            "metrics": validate.metrics(metrics, self.limits.max_json_bytes),
            "params": self._json(params, "params"),
        }
        label = name or f"{evaluated.name}-{evaluated.version}-eval"
        return await self._create(NodeKind.EVALUATION, project, label, None, id, tags, metadata, props, edges, self._files(files))

    async def link(self, source: str, type: EdgeType, target: str, role: str | None = None) -> Edge:
        """Add a derivation edge between existing nodes (refused with ``CYCLE`` when it
        would close a cycle)."""
        if type is EdgeType.HAS_FILE:
            raise BadInput("HAS_FILE edges are made by registering files, not by link")
        src = await self.resolve(source)
        spec = (await self._edges(src.kind, type, [target], src.project, role))[0]
        return await self.graph.add_edge(src.id, spec)

    async def set_alias(self, model: str, alias: str) -> Node:
        node = await self._node(model, NodeKind.MODEL)
        return await self.graph.set_alias(node.id, validate.name(alias, "alias"))

    async def set_model_status(self, model: str, status: ModelStatus) -> Node:
        node = await self._node(model, NodeKind.MODEL)
        return await self.graph.update_props(node.id, NodeKind.MODEL, {"status": status.value})

    async def log_metrics(self, run: str, points: Sequence[metrics.MetricPoint], batch: str | None = None) -> int:
        """Append points to a run's metric history; a replayed ``batch`` writes nothing."""
        node = await self._node(run, NodeKind.RUN)
        checked = metrics.check_points(points)
        return await self.graph.append_metrics(node.id, metrics.check_batch(batch) if batch else new_id(), checked)

    # -- reads ----------------------------------------------------------------------

    async def traverse(
        self, id: str, direction: Direction, max_depth: int | None, kinds: Sequence[NodeKind] | None = None
    ) -> list[Hop]:
        validate.depth(max_depth)
        start = await self.resolve(id)
        return await self.graph.traverse([start.id], direction, max_depth, kinds)

    async def lineage(self, id: str, direction: Direction, max_depth: int | None) -> Subgraph:
        validate.depth(max_depth)
        start = await self.resolve(id)
        return await self.graph.lineage(start.id, direction, max_depth)

    async def path(self, source: str, target: str, direction: PathDirection = PathDirection.ANY) -> Subgraph | None:
        a, b = await self.resolve(source), await self.resolve(target)
        return await self.graph.path(a.id, b.id, direction)

    # -- helpers --------------------------------------------------------------------

    async def _node(self, ref: str, kind: NodeKind, project: str = "default") -> Node:
        node = await self.resolve(ref, project)
        if node.kind is not kind:
            raise BadInput(f"{ref!r} is a {node.kind.value.lower()}, expected a {kind.value.lower()}")
        return node

    async def _edges(
        self, source_kind: NodeKind, type: EdgeType, targets: Sequence[str], project: str,
        role: str | None = None,
    ) -> list[EdgeSpec]:
        """Edges to ``targets`` (ids or refs, resolved within ``project``), after checking
        that the edge type may join these kinds."""
        allowed_sources, allowed_targets = EDGE_RULES[type]
        if source_kind not in allowed_sources:
            raise BadInput(f"a {source_kind.value.lower()} cannot have a {type.value} edge")
        specs = []
        for target in targets:
            node = await self.resolve(target, project)
            if node.kind not in allowed_targets:
                wanted = " or ".join(sorted(k.value.lower() for k in allowed_targets))
                raise BadInput(f"{type.value} of a {source_kind.value.lower()} must point to a {wanted}; {target!r} is a {node.kind.value.lower()}")
            specs.append(EdgeSpec(type, node.id, role))
        return specs

    def _files(self, files: Sequence[FileInput]) -> tuple[FileRef, ...]:
        return validate.files(files, self.limits.max_files)

    def _json(self, value: Any, what: str) -> dict[str, Any]:
        return validate.json_object(value, what, self.limits.max_json_bytes)

    async def _create(
        self,
        kind: NodeKind,
        project: str,
        name: str,
        version: str | None,
        id: str | None,
        tags: Sequence[str] | None,
        metadata: Any,
        props: dict[str, Any],
        edges: Sequence[EdgeSpec],
        files: tuple[FileRef, ...],
    ) -> Node:
        if id is not None and refs.node_id_of(id) is None:
            raise BadInput(f"invalid id {id!r}: client-chosen ids are ULIDs")
        spec = NewNode(
            kind=kind,
            project=validate.name(project, "project"),
            name=validate.name(name),
            version=validate.version(version),
            id=id,
            tags=validate.tags(tags),
            metadata=self._json(metadata, "metadata"),
            props=props,
            edges=tuple(edges),
            files=files,
        )
        return await self.graph.create_node(spec)
