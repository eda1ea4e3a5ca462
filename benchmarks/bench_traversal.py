"""Traversals of a random DAG (20,000 models, ~100,000 DERIVED_FROM edges) against the
in-memory limit measured in the same run: a breadth-first search over a Python adjacency
dict of the same edges. Store calls (ancestors, descendants, lineage in each direction
and with a depth bound) on SQLite or ``--graph-url``; ``--http`` adds the same questions
through the service's /graphql on the embedded default."""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from collections import deque
from pathlib import Path
from typing import Any, Sequence

import httpx

from benchmarks.common import BATCH, print_table, timed, write_result
from benchmarks.server import running_service
from provgraph.graph import GraphStore, open_graph_store
from provgraph.ids import new_id
from provgraph.model import Direction, EdgeSpec, EdgeType, NewNode, NodeKind

UP, DOWN, BOTH = Direction.UPSTREAM, Direction.DOWNSTREAM, Direction.BOTH
ANCESTORS = "query($id: ID!) { ancestors(id: $id) { depth node { id } } }"
LINEAGE = "query($id: ID!, $d: Direction) { lineage(id: $id, direction: $d) { nodes { id } edges { source target } } }"


def random_dag(n: int, parents: int, seed: int) -> list[list[int]]:
    """Parents of each node: up to ``parents`` distinct earlier nodes, uniformly drawn."""
    rng = random.Random(seed)
    return [sorted(rng.sample(range(i), min(i, parents))) for i in range(n)]


def bfs(adjacency: dict[int, list[int]], start: int) -> dict[int, int]:
    depth = {start: 0}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for nxt in adjacency.get(node, ()):
            if nxt not in depth:
                depth[nxt] = depth[node] + 1
                queue.append(nxt)
    return depth


def in_memory(dag: list[list[int]], tip: int) -> dict[str, Any]:
    up = {i: ps for i, ps in enumerate(dag)}
    samples = []
    reached = 0
    for _ in range(5):
        start = time.perf_counter()
        reached = len(bfs(up, tip)) - 1
        samples.append((time.perf_counter() - start) * 1000)
    return {"median_ms": round(sorted(samples)[2], 2), "nodes": reached}


async def build(store: GraphStore, dag: list[list[int]]) -> list[str]:
    ids = [new_id() for _ in dag]
    specs = [NewNode(NodeKind.MODEL, "bench", "dag", id=ids[i],
                     edges=tuple(EdgeSpec(EdgeType.DERIVED_FROM, ids[p]) for p in ps)) for i, ps in enumerate(dag)]
    for i in range(0, len(specs), BATCH):
        await store.create_nodes(specs[i:i + BATCH])
    return ids


async def store_figures(store: GraphStore, ids: list[str]) -> dict[str, Any]:
    tip, root, middle = ids[-1], ids[0], ids[len(ids) // 2]
    calls = {
        "ancestors_tip": lambda: store.traverse([tip], UP, None),
        "descendants_root": lambda: store.traverse([root], DOWN, None),
        "lineage_up_tip": lambda: store.lineage(tip, UP, None),
        "lineage_both_middle": lambda: store.lineage(middle, BOTH, None),
        "lineage_up_tip_depth_3": lambda: store.lineage(tip, UP, 3),
    }
    figures: dict[str, Any] = {}
    for key, call in calls.items():
        answer: list[Any] = []

        async def once(call: Any = call, answer: list[Any] = answer) -> None:
            answer[:] = [await call()]

        timing = await timed(once, repeat=3)
        found = answer[0]
        size = len(found) if isinstance(found, list) else len(found.nodes)
        figures[key] = {**timing, "nodes": size, **({} if isinstance(found, list) else {"edges": len(found.edges)})}
    return figures


def http_figures(base: str, ids: list[str]) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    with httpx.Client(base_url=base, timeout=300) as client:
        for key, query, variables in (("http_ancestors_tip", ANCESTORS, {"id": ids[-1]}),
                                      ("http_lineage_up_tip", LINEAGE, {"id": ids[-1], "d": "UPSTREAM"})):
            client.post("/graphql", json={"query": query, "variables": variables}).raise_for_status()
            samples = []
            for _ in range(3):
                start = time.perf_counter()
                client.post("/graphql", json={"query": query, "variables": variables}).raise_for_status()
                samples.append((time.perf_counter() - start) * 1000)
            figures[key] = {"median_ms": round(sorted(samples)[1], 2)}
    return figures


async def run_store(graph_url: str, dag: list[list[int]]) -> tuple[list[str], dict[str, Any]]:
    store = open_graph_store(graph_url)
    await store.open()
    try:
        clear = getattr(store, "clear", None)
        if clear is not None:
            await clear()
        ids = await build(store, dag)
        return ids, await store_figures(store, ids)
    finally:
        await store.close()


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nodes", type=int, default=20_000)
    parser.add_argument("--parents", type=int, default=5)
    parser.add_argument("--graph-url", help="a graph store (default: a fresh embedded SQLite file)")
    parser.add_argument("--http", action="store_true", help="also through /graphql on the embedded service")
    args = parser.parse_args(argv)
    dag = random_dag(args.nodes, args.parents, seed=20)
    figures: dict[str, Any] = {"edges": sum(map(len, dag)), "in_memory_bfs_ancestors_tip": in_memory(dag, len(dag) - 1)}
    with tempfile.TemporaryDirectory(prefix="provgraph-bench-") as work:
        url = args.graph_url or f"sqlite:///{Path(work) / 'graph.db'}"
        ids, measured = asyncio.run(run_store(url, dag))
        figures.update(measured)
        if args.http and args.graph_url is None:
            with running_service(Path(work)) as (base, _):
                figures.update(http_figures(base, ids))
    limit = figures["in_memory_bfs_ancestors_tip"]["median_ms"]
    backend = "sqlite" if args.graph_url is None else args.graph_url.split(":", 1)[0]
    rows = [(k, f"{v['median_ms']} ms", f"{v['median_ms'] / limit:.1f}× in-memory BFS")
            for k, v in figures.items() if isinstance(v, dict)]
    print_table(f"random DAG, {args.nodes} nodes / {figures['edges']} edges: {backend}", rows)
    name = "traversal_sqlite" if args.graph_url is None else "traversal_neo4j"
    print(f"  → {write_result(name, figures)}")
    return figures


if __name__ == "__main__":
    main()
