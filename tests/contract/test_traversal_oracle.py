"""Traversals checked against networkx on random DAGs, on every graph backend.

Each example is a fresh random DAG written in one batch under new ids, so examples in
one store never touch each other and no wipe is needed between them. For a few start
nodes and depth bounds, ancestors, descendants (whole, ids only, and page by page),
lineage (every direction) and path must agree with networkx exactly: the nodes, their
shortest depths, every edge among the returned nodes, and a shortest path going the way
it says.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from provgraph.graph import GraphStore, open_graph_store
from provgraph.graph.hops import cursor_of
from provgraph.graph.neo4j_reads import PAIRWISE_MAX_NODES
from provgraph.ids import new_id
from provgraph.model import Direction, EdgeSpec, EdgeType, HopRef, NewNode, NodeKind, PathDirection, Subgraph

from tests.conftest import GRAPH_BACKENDS, graph_url, wipe

KINDS = (NodeKind.DATASET, NodeKind.RUN, NodeKind.MODEL)
EDGE_KINDS = ((EdgeType.DERIVED_FROM, None), (EdgeType.USED, "train"), (EdgeType.USED, "val"),
              (EdgeType.GENERATED_BY, None))
EXAMPLES = {"sqlite": 60, "neo4j": 25}
EdgeKey = tuple[str, str, EdgeType, "str | None"]


@dataclass(frozen=True)
class Dag:
    kinds: tuple[NodeKind, ...]
    edges: tuple[tuple[int, int, EdgeType, str | None], ...]  # (child, parent, type, role), child > parent
    starts: tuple[int, ...]
    depths: tuple[int | None, ...]
    pairs: tuple[tuple[int, int], ...]


@st.composite
def dags(draw: st.DrawFn) -> Dag:
    n = draw(st.integers(2, 24))
    kinds = tuple(draw(st.sampled_from(KINDS)) for _ in range(n))
    edges = []
    for child in range(1, n):
        for parent in sorted(draw(st.sets(st.integers(0, child - 1), max_size=min(child, 4)))):
            edges.append((child, parent, *draw(st.sampled_from(EDGE_KINDS))))
    node = st.integers(0, n - 1)
    return Dag(
        kinds, tuple(edges),
        starts=tuple(draw(st.lists(node, min_size=1, max_size=3, unique=True))),
        depths=tuple(draw(st.lists(st.none() | st.integers(1, 4), min_size=1, max_size=2, unique=True))),
        pairs=tuple(draw(st.lists(st.tuples(node, node), min_size=1, max_size=4))),
    )


class Oracle:
    def __init__(self, dag: Dag, ids: list[str]) -> None:
        self.ids = ids
        self.up = nx.DiGraph()  # edges as stored: derived thing → origin
        self.up.add_nodes_from(ids)
        self.keys: dict[tuple[str, str], EdgeKey] = {}
        for child, parent, type_, role in dag.edges:
            self.up.add_edge(ids[child], ids[parent])
            self.keys[(ids[child], ids[parent])] = (ids[child], ids[parent], type_, role)
        self.down = self.up.reverse(copy=True)

    def depths(self, start: str, upstream: bool, max_depth: int | None) -> dict[str, int]:
        found = nx.single_source_shortest_path_length(self.up if upstream else self.down, start, cutoff=max_depth)
        return dict(found)

    def lineage(self, start: str, direction: Direction, max_depth: int | None) -> tuple[set[str], set[EdgeKey]]:
        nodes = {start}
        for walk in direction.walks():
            nodes |= set(self.depths(start, walk is Direction.UPSTREAM, max_depth))
        return nodes, {key for (a, b), key in self.keys.items() if a in nodes and b in nodes}

    def path_length(self, source: str, target: str, upstream: bool) -> int | None:
        graph = self.up if upstream else self.down
        return nx.shortest_path_length(graph, source, target) if nx.has_path(graph, source, target) else None


def edge_keys(graph: Subgraph) -> list[EdgeKey]:
    return [(e.source, e.target, e.type, e.role) for e in graph.edges]


async def write(store: GraphStore, dag: Dag) -> list[str]:
    ids = [new_id() for _ in dag.kinds]
    project = f"oracle-{ids[0].lower()}"
    parents: dict[int, list[EdgeSpec]] = {}
    for child, parent, type_, role in dag.edges:
        parents.setdefault(child, []).append(EdgeSpec(type_, ids[parent], role))
    await store.create_nodes([
        NewNode(kind, project, f"n{i}", id=ids[i], edges=tuple(parents.get(i, ())))
        for i, kind in enumerate(dag.kinds)
    ])
    return ids


async def check_traversals(store: GraphStore, oracle: Oracle, start: str, max_depth: int | None) -> None:
    for direction in (Direction.UPSTREAM, Direction.DOWNSTREAM):
        expected = oracle.depths(start, direction is Direction.UPSTREAM, max_depth)
        del expected[start]
        hops = await store.traverse([start], direction, max_depth)
        assert {h.node.id: h.depth for h in hops} == expected
        assert [(h.depth, h.node.id) for h in hops] == sorted((d, i) for i, d in expected.items())
        models = await store.traverse([start], direction, max_depth, kinds=[NodeKind.MODEL])
        assert [h.node.id for h in models] == [h.node.id for h in hops if h.node.kind is NodeKind.MODEL]
        refs = await store.traverse_ids([start], direction, max_depth)
        assert refs == [HopRef(h.node.id, h.node.kind, h.depth) for h in hops]
        assert await paged(store, start, direction, max_depth, first=len(refs) // 3 + 1) == refs
    for direction in Direction:
        graph = await store.lineage(start, direction, max_depth)
        nodes, edges = oracle.lineage(start, direction, max_depth)
        assert [n.id for n in graph.nodes] == sorted(nodes)
        assert sorted(edge_keys(graph), key=lambda k: (k[0], k[1])) == edge_keys(graph)
        assert set(edge_keys(graph)) == edges and len(graph.edges) == len(edges)
        assert graph.direction is direction


async def paged(store: GraphStore, start: str, direction: Direction, max_depth: int | None, first: int) -> list[HopRef]:
    """Every page of a traversal, one after the other."""
    refs: list[HopRef] = []
    after = None
    while True:
        page = await store.traverse_page([start], direction, max_depth, None, None, first, after)
        refs += page.items
        assert page.end_cursor == (cursor_of(page.items[-1]) if page.items else None)
        if not page.has_next:
            return refs
        after = page.end_cursor


async def check_path(store: GraphStore, oracle: Oracle, source: str, target: str) -> None:
    up, down = oracle.path_length(source, target, True), oracle.path_length(source, target, False)
    for asked in PathDirection:
        found = await store.path(source, target, asked)
        lengths = {Direction.UPSTREAM: up, Direction.DOWNSTREAM: down}
        way = next((w for w in asked.walks() if lengths[w] is not None), None)
        if way is None:
            assert found is None
            continue
        assert found is not None and found.direction is way
        hops = [n.id for n in found.nodes]
        assert hops[0] == source and hops[-1] == target and len(hops) == lengths[way] + 1  # type: ignore[operator]
        pairs = zip(hops, hops[1:]) if way is Direction.UPSTREAM else ((b, a) for a, b in zip(hops, hops[1:]))
        assert edge_keys(found) == [oracle.keys[pair] for pair in pairs]


async def check(store: GraphStore, dag: Dag) -> None:
    ids = await write(store, dag)
    oracle = Oracle(dag, ids)
    for start in dag.starts:
        for max_depth in dag.depths:
            await check_traversals(store, oracle, ids[start], max_depth)
    for a, b in dag.pairs:
        await check_path(store, oracle, ids[a], ids[b])


@pytest.mark.timeout(300)
@pytest.mark.parametrize("backend", GRAPH_BACKENDS)
def test_traversals_agree_with_networkx(backend: str, tmp_path: Path) -> None:
    store = open_graph_store(graph_url(backend, tmp_path))  # may skip: before the loop exists
    loop = asyncio.new_event_loop()
    loop.run_until_complete(store.open())
    try:
        loop.run_until_complete(wipe(store))

        @settings(max_examples=EXAMPLES[backend], deadline=None, database=None,
                  suppress_health_check=[HealthCheck.too_slow])
        @given(dags())
        def agrees(dag: Dag) -> None:
            loop.run_until_complete(check(store, dag))

        agrees()
    finally:
        loop.run_until_complete(store.close())
        loop.close()


def wide_dag(seed: int, n: int) -> Dag:
    """A larger random DAG than the examples above: lineage answers of more than
    ``PAIRWISE_MAX_NODES`` nodes take the backends' other edge query."""
    rng = random.Random(seed)
    edges = [(child, parent, *rng.choice(EDGE_KINDS))
             for child in range(1, n) for parent in sorted(rng.sample(range(child), min(child, rng.randint(1, 3))))]
    return Dag(tuple(rng.choice(KINDS) for _ in range(n)), tuple(edges), starts=(n // 2, n - 1, 0),
               depths=(None, 2, 6), pairs=((n - 1, 0), (0, n - 1), (n // 2, n // 3)))


@pytest.mark.anyio
@pytest.mark.timeout(120)
async def test_wide_dag_agrees_with_networkx(graph_store: GraphStore) -> None:
    assert len(wide_dag(7, 200).kinds) > 3 * PAIRWISE_MAX_NODES
    await check(graph_store, wide_dag(7, 200))
