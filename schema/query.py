"""The ``Query`` root: lookups, traversals, listings and the integrity report."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Callable, TypeVar

import strawberry

from provgraph.digest import Digest
from provgraph.errors import NotFound
from provgraph.model import Direction, ModelStatus, NodeFilter, NodeKind, Page, PathDirection, RunStatus
from provgraph.model import Node as DomainNode
from provgraph.schema.blob import Blob
from provgraph.schema.connection import DEFAULT_PAGE, Connection, connection, page_size
from provgraph.schema.context import Info
from provgraph.schema.dataset import Dataset
from provgraph.schema.evaluation import Evaluation
from provgraph.schema.fields import field
from provgraph.schema.integrity import IntegrityReport, integrity_report
from provgraph.schema.lifecycle import Deployment, ModelEvent, ModelSettings, deployments_of, event_connection
from provgraph.graph.hops import DEFAULT_PAGE as HOP_PAGE
from provgraph.schema.lineage import HopConnection, LineageGraph, LineageHop, asks_ids_only
from provgraph.schema.model import Model
from provgraph.schema.nodes import NodeType, to_gql
from provgraph.schema import run_search
from provgraph.schema.run import Run


T = TypeVar("T")


async def _listing(
    info: Info, kind: NodeKind, convert: Callable[[DomainNode], T], first: int | None, after: str | None,
    where: NodeFilter,
) -> Connection[T]:
    size = page_size(first, DEFAULT_PAGE)
    readable = info.context.reads.listing(where.project)
    if readable is not None and not readable:
        return connection(Page([], False, None), convert, lambda node: node.id)
    page = await info.context.graph.list_nodes(kind, replace(where, projects=readable), size, after)
    return connection(page, convert, lambda node: node.id)


async def _hops(
    info: Info, id: str, direction: Direction, max_depth: int | None, kinds: list[NodeKind] | None,
) -> list[LineageHop]:
    registry = info.context.registry
    if asks_ids_only(info):
        refs = await registry.traverse_refs(id, direction, max_depth, kinds)
        info.context.spend_traversal(len(refs))
        return [LineageHop.from_ref(r) for r in refs]
    hops = await registry.traverse(id, direction, max_depth, kinds)
    info.context.spend_traversal(len(hops))
    return [LineageHop.from_hop(h) for h in hops]


async def _hop_page(
    info: Info, id: str, direction: Direction, max_depth: int | None, kinds: list[NodeKind] | None,
    first: int | None, after: str | None,
) -> HopConnection:
    page = await info.context.registry.traverse_page(id, direction, max_depth, kinds,
                                                     HOP_PAGE if first is None else first, after)
    info.context.spend_traversal(len(page.items))
    return HopConnection.from_page(page)


@strawberry.type
class Query:
    @field("The node an id or ref names, or null when none does.")
    async def node(self, info: Info, id: strawberry.ID) -> NodeType | None:
        try:
            return to_gql(await info.context.registry.resolve(id))
        except NotFound:
            return None

    @field(
        '"name:v2", "project/name:v2", "name:latest", "name@alias", or an id; '
        "NOT_FOUND when nothing matches."
    )
    async def artifact(self, info: Info, ref: str) -> NodeType | None:
        return to_gql(await info.context.registry.resolve(ref))

    @field("Everything the node came from, each at its shortest depth.")
    async def ancestors(
        self, info: Info, id: strawberry.ID, max_depth: int | None = None, kinds: list[NodeKind] | None = None
    ) -> list[LineageHop]:
        return await _hops(info, id, Direction.UPSTREAM, max_depth, kinds)

    @field("Everything derived from the node (its impact), at shortest depths.")
    async def descendants(
        self, info: Info, id: strawberry.ID, max_depth: int | None = None, kinds: list[NodeKind] | None = None
    ) -> list[LineageHop]:
        return await _hops(info, id, Direction.DOWNSTREAM, max_depth, kinds)

    @field(
        "`ancestors` a page at a time (`first` 1..10000, default 1000; `after`: a previous page's "
        "`pageInfo.endCursor`), by depth then id: streams any number of hops."
    )
    async def ancestors_connection(
        self, info: Info, id: strawberry.ID, max_depth: int | None = None, kinds: list[NodeKind] | None = None,
        first: int | None = HOP_PAGE, after: str | None = None,
    ) -> HopConnection:
        return await _hop_page(info, id, Direction.UPSTREAM, max_depth, kinds, first, after)

    @field("`descendants` a page at a time, like `ancestorsConnection`.")
    async def descendants_connection(
        self, info: Info, id: strawberry.ID, max_depth: int | None = None, kinds: list[NodeKind] | None = None,
        first: int | None = HOP_PAGE, after: str | None = None,
    ) -> HopConnection:
        return await _hop_page(info, id, Direction.DOWNSTREAM, max_depth, kinds, first, after)

    @field(
        "The node and the nodes its walk reaches (BOTH: ancestors and descendants) within maxDepth, with "
        "every edge whose two ends are among them, including edges the walk did not take."
    )
    async def lineage(
        self,
        info: Info,
        id: strawberry.ID,
        direction: Direction | None = Direction.UPSTREAM,
        max_depth: int | None = None,
    ) -> LineageGraph:
        graph = await info.context.registry.lineage(id, direction or Direction.UPSTREAM, max_depth)
        info.context.spend_traversal(len(graph.nodes))
        return LineageGraph.from_subgraph(graph, stubs=asks_ids_only(info, "nodes"))

    @field(
        "A shortest path from source to target, or null: UPSTREAM when target is an ancestor, DOWNSTREAM "
        "when it is a descendant, ANY (default) either, upward first. The answer's direction says which."
    )
    async def path(
        self, info: Info, source: strawberry.ID, target: strawberry.ID,
        direction: PathDirection | None = PathDirection.ANY,
    ) -> LineageGraph | None:
        graph = await info.context.registry.path(source, target, direction or PathDirection.ANY)
        return None if graph is None else LineageGraph.from_subgraph(graph)

    @field("The blob of a digest (hex or sha256:hex), or null when unknown.")
    async def blob(self, info: Info, digest: str) -> Blob | None:
        node = await info.context.loaders.nodes.load(Digest.parse(digest).node_id)
        return None if node is None or not await info.context.registry.visible(node) else Blob.from_node(node)

    @field("Blob integrity: counts, bad blobs, and what they affect.")
    async def integrity_report(self, info: Info, project: str | None = None) -> IntegrityReport:
        return await integrity_report(info, project)

    @field("Datasets, newest first.")
    async def datasets(
        self, info: Info, first: int | None = DEFAULT_PAGE, after: str | None = None,
        project: str | None = None, name: str | None = None, tag: str | None = None,
    ) -> Connection[Dataset]:
        return await _listing(info, NodeKind.DATASET, Dataset.from_node, first, after, NodeFilter(project, name, tag))

    @field("Model versions, newest first.")
    async def models(
        self, info: Info, first: int | None = DEFAULT_PAGE, after: str | None = None,
        project: str | None = None, name: str | None = None, tag: str | None = None,
        status: ModelStatus | None = None,
    ) -> Connection[Model]:
        where = NodeFilter(project, name, tag, status.value if status else None)
        return await _listing(info, NodeKind.MODEL, Model.from_node, first, after, where)

    @field("Deploys and rollbacks of a model (`name` or `project/name`), in one environment or all, newest first.")
    async def deployments(
        self, info: Info, name: str, project: str | None = "default", environment: str | None = None,
        first: int | None = DEFAULT_PAGE, after: str | None = None,
    ) -> Connection[ModelEvent]:
        page = await info.context.registry.deployments(name, project or "default", environment,
                                                       page_size(first, DEFAULT_PAGE), after)
        return event_connection(page)

    @field("What each environment of a model (`name` or `project/name`) runs now, by environment.")
    async def deployed(self, info: Info, name: str, project: str | None = "default") -> list[Deployment]:
        return deployments_of(await info.context.registry.line_state(name, project or "default"))

    @field("Settings of a model (`name` or `project/name`) and what it runs where.")
    async def model_settings(self, info: Info, name: str, project: str | None = "default") -> ModelSettings:
        return ModelSettings.from_state(await info.context.registry.line_state(name, project or "default"))

    @field("Runs, newest first, or those a `filter` selects in `orderBy` order (README \"Search runs\").")
    async def runs(
        self, info: Info, first: int | None = DEFAULT_PAGE, after: str | None = None,
        project: str | None = None, name: str | None = None, tag: str | None = None,
        status: RunStatus | None = None,
        filter: Annotated[str | None, strawberry.argument(description=run_search.FILTER_HELP)] = None,
        order_by: Annotated[str | None, strawberry.argument(description=run_search.ORDER_HELP)] = None,
    ) -> Connection[Run]:
        if filter is not None or order_by is not None:
            search = run_search.where_of(filter, project, name, tag, status)
            return await run_search.search_runs(info, first, after, search, order_by, project)
        where = NodeFilter(project, name, tag, status.value if status else None)
        return await _listing(info, NodeKind.RUN, Run.from_node, first, after, where)

    @field("Evaluations, newest first.")
    async def evaluations(
        self, info: Info, first: int | None = DEFAULT_PAGE, after: str | None = None,
        project: str | None = None, name: str | None = None, tag: str | None = None,
    ) -> Connection[Evaluation]:
        return await _listing(info, NodeKind.EVALUATION, Evaluation.from_node, first, after, NodeFilter(project, name, tag))
