"""Breadth-first search over an edge list already fetched from a store.

Backends fetch the edges of the reachable part of the graph in one query (each node
once, so the cost never depends on the number of paths) and compute exact shortest
depths here, in one pass over those edges.
"""

from __future__ import annotations

from collections import defaultdict, deque
from typing import Hashable, Iterable, TypeVar

K = TypeVar("K", bound=Hashable)


def adjacency(edges: Iterable[tuple[K, K]]) -> dict[K, list[K]]:
    adj: dict[K, list[K]] = defaultdict(list)
    for a, b in edges:
        adj[a].append(b)
    return adj


def shortest_depths(starts: Iterable[K], adj: dict[K, list[K]], max_depth: int | None) -> dict[K, int]:
    """Depth of every node reachable from ``starts`` (starts at depth 0) within ``max_depth``."""
    depth = {s: 0 for s in starts}
    frontier = list(depth)
    level = 0
    while frontier and (max_depth is None or level < max_depth):
        level += 1
        following = []
        for node in frontier:
            for nxt in adj.get(node, ()):
                if nxt not in depth:
                    depth[nxt] = level
                    following.append(nxt)
        frontier = following
    return depth


def shortest_path(start: K, goal: K, adj: dict[K, list[K]]) -> list[K] | None:
    """One shortest path from ``start`` to ``goal`` (both included), or None."""
    parent: dict[K, K | None] = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            path = [node]
            while (prev := parent[path[-1]]) is not None:
                path.append(prev)
            return path[::-1]
        for nxt in adj.get(node, ()):
            if nxt not in parent:
                parent[nxt] = node
                queue.append(nxt)
    return None
