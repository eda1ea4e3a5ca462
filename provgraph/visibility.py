"""Read isolation: what one token may see of the graph.

A ``ReadScope`` names the projects a reader may read (None: all of them). Every other
project's nodes are invisible to that reader, as if they did not exist:

- looking one up (by id or ref, as a start of a traversal, as the target of an edge being
  written) is ``NOT_FOUND`` with the same message as for a node that does not exist;
- listings and the integrity report leave them out;
- traversals stop at them: ancestors, descendants, lineage and paths are walked within
  the readable nodes only, so nothing beyond a foreign node is reached through it (a
  node reachable another way, through readable nodes, is still found, at its depth
  along readable nodes).

Blobs belong to no project: a blob is readable when a readable node has it as a file
(its bytes, over ``GET /blobs``, likewise), and a walk passes through blobs freely (they
have no parents, so no walk reaches a foreign node through one).

The walks here run above the stores on a lineage answer the store computed without the
restriction: a walk within readable nodes never reaches further than the unrestricted
one, so the unrestricted answer of the same depth holds everything it needs.
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Iterable, Sequence

from provgraph.model import Direction, Edge, Hop, Node, NodeKind, Subgraph


@dataclass(frozen=True)
class ReadScope:
    """The projects a reader may read; ``projects`` None means every project."""

    projects: frozenset[str] | None = None

    @property
    def everything(self) -> bool:
        return self.projects is None

    def reads(self, project: str) -> bool:
        return self.projects is None or project in self.projects

    def sees(self, node: Node) -> bool:
        """Whether the node is readable, blobs aside (``sees_blob`` decides those)."""
        return node.kind is NodeKind.BLOB or self.reads(node.project)

    def sees_blob(self, referrers: Iterable[str]) -> bool:
        """Whether a blob whose files belong to these projects is readable."""
        return self.projects is None or not self.projects.isdisjoint(referrers)

    def listing(self, project: str | None) -> frozenset[str] | None:
        """The projects a listing asked for ``project`` (None: any) may show; an empty
        set when it asked for an unreadable one."""
        if project is not None:
            return frozenset([project]) if self.reads(project) else frozenset()
        return self.projects

    # -- walks within the readable nodes -----------------------------------------------

    def walk(self, graph: Subgraph, start: str, direction: Direction, max_depth: int | None) -> dict[str, int]:
        """Shortest depths from ``start`` (depth 0) along ``graph``'s edges in one
        direction, through readable nodes only."""
        if direction is Direction.BOTH:
            raise ValueError("walk goes one direction; lineage joins both")
        visible = {n.id for n in graph.nodes if self.sees(n)}
        steps = _steps(graph.edges, direction)
        depths = {start: 0}
        frontier = deque([start])
        while frontier:
            here = frontier.popleft()
            depth = depths[here]
            if max_depth is not None and depth >= max_depth:
                continue
            for there in steps[here]:
                if there in visible and there not in depths:
                    depths[there] = depth + 1
                    frontier.append(there)
        return depths

    def hops(
        self, graph: Subgraph, start: str, direction: Direction, max_depth: int | None,
        kinds: Sequence[NodeKind] | None,
    ) -> list[Hop]:
        """``traverse``'s answer within the readable nodes: by depth, then id."""
        depths = self.walk(graph, start, direction, max_depth)
        wanted = None if kinds is None else set(kinds)
        found = [Hop(n, depths[n.id]) for n in graph.nodes
                 if n.id in depths and n.id != start and (wanted is None or n.kind in wanted)]
        return sorted(found, key=lambda h: (h.depth, h.node.id))

    def lineage(self, graph: Subgraph, start: str, direction: Direction, max_depth: int | None) -> Subgraph:
        """``lineage``'s answer within the readable nodes: the nodes the walk reaches
        and every edge between two of them."""
        kept: set[str] = set()
        for way in direction.walks():
            kept.update(self.walk(graph, start, way, max_depth))
        return self.induced(graph, kept)

    def path(self, graph: Subgraph, source: str, target: str, direction: Direction) -> Subgraph | None:
        """A shortest path from ``source`` to ``target`` one way within the readable
        nodes of ``graph``: nodes in order, the edges between consecutive ones."""
        visible = {n.id for n in graph.nodes if self.sees(n)}
        steps = _steps(graph.edges, direction)
        previous: dict[str, str | None] = {source: None}
        frontier = deque([source])
        while frontier and target not in previous:
            here = frontier.popleft()
            for there in steps[here]:
                if there in visible and there not in previous:
                    previous[there] = here
                    frontier.append(there)
        if target not in previous:
            return None
        order = [target]
        while (before := previous[order[-1]]) is not None:
            order.append(before)
        order.reverse()
        stored = [(a, b) if direction is Direction.UPSTREAM else (b, a) for a, b in zip(order, order[1:])]
        wanted = set(stored)
        chosen: dict[tuple[str, str], Edge] = {}
        for edge in graph.edges:  # one pass: of each step's edges, the first by type, then role
            key = (edge.source, edge.target)
            if key in wanted and (key not in chosen or _rank(edge) < _rank(chosen[key])):
                chosen[key] = edge
        by_id = {n.id: n for n in graph.nodes}
        return Subgraph(tuple(by_id[i] for i in order), tuple(chosen[k] for k in stored), direction)

    def induced(self, graph: Subgraph, ids: set[str] | None = None) -> Subgraph:
        """``graph`` cut down to ``ids`` (default: its readable nodes) and the edges
        between them, in the graph's order."""
        keep = {n.id for n in graph.nodes if self.sees(n)} if ids is None else ids
        return Subgraph(
            tuple(n for n in graph.nodes if n.id in keep),
            tuple(e for e in graph.edges if e.source in keep and e.target in keep),
            graph.direction,
        )


EVERYTHING = ReadScope()


def _rank(edge: Edge) -> tuple[str, str]:
    return edge.type.value, edge.role or ""


def _steps(edges: Sequence[Edge], direction: Direction) -> dict[str, list[str]]:
    """Neighbours one step away: UPSTREAM along the stored edges (derived → origin),
    DOWNSTREAM against them; each list sorted, so walks are deterministic."""
    steps: dict[str, set[str]] = defaultdict(set)
    for edge in edges:
        if direction is Direction.UPSTREAM:
            steps[edge.source].add(edge.target)
        else:
            steps[edge.target].add(edge.source)
    return defaultdict(list, {k: sorted(v) for k, v in steps.items()})
