"""What bad blobs affect: every node downstream of a corrupt or missing blob, each with
its distance and a shortest path back to the nearest bad blob.

One store walk (``GraphStore.lineage_many``) answers for any number of blobs; the
breadth-first search over the edges it returns runs here, so no path costs a query.
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Sequence

from provgraph.checks import BAD
from provgraph.graph import GraphStore
from provgraph.model import Direction, Edge, Node, Subgraph

BAD_STATUSES = sorted(BAD, key=lambda s: s.value)


@dataclass(frozen=True)
class Affected:
    """A node downstream of a bad blob: ``path`` runs from ``node`` to ``blob``."""

    node: Node
    depth: int
    blob: Node
    path: Subgraph


class Impact:
    """The downstream closure of a set of bad blobs, with shortest paths."""

    def __init__(self, blobs: Sequence[Node], graph: Subgraph) -> None:
        self.blobs = {b.id: b for b in blobs}
        self.nodes = {n.id: n for n in graph.nodes}
        self.nodes.update(self.blobs)
        # Downstream means against the edges: from an edge's target to its source.
        self._inward: dict[str, list[Edge]] = defaultdict(list)
        for edge in sorted(graph.edges, key=lambda e: (e.source, e.type.value, e.role or "")):
            self._inward[edge.target].append(edge)
        self._depth, self._parent, self._root = self._search(sorted(self.blobs))

    @classmethod
    async def load(cls, graph: GraphStore, blobs: Sequence[Node]) -> Impact:
        """The impact of ``blobs`` (Blob nodes), in one store walk."""
        walked = await graph.lineage_many([b.id for b in blobs], Direction.DOWNSTREAM) if blobs else Subgraph((), ())
        return cls(blobs, walked)

    @classmethod
    async def of_bad_blobs(cls, graph: GraphStore, limit: int) -> Impact:
        """The impact of every corrupt or missing blob (the first ``limit`` by digest)."""
        return await cls.load(graph, await graph.blobs_with_status(BAD_STATUSES, None, limit))

    def _search(self, starts: Sequence[str]) -> tuple[dict[str, int], dict[str, Edge], dict[str, str]]:
        depth = {s: 0 for s in starts}
        parent: dict[str, Edge] = {}
        root = {s: s for s in starts}
        queue = deque(starts)
        while queue:
            current = queue.popleft()
            for edge in self._inward.get(current, ()):
                if edge.source not in depth:
                    depth[edge.source] = depth[current] + 1
                    parent[edge.source] = edge
                    root[edge.source] = root[current]
                    queue.append(edge.source)
        return depth, parent, root

    def nearest(self, node_id: str) -> tuple[Node, int] | None:
        """The nearest bad blob upstream of ``node_id`` and its distance, or None."""
        if node_id not in self._parent:
            return None
        return self.nodes[self._root[node_id]], self._depth[node_id]

    def path(self, node_id: str) -> Subgraph:
        """A shortest path from ``node_id`` down to its nearest bad blob (empty if none)."""
        if node_id not in self._parent:
            return Subgraph((), ())
        nodes, edges = [self.nodes[node_id]], []
        while nodes[-1].id in self._parent:
            edge = self._parent[nodes[-1].id]
            edges.append(edge)
            nodes.append(self.nodes[edge.target])
        return Subgraph(tuple(nodes), tuple(edges), Direction.UPSTREAM)

    def get(self, node_id: str) -> Affected | None:
        """How ``node_id`` is affected, or None when no bad blob is upstream of it."""
        found = self.nearest(node_id)
        if found is None:
            return None
        return Affected(self.nodes[node_id], found[1], found[0], self.path(node_id))

    def affected(self) -> list[Affected]:
        """Every affected node (bad blobs themselves excluded), nearest first, then by id."""
        ids = sorted(self._parent, key=lambda i: (self._depth[i], i))
        return [a for a in map(self.get, ids) if a is not None]

    def downstream(self, blob_id: str) -> list[tuple[Node, int]]:
        """Every node downstream of one blob, with its distance from that blob."""
        depth, _, _ = self._search([blob_id])
        del depth[blob_id]
        return [(self.nodes[i], d) for i, d in sorted(depth.items(), key=lambda item: (item[1], item[0]))]
