"""Graph store workloads: deep chains, ladder DAGs (2^N paths), wide fan-out, and the
registration of a 100,000-file dataset. ``--graph-url`` picks the backend (default: a
fresh embedded SQLite file)."""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import time
from typing import Any, Sequence

from benchmarks.common import build_chain, build_fan_out, build_ladder, empty_store, print_table, timed, write_result
from provgraph.graph import GraphStore
from provgraph.model import Direction
from provgraph.registry import Registry

UP, DOWN = Direction.UPSTREAM, Direction.DOWNSTREAM


async def traversals(store: GraphStore, sizes: Sequence[int], fan_out: int) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    for n in sizes:
        for shape, build in (("chain", build_chain), ("ladder", build_ladder)):
            tip = await build(store, n, f"{shape}{n}")
            hops: list[Any] = []

            async def ancestors() -> None:
                hops[:] = await store.traverse([tip], UP, None)

            figures[f"ancestors_{shape}_{n}"] = {**await timed(ancestors), "nodes": len(hops)}
    dataset = await build_fan_out(store, fan_out)
    reached: list[Any] = []

    async def descendants() -> None:
        reached[:] = await store.traverse([dataset], DOWN, None)

    figures[f"descendants_fan_out_{fan_out}"] = {**await timed(descendants, repeat=3), "nodes": len(reached)}
    return figures


async def register_dataset(store: GraphStore, files: int) -> dict[str, Any]:
    entries = [(f"shard-{i:06d}.bin", hashlib.sha256(str(i).encode()).hexdigest(), 4096 + i, None)
               for i in range(files)]
    registry = Registry(store)
    start = time.perf_counter()
    node = await registry.register_dataset("bench-files", entries, project="bench")
    seconds = time.perf_counter() - start
    assert node.props["file_count"] == files
    return {f"register_dataset_{files}_files": {"seconds": round(seconds, 2)}}


async def run(graph_url: str | None, sizes: Sequence[int], fan_out: int, files: int) -> dict[str, Any]:
    async with empty_store(graph_url) as store:
        figures = await traversals(store, sizes, fan_out)
        figures.update(await register_dataset(store, files))
    return figures


def report(backend: str, figures: dict[str, Any], targets: dict[str, str]) -> None:
    rows = []
    for key, value in figures.items():
        shown = f"{value['seconds']} s" if "seconds" in value else f"{value['median_ms']} ms"
        rows.append((key, shown, targets.get(key, "")))
    print_table(f"graph store: {backend}", rows)


TARGETS = {
    "sqlite": {"ancestors_chain_10000": "target < 100 ms", "ancestors_ladder_10000": "target < 100 ms",
               "register_dataset_100000_files": "target < 10 s"},
    "neo4j": {"ancestors_chain_10000": "target < 300 ms", "ancestors_ladder_10000": "target < 300 ms",
              "register_dataset_100000_files": "target < 30 s"},
}


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--graph-url", help="graph store URL (default: a temporary SQLite file)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--fan-out", type=int, default=100_000)
    parser.add_argument("--files", type=int, default=100_000)
    args = parser.parse_args(argv)
    backend = "neo4j" if args.graph_url and not args.graph_url.startswith("sqlite") else "sqlite"
    figures = asyncio.run(run(args.graph_url, args.sizes, args.fan_out, args.files))
    report(backend, figures, TARGETS[backend])
    print(f"  → {write_result(f'graph_{backend}', figures)}")
    return figures


if __name__ == "__main__":
    main()
