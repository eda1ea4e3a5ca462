"""Timing, graph builders and result files shared by the benchmark scripts."""

from __future__ import annotations

import json
import os
import platform
import statistics
import tempfile
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable

from provgraph.graph import GraphStore, open_graph_store
from provgraph.ids import new_id
from provgraph.model import EdgeSpec, EdgeType, NewNode, NodeKind

# A quick smoke run writes elsewhere, so it never replaces the figures the README quotes.
RESULTS = Path(os.environ.get("PROVGRAPH_BENCH_RESULTS") or Path(__file__).parent / "results")
BATCH = 2000


async def timed(fn: Callable[[], Awaitable[Any]], repeat: int = 5) -> dict[str, float]:
    """Run ``fn`` ``repeat`` times after one warm-up; milliseconds (median, min, max)."""
    await fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        await fn()
        samples.append((time.perf_counter() - start) * 1000)
    return {"median_ms": round(statistics.median(samples), 2), "min_ms": round(min(samples), 2),
            "max_ms": round(max(samples), 2), "runs": repeat}


@asynccontextmanager
async def empty_store(graph_url: str | None) -> AsyncIterator[GraphStore]:
    """An open graph store at ``graph_url`` (default: a temporary SQLite file), emptied
    first (a server keeps an earlier run's graphs), closed at the end."""
    with tempfile.TemporaryDirectory() as tmp:
        store = open_graph_store(graph_url or f"sqlite:///{tmp}/bench.db")
        await store.open()
        try:
            clear = getattr(store, "clear", None)
            if clear is not None:
                await clear()
            yield store
        finally:
            await store.close()


async def _insert(store: GraphStore, specs: list[NewNode]) -> None:
    for i in range(0, len(specs), BATCH):
        await store.create_nodes(specs[i:i + BATCH])


def _model(node_id: str, name: str, parents: list[str]) -> NewNode:
    edges = tuple(EdgeSpec(EdgeType.DERIVED_FROM, p) for p in parents)
    return NewNode(NodeKind.MODEL, "bench", name, id=node_id, edges=edges)


async def build_chain(store: GraphStore, n: int, name: str) -> str:
    """A chain of ``n`` models, each derived from the previous; returns the tip's id."""
    ids = [new_id() for _ in range(n)]
    await _insert(store, [_model(ids[i], name, ids[i - 1:i]) for i in range(n)])
    return ids[-1]


async def build_ladder(store: GraphStore, n: int, name: str) -> str:
    """``n`` models, two per layer, each derived from both of the layer below (2^(n/2) paths)."""
    specs: list[NewNode] = []
    below: list[str] = []
    for _ in range(n // 2):
        layer = [new_id(), new_id()]
        specs += [_model(layer[0], f"{name}-a", below), _model(layer[1], f"{name}-b", below)]
        below = layer
    await _insert(store, specs)
    return below[0]


async def build_fan_out(store: GraphStore, n: int) -> str:
    """One dataset used by ``n`` runs; returns the dataset's id."""
    dataset = new_id()
    used = (EdgeSpec(EdgeType.USED, dataset, "train"),)
    runs = [NewNode(NodeKind.RUN, "bench", "run", id=new_id(), edges=used) for _ in range(n)]
    await _insert(store, [NewNode(NodeKind.DATASET, "bench", "shared", id=dataset), *runs])
    return dataset


def machine() -> dict[str, Any]:
    return {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()}


def write_result(name: str, figures: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    payload = {"benchmark": name, "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "machine": machine(), "figures": figures}
    path.write_text(json.dumps(payload, indent=2) + "\n")
    return path


def print_table(title: str, rows: list[tuple[str, str, str]]) -> None:
    print(f"\n{title}")
    width = max(len(r[0]) for r in rows)
    for label, value, target in rows:
        print(f"  {label:<{width}}  {value:>14}  {target}")
