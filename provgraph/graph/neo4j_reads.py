"""Read queries of the Neo4j graph store, each one round trip unless stated.

Traversals and lineage run on the in-memory index (``neo4j_index``). The impact walks
of integrity (``lineage_many``) fetch the reachable part of the graph in one query (the
``WITH DISTINCT`` lets Neo4j plan a pruning expansion that visits each node once,
whatever the number of paths) together with its outgoing edges; exact shortest depths
come from ``graph.bfs``. Shallow bounded walks go level by level instead.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Collection, Iterable, Sequence, TypeVar

from neo4j import AsyncManagedTransaction

from provgraph.errors import NotFound
from provgraph.graph import neo4j_cypher as q
from provgraph.graph.bfs import adjacency, shortest_depths
from provgraph.graph.hops import page_after, parse_cursor
from provgraph.graph.neo4j_writes import rows
from provgraph.graph.rows import edge_from_row, edge_order, file_from_row, node_from_row
from provgraph.model import (
    BlobStatus,
    Direction,
    Edge,
    EdgeType,
    FileEntry,
    Hop,
    HopRef,
    Node,
    NodeFilter,
    NodeKind,
    Page,
    PathDirection,
    Subgraph,
)

T = TypeVar("T")
Runner = Callable[[Callable[[AsyncManagedTransaction], Awaitable[T]]], Awaitable[T]]
LEVEL_BY_LEVEL_MAX_DEPTH = 32
PAIRWISE_MAX_NODES = 64
# A walk's edge: (from, to, type, role, path), oriented in the walk's direction.
WalkEdge = tuple[str, str, str, "str | None", "str | None"]


def _by_id(nodes: Iterable[Node]) -> tuple[Node, ...]:
    return tuple(sorted(nodes, key=lambda n: n.id))


class Reads:
    def __init__(self, run: Runner[Any]) -> None:
        self.run = run

    async def query(self, query: str, **params: Any) -> list[list[Any]]:
        async def work(tx: AsyncManagedTransaction) -> list[list[Any]]:
            return await rows(tx, query, **params)

        result: list[list[Any]] = await self.run(work)
        return result

    async def collected(self, query: str, **params: Any) -> list[list[Any]]:
        """The rows of a query that answers them as one ``collect([...])`` list."""
        found = await self.query(query, **params)
        return found[0][0] if found else []

    # -- nodes ----------------------------------------------------------------------

    async def get_nodes(self, ids: Sequence[str]) -> dict[str, Node]:
        found = await self.collected(q.NODES_BY_IDS, ids=list(ids))
        return {n.id: n for n in map(node_from_row, found)}

    async def find_versions(self, kinds: Sequence[NodeKind], project: str, name: str, selector: str) -> list[Node]:
        found = []
        for kind in kinds:
            params: dict[str, Any] = {"project": project, "name": name, "kind": kind.value}
            if selector == "latest":
                result = await self.query(q.FIND_LATEST, **params)
            elif selector.startswith("@"):
                result = await self.query(q.FIND_ALIAS, alias=selector[1:], **params)
            else:
                result = await self.query(q.FIND_VERSION, version=selector, **params)
            found += [node_from_row(r) for r in result[:1]]
        return found

    async def list_nodes(self, kind: NodeKind, where: NodeFilter, first: int, after: str | None) -> Page[Node]:
        filters: list[str] = []
        params: dict[str, Any] = {"limit": first + 1}
        for field, value in (("project", where.project), ("name", where.name), ("status", where.status)):
            if value is not None:
                filters.append(f"n.{field} = ${field}")
                params[field] = value
        if where.tag is not None:
            filters.append("$tag IN n.tags")
            params["tag"] = where.tag
        if where.projects is not None:
            filters.append("n.project IN $projects")
            params["projects"] = sorted(where.projects)
        if after is not None:
            filters.append("n.id < $after")
            params["after"] = after
        found = await self.collected(q.list_nodes(kind, filters), **params)
        items = [node_from_row(r) for r in found[:first]]
        return Page(items, len(found) > first, items[-1].id if items else None)

    async def _require(self, ids: Sequence[str]) -> None:
        present = {r[0] for r in await self.query(q.IDS_PRESENT, ids=list(ids))}
        for node_id in ids:
            if node_id not in present:
                raise NotFound(f"no node with id {node_id!r}")

    # -- files ----------------------------------------------------------------------

    async def list_files(self, node_id: str, first: int, after: str | None) -> Page[FileEntry]:
        await self._require([node_id])
        found = await self.collected(q.LIST_FILES, id=node_id, after=after, limit=first + 1)
        items = [file_from_row(r) for r in found[:first]]
        return Page(items, len(found) > first, items[-1].path if items else None)

    async def files_of(self, node_ids: Sequence[str], limit: int) -> dict[str, list[FileEntry]]:
        result: dict[str, list[FileEntry]] = {i: [] for i in node_ids}
        for row in await self.collected(q.FILES_OF, ids=list(node_ids), limit=limit):
            result[row[0]].append(file_from_row(row))
        return result

    # -- traversals -----------------------------------------------------------------

    async def _walk(
        self, starts: Sequence[str], upstream: bool, max_depth: int | None, types: Sequence[EdgeType] | None,
    ) -> tuple[list[WalkEdge], dict[str, Node]]:
        """Edges of the part of the graph reachable from ``starts`` and, for an unbounded
        walk, the reachable nodes themselves (empty for a level-by-level walk)."""
        if max_depth is not None and max_depth <= LEVEL_BY_LEVEL_MAX_DEPTH:
            return await self._walk_levels(starts, upstream, max_depth, types), {}
        found = await self.collected(q.walk_all(upstream, types), ids=list(starts))
        nodes: dict[str, Node] = {}
        edges: list[WalkEdge] = []
        for row in found:
            node = node_from_row(row[:-1])
            nodes[node.id] = node
            edges += [(node.id, y, t, role, path) for y, t, role, path in row[-1] if y is not None]
        missing = [s for s in starts if s not in nodes]
        if missing:
            raise NotFound(f"no node with id {missing[0]!r}")
        return edges, nodes

    async def _walk_levels(
        self, starts: Sequence[str], upstream: bool, max_depth: int, types: Sequence[EdgeType] | None
    ) -> list[WalkEdge]:
        await self._require(starts)
        query = q.walk_level(upstream, types)
        seen, frontier = set(starts), list(starts)
        edges: list[WalkEdge] = []
        for _ in range(max_depth):
            batch = await self.collected(query, ids=frontier)
            edges += [(r[0], r[1], r[2], r[3], r[4]) for r in batch]
            frontier = list({r[1] for r in batch} - seen)
            seen.update(frontier)
            if not frontier:
                break
        return edges

    async def _depths(
        self, starts: Sequence[str], upstream: bool, max_depth: int | None, types: Sequence[EdgeType] | None,
    ) -> tuple[dict[str, int], list[WalkEdge], dict[str, Node]]:
        edges, nodes = await self._walk(starts, upstream, max_depth, types)
        depths = shortest_depths(starts, adjacency((e[0], e[1]) for e in edges), max_depth)
        missing = [i for i in depths if i not in nodes]
        if missing:
            nodes.update(await self.get_nodes(missing))
        return depths, edges, nodes

    async def path(self, source: str, target: str, direction: PathDirection) -> Subgraph | None:
        await self._require([source, target])
        if source == target:
            nodes = await self.get_nodes([source])
            return Subgraph((nodes[source],), (), direction.walks()[0])
        for walk in direction.walks():
            found = await self.query(q.shortest_path(walk is Direction.UPSTREAM), source=source, target=target)
            if found:
                ids, rels = found[0]
                nodes = await self.get_nodes(ids)
                edges = tuple(edge_from_row(*rel) for rel in rels)
                return Subgraph(tuple(nodes[i] for i in ids), edges, walk)
        return None

    # -- blobs ----------------------------------------------------------------------

    async def blob_counts(self, projects: Collection[str] | None) -> dict[BlobStatus, int]:
        counts = {status: 0 for status in BlobStatus}
        params = {"projects": sorted(projects)} if projects is not None else {}
        for status, count in await self.query(q.blob_counts(projects is not None), **params):
            counts[BlobStatus(status)] = count
        return counts

    async def blobs_with_status(self, statuses: Sequence[BlobStatus], projects: Collection[str] | None,
                                limit: int) -> list[Node]:
        params: dict[str, Any] = {"statuses": [s.value for s in statuses], "limit": limit}
        if projects is not None:
            params["projects"] = sorted(projects)
        found = await self.collected(q.blobs_with_status(projects is not None), **params)
        return [node_from_row(r) for r in found]

    async def blob_projects(self, node_id: str) -> frozenset[str]:
        return frozenset(r[0] for r in await self.query(q.BLOB_PROJECTS, id=node_id))
