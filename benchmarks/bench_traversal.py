"""Traversals of a random DAG (20,000 models, ~100,000 DERIVED_FROM edges, each node's
parents drawn from the 200 before it, so the tip reaches ~19,700 ancestors) against the
in-memory limit measured in the same run: breadth-first searches over Python adjacency
dicts of the same edges, one per question (a lineage's baseline also collects the edges
among the nodes it reached). Store calls on SQLite, and on ``--graph-url`` too (a Neo4j
server: its figures as ratios to SQLite's of the same run); ``--http`` adds the same
questions through the service's /graphql on the embedded default, whole answers and
``ancestorsConnection`` pages."""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from collections import deque
from pathlib import Path
from typing import Any, Callable, Sequence

import httpx

from benchmarks.common import BATCH, empty_store, print_table, timed, write_result
from benchmarks.server import running_service
from provgraph.graph import GraphStore
from provgraph.ids import new_id
from provgraph.model import Direction, EdgeSpec, EdgeType, NewNode, NodeKind

UP, DOWN = Direction.UPSTREAM, Direction.DOWNSTREAM
WINDOW = 200
HOPS = "query($id: ID!) { %s(id: $id) { depth node { id } } }"
LINEAGE = "query($id: ID!, $d: Direction) { lineage(id: $id, direction: $d) { nodes { id } edges { source target } } }"
PAGES = """query($id: ID!, $after: String) { ancestorsConnection(id: $id, first: 10000, after: $after) {
  edges { depth node { id } } pageInfo { hasNextPage endCursor } } }"""
QUESTIONS = ("ancestors_tip", "descendants_root", "lineage_up_tip", "lineage_down_root")


def random_dag(n: int, parents: int, seed: int) -> list[list[int]]:
    """Parents of each node: up to ``parents`` distinct nodes among the ``WINDOW`` before it."""
    rng = random.Random(seed)
    return [sorted(rng.sample(range(max(0, i - WINDOW), i), min(i, parents))) for i in range(n)]


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


def induced(adjacency: dict[int, list[int]], nodes: dict[int, int]) -> list[tuple[int, int]]:
    return [(a, b) for a in nodes for b in adjacency.get(a, ()) if b in nodes]


def _median_ms(fn: Callable[[], Any], repeat: int = 5) -> tuple[float, Any]:
    samples, answer = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        answer = fn()
        samples.append((time.perf_counter() - start) * 1000)
    return round(sorted(samples)[repeat // 2], 2), answer


def in_memory(dag: list[list[int]]) -> dict[str, Any]:
    """The limit of each question: a BFS over adjacency lists already in memory."""
    up = {i: ps for i, ps in enumerate(dag)}
    down: dict[int, list[int]] = {}
    for child, ps in enumerate(dag):
        for parent in ps:
            down.setdefault(parent, []).append(child)
    tip, root = len(dag) - 1, 0
    calls: dict[str, Callable[[], Any]] = {
        "ancestors_tip": lambda: bfs(up, tip),
        "descendants_root": lambda: bfs(down, root),
        "lineage_up_tip": lambda: induced(up, bfs(up, tip)),
        "lineage_down_root": lambda: induced(up, bfs(down, root)),
    }
    figures = {}
    for key, call in calls.items():
        ms, answer = _median_ms(call)
        figures[key] = {"median_ms": ms, "size": len(answer)}
    return figures


async def build(store: GraphStore, dag: list[list[int]]) -> list[str]:
    ids = [new_id() for _ in dag]
    specs = [NewNode(NodeKind.MODEL, "bench", "dag", id=ids[i],
                     edges=tuple(EdgeSpec(EdgeType.DERIVED_FROM, ids[p]) for p in ps)) for i, ps in enumerate(dag)]
    for i in range(0, len(specs), BATCH):
        await store.create_nodes(specs[i:i + BATCH])
    return ids


async def store_figures(store: GraphStore, ids: list[str]) -> dict[str, Any]:
    tip, root = ids[-1], ids[0]
    calls = {
        "ancestors_tip": lambda: store.traverse([tip], UP, None),
        "descendants_root": lambda: store.traverse([root], DOWN, None),
        "lineage_up_tip": lambda: store.lineage(tip, UP, None),
        "lineage_down_root": lambda: store.lineage(root, DOWN, None),
        "ancestors_tip_ids_only": lambda: store.traverse_ids([tip], UP, None),
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
    tip, root = ids[-1], ids[0]
    figures: dict[str, Any] = {}
    with httpx.Client(base_url=base, timeout=300) as client:
        def ask(query: str, variables: dict[str, Any]) -> Any:
            response = client.post("/graphql", json={"query": query, "variables": variables})
            response.raise_for_status()
            return response.json()["data"]

        def pages() -> int:
            after, hops = None, 0
            while True:
                page = ask(PAGES, {"id": tip, "after": after})["ancestorsConnection"]
                hops += len(page["edges"])
                if not page["pageInfo"]["hasNextPage"]:
                    return hops
                after = page["pageInfo"]["endCursor"]

        calls: dict[str, Callable[[], Any]] = {
            "http_ancestors_tip": lambda: ask(HOPS % "ancestors", {"id": tip}),
            "http_descendants_root": lambda: ask(HOPS % "descendants", {"id": root}),
            "http_lineage_up_tip": lambda: ask(LINEAGE, {"id": tip, "d": "UPSTREAM"}),
            "http_lineage_down_root": lambda: ask(LINEAGE, {"id": root, "d": "DOWNSTREAM"}),
            "http_ancestors_tip_pages_of_10000": pages,
        }
        for key, call in calls.items():
            call()  # warm: the service's first request builds its adjacency index
            figures[key] = {"median_ms": _median_ms(call, repeat=3)[0]}
    return figures


async def run_store(graph_url: str, dag: list[list[int]]) -> tuple[list[str], dict[str, Any]]:
    async with empty_store(graph_url) as store:
        ids = await build(store, dag)
        await store.traverse([ids[-1]], UP, 1)  # warm: caches and the adjacency index
        return ids, await store_figures(store, ids)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nodes", type=int, default=20_000)
    parser.add_argument("--parents", type=int, default=5)
    parser.add_argument("--graph-url", help="a second graph store (a Neo4j server), compared with SQLite")
    parser.add_argument("--http", action="store_true", help="also through /graphql on the embedded service")
    args = parser.parse_args(argv)
    dag = random_dag(args.nodes, args.parents, seed=20)
    limits = in_memory(dag)
    figures: dict[str, Any] = {"nodes": args.nodes, "edges": sum(map(len, dag)), "in_memory_bfs": limits}
    rows: list[tuple[str, str, str]] = []
    with tempfile.TemporaryDirectory(prefix="provgraph-bench-") as work:
        ids, sqlite = asyncio.run(run_store(f"sqlite:///{Path(work) / 'graph.db'}", dag))
        figures["sqlite"] = sqlite
        for key in QUESTIONS:
            rows.append((f"sqlite {key}", f"{sqlite[key]['median_ms']} ms",
                         f"{sqlite[key]['median_ms'] / limits[key]['median_ms']:.1f}× in-memory BFS"))
        if args.http:
            with running_service(Path(work)) as (base, _):
                figures["http"] = http_figures(base, ids)
            for key, value in figures["http"].items():
                question = key.removeprefix("http_").removesuffix("_pages_of_10000")
                rows.append((key, f"{value['median_ms']} ms",
                             f"{value['median_ms'] / limits[question]['median_ms']:.1f}× in-memory BFS"))
    if args.graph_url:
        _, other = asyncio.run(run_store(args.graph_url, dag))
        figures["neo4j"] = other
        for key in QUESTIONS:
            rows.append((f"neo4j {key}", f"{other[key]['median_ms']} ms",
                         f"{other[key]['median_ms'] / sqlite[key]['median_ms']:.1f}× SQLite"))
    figures["ratios"] = {
        **{f"sqlite_{k}_vs_bfs": round(sqlite[k]["median_ms"] / limits[k]["median_ms"], 2) for k in QUESTIONS},
        **{f"{k}_vs_bfs": round(v["median_ms"] / limits[k.removeprefix("http_").removesuffix("_pages_of_10000")]["median_ms"], 2)
           for k, v in figures.get("http", {}).items()},
        **{f"neo4j_{k}_vs_sqlite": round(figures["neo4j"][k]["median_ms"] / sqlite[k]["median_ms"], 2)
           for k in QUESTIONS if "neo4j" in figures},
    }
    print_table(f"random DAG, {args.nodes} nodes / {figures['edges']} edges", rows)
    name = "traversal" if args.graph_url is None else "traversal_neo4j"
    print(f"  → {write_result(name, figures)}")
    return figures


if __name__ == "__main__":
    main()
