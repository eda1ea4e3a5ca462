"""The domain operations behind every mutation and query: validation, ref resolution,
edge-kind rules, then one atomic store call. Shared by the service and the workers."""

from __future__ import annotations

import asyncio
import copy
import random
from dataclasses import dataclass
from typing import Any, Sequence

from provgraph import lifecycle, metrics, refs, validate
from provgraph.errors import BadInput, Conflict, NotFound
from provgraph.graph import GraphStore
from provgraph.graph import hops as hop_pages
from provgraph.ids import new_id, utcnow
from provgraph.checks import BAD
from provgraph.lifecycle import Action, ModelEvent, Planner
from provgraph.digest import manifest_digest
from provgraph.visibility import EVERYTHING, ReadScope
from provgraph.model import (
    EDGE_RULES,
    Direction,
    Edge,
    EdgeSpec,
    EdgeType,
    FileRef,
    Hop,
    HopRef,
    ModelStatus,
    NewNode,
    Node,
    NodeKind,
    Page,
    PathDirection,
    RunStatus,
    Subgraph,
)

FileInput = tuple[str, str, int, str | None]  # path, digest, size, role
LIFECYCLE_RETRIES = 100  # optimistic attempts of one lifecycle change under contention
REF_KINDS = (NodeKind.DATASET, NodeKind.MODEL)


@dataclass(frozen=True)
class Limits:
    max_json_bytes: int = 1024 * 1024
    max_files: int = 1_000_000


class Registry:
    """Validated, atomic writes and ref-aware reads over one ``GraphStore``."""

    def __init__(self, graph: GraphStore, limits: Limits = Limits(), webhooks: Sequence[str] = ()) -> None:
        self.graph = graph
        self.limits = limits
        self.webhooks = tuple(webhooks)
        self.reads: ReadScope = EVERYTHING

    def reading_as(self, reads: ReadScope) -> Registry:
        """This registry for a reader who sees only ``reads``: everything it resolves,
        traverses or lists stops at the other projects (``provgraph.visibility``)."""
        scoped = copy.copy(self)
        scoped.reads = reads
        return scoped

    # -- resolution -----------------------------------------------------------------

    async def resolve(self, value: str, default_project: str = "default") -> Node:
        """The node an id or ref names; ``NotFound`` / ``BadInput`` (ambiguous) otherwise.
        A node the reader may not read is ``NotFound`` as if it did not exist."""
        node_id = refs.node_id_of(value)
        if node_id is not None:
            found = await self.graph.get_nodes([node_id])
            if node_id not in found or not await self.visible(found[node_id]):
                raise NotFound(f"no node with id {value!r}")
            return found[node_id]
        ref = refs.parse(value)
        project = ref.project or default_project
        matches = await self.graph.find_versions(REF_KINDS, project, ref.name, ref.selector) \
            if self.reads.reads(project) else []
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
        lifecycle.check_initial(status)
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

    # -- registry lifecycle (provgraph.lifecycle) -----------------------------------

    async def set_model_status(self, model: str, status: ModelStatus, note: str | None = None,
                               actor: str = "anonymous") -> Node:
        """Move a version along the lifecycle (not into DEPLOYED: that is ``deploy``)."""
        lifecycle.check_note(note)
        if status is ModelStatus.DEPLOYED:
            raise BadInput("DEPLOYED is entered by deploying a version (deployModel), not by setModelStatus")

        async def plan(node: Node, planner: Planner) -> lifecycle.LifecyclePlan | None:
            if lifecycle.status_of(node) is status:
                return None
            if where := lifecycle.deployed_in(node):
                raise Conflict(f"model {lifecycle.ref_of(node)} is deployed in {', '.join(sorted(where))}: "
                               "deploy another version there or roll back first")
            lifecycle.check_transition(node, status)
            planner.status(node, status, note)
            return planner.plan()

        return await self._lifecycle(model, actor, plan)

    async def deploy(self, model: str, environment: str = lifecycle.DEFAULT_ENVIRONMENT, note: str | None = None,
                     force: bool = False, auto_deprecate: bool | None = None, actor: str = "anonymous") -> Node:
        """Put a version into ``environment``; the version it replaces there leaves it."""
        env, _ = validate.name(environment, "environment"), lifecycle.check_note(note)
        checked: set[str] = set()

        async def plan(node: Node, planner: Planner) -> lifecycle.LifecyclePlan | None:
            current = planner.state.deployments.get(env)
            if current is not None and current.model_id == node.id:
                return None  # already there: a retried deploy changes nothing
            lifecycle.check_transition(node, ModelStatus.DEPLOYED)
            if node.id not in checked:
                await self._check_integrity(node, force)
                checked.add(node.id)
            replaced = await self._model_by_id(current.model_id) if current else None
            auto = planner.state.auto_deprecate if auto_deprecate is None else auto_deprecate
            row = planner.deploy(node, env, replaced, Action.DEPLOY, note, force, current.model_id if current else None, auto)
            return planner.plan({env: row})

        return await self._lifecycle(model, actor, plan)

    async def rollback(self, name: str, project: str = "default", environment: str = lifecycle.DEFAULT_ENVIRONMENT,
                       to: str | None = None, note: str | None = None, force: bool = False,
                       actor: str = "anonymous") -> Node:
        """Deploy again, in ``environment``, the version deployed there before the current
        one (or ``to``, a version deployed there before); returns the version now deployed."""
        project, name = self._line(name, project)
        env, _ = validate.name(environment, "environment"), lifecycle.check_note(note)
        if not self.reads.reads(project):
            raise NotFound(f"no model {project}/{name}")
        checked: set[str] = set()

        async def plan(_: Node, planner: Planner) -> lifecycle.LifecyclePlan | None:
            current = planner.state.deployments.get(env)
            if current is None:
                raise Conflict(f"nothing of model {project}/{name} is deployed in {env}: nothing to roll back")
            if to is not None:
                target = await self._node(to, NodeKind.MODEL, project)
                if (target.project, target.name) != (project, name):
                    raise BadInput(f"{to!r} is not a version of model {project}/{name}")
            elif current.previous is None:
                raise Conflict(f"model {project}/{name} has no earlier deployment in {env} to roll back to")
            else:
                target = await self._model_by_id(current.previous)
            if target.id == current.model_id:
                raise Conflict(f"model {lifecycle.ref_of(target)} is what {env} runs already")
            earlier = await self.graph.model_events(project, name, target.id, env, lifecycle.DEPLOY_ACTIONS, 1)
            if not earlier.items:
                raise BadInput(f"model {lifecycle.ref_of(target)} was never deployed in {env}: deploy it with deployModel")
            lifecycle.check_transition(target, ModelStatus.DEPLOYED)
            if target.id not in checked:
                await self._check_integrity(target, force)
                checked.add(target.id)
            replaced = await self._model_by_id(current.model_id)
            row = planner.deploy(target, env, replaced, Action.ROLLBACK, note, force, earlier.items[0].previous,
                                 planner.state.auto_deprecate)
            planner.result = target
            return planner.plan({env: row})

        line = await self.graph.find_versions([NodeKind.MODEL], project, name, "latest")
        if not line:
            raise NotFound(f"no model {project}/{name}")
        return await self._lifecycle(line[0].id, actor, plan)

    async def line_state(self, name: str, project: str = "default") -> lifecycle.LineState:
        """A model line's settings and deployments; ``NotFound`` when it has no version."""
        project, name = self._line(name, project)
        if not self.reads.reads(project) or not await self.graph.find_versions([NodeKind.MODEL], project, name, "latest"):
            raise NotFound(f"no model {project}/{name}")
        return await self.graph.lifecycle_state(project, name)

    async def configure_model(self, name: str, project: str = "default", auto_deprecate: bool | None = None) -> lifecycle.LineState:
        """Settings of a model line (``autoDeprecate``)."""
        await self.line_state(name, project)
        project, name = self._line(name, project)
        for _ in range(LIFECYCLE_RETRIES):
            state = await self.graph.lifecycle_state(project, name)
            if auto_deprecate is None or state.auto_deprecate == auto_deprecate:
                return state
            if await self.graph.apply_lifecycle(lifecycle.LifecyclePlan(project, name, state.revision,
                                                                         auto_deprecate=auto_deprecate)):
                return await self.graph.lifecycle_state(project, name)
        raise Conflict(f"model {project}/{name} kept changing under concurrent writes; retry")

    async def deployments(self, name: str, project: str = "default", environment: str | None = None,
                          first: int = 50, after: str | None = None) -> Page[ModelEvent]:
        """Deploys and rollbacks of a model line (in one environment), newest first."""
        project, name = self._line(name, project)
        env = validate.name(environment, "environment") if environment is not None else None
        if not self.reads.reads(project):
            return Page([], False, None)  # like a model that was never deployed
        return await self.graph.model_events(project, name, None, env, lifecycle.DEPLOY_ACTIONS,
                                             validate.page_size(first), self._event_cursor(after))

    async def history(self, project: str, name: str, model_id: str, first: int = 50,
                      after: str | None = None) -> Page[ModelEvent]:
        """Every lifecycle event of one version, newest first."""
        return await self.graph.model_events(project, name, model_id, None, None,
                                             validate.page_size(first), self._event_cursor(after))

    async def _lifecycle(self, model: str, actor: str, plan: Any) -> Node:
        """Plan against the line's current state and apply; plan again when a concurrent
        change got there first. ``plan`` returns None when there is nothing to do."""
        for attempt in range(LIFECYCLE_RETRIES):
            node = await self._node(model, NodeKind.MODEL)
            state = await self.graph.lifecycle_state(node.project, node.name)
            planner = Planner(state, utcnow(), actor, self.webhooks)
            changes = await plan(node, planner)
            if changes is None:
                return node
            if await self.graph.apply_lifecycle(changes):
                return await self._model_by_id((planner.result or node).id)
            await asyncio.sleep(random.uniform(0, 0.002 * (attempt + 1)))
        raise Conflict(f"model {model!r} kept changing under concurrent writes; retry")

    async def _check_integrity(self, node: Node, force: bool) -> None:
        """``Conflict`` when a blob of ``node`` or anywhere upstream is CORRUPT or MISSING."""
        if force:
            return
        hops = await self.graph.traverse([node.id], Direction.UPSTREAM, None, [NodeKind.BLOB])
        bad = sorted((h for h in hops if h.node.props.get("status") in {s.value for s in BAD}),
                     key=lambda h: (h.depth, h.node.id))
        if bad:
            nearest = bad[0]
            raise Conflict(
                f"model {lifecycle.ref_of(node)} has {len(bad)} corrupt or missing blob(s) in its lineage "
                f"(nearest: sha256:{nearest.node.name.removeprefix('sha256:')} {nearest.node.props.get('status')}, {nearest.depth} hop(s) up); "
                "re-upload or verify them, or deploy with force"
            )

    async def _model_by_id(self, node_id: str) -> Node:
        found = await self.graph.get_nodes([node_id])
        if node_id not in found:
            raise NotFound(f"no model with id {node_id!r}")
        return found[node_id]

    @staticmethod
    def _line(name: str, project: str) -> tuple[str, str]:
        """A model line named ``name`` or ``project/name``."""
        if "/" in name:
            project, _, name = name.partition("/")
        return validate.name(project, "project"), validate.name(name)

    @staticmethod
    def _event_cursor(after: str | None) -> int | None:
        if after is None:
            return None
        if not after.isdigit():
            raise BadInput(f"invalid cursor {after!r}")
        return int(after)

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
        if self.reads.everything:
            return await self.graph.traverse([start.id], direction, max_depth, kinds)
        walked = await self.graph.lineage(start.id, direction, max_depth)
        return self.reads.hops(walked, start.id, direction, max_depth, kinds)

    async def traverse_refs(
        self, id: str, direction: Direction, max_depth: int | None, kinds: Sequence[NodeKind] | None = None
    ) -> list[HopRef]:
        """``traverse``'s hops as ids and kinds only (the store decodes no node)."""
        validate.depth(max_depth)
        if self.reads.everything:
            start = await self.resolve(id)
            return await self.graph.traverse_ids([start.id], direction, max_depth, kinds)
        return [HopRef(h.node.id, h.node.kind, h.depth) for h in await self.traverse(id, direction, max_depth, kinds)]

    async def traverse_page(
        self, id: str, direction: Direction, max_depth: int | None, kinds: Sequence[NodeKind] | None,
        first: int, after: str | None,
    ) -> Page[Hop]:
        """One page of ``traverse``'s hops (by depth, then id) after the hop cursor
        ``after``; the store reads only the page's nodes."""
        validate.depth(max_depth)
        size, cursor = hop_pages.page_size(first), hop_pages.parse_cursor(after)
        start = await self.resolve(id)
        if self.reads.everything:
            page = await self.graph.traverse_page([start.id], direction, max_depth, kinds, None, size, after)
            found = await self.graph.get_nodes([ref.id for ref in page.items])
            return Page([Hop(found[ref.id], ref.depth) for ref in page.items if ref.id in found],
                        page.has_next, page.end_cursor)
        walked = await self.graph.lineage(start.id, direction, max_depth)
        readable = self.reads.hops(walked, start.id, direction, max_depth, kinds)
        refs = hop_pages.page_after([HopRef(h.node.id, h.node.kind, h.depth) for h in readable], size, cursor)
        by_id = {h.node.id: h for h in readable}
        return Page([by_id[ref.id] for ref in refs.items], refs.has_next, refs.end_cursor)

    async def lineage(self, id: str, direction: Direction, max_depth: int | None) -> Subgraph:
        validate.depth(max_depth)
        start = await self.resolve(id)
        walked = await self.graph.lineage(start.id, direction, max_depth)
        return walked if self.reads.everything else self.reads.lineage(walked, start.id, direction, max_depth)

    async def path(self, source: str, target: str, direction: PathDirection = PathDirection.ANY) -> Subgraph | None:
        a, b = await self.resolve(source), await self.resolve(target)
        if self.reads.everything:
            return await self.graph.path(a.id, b.id, direction)
        for way in direction.walks():
            found = self.reads.path(await self.graph.lineage(a.id, way, None), a.id, b.id, way)
            if found is not None:
                return found
        return None

    async def visible(self, node: Node) -> bool:
        """Whether the reader may read ``node`` (a blob: whether it is a file of a node
        the reader may read)."""
        if self.reads.everything:
            return True
        if node.kind is NodeKind.BLOB:
            return self.reads.sees_blob(await self.graph.blob_projects(node.id))
        return self.reads.reads(node.project)

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
