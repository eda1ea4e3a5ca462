"""Run search: a filtered, sorted page of 50 out of 100,000 runs (``--runs``), seeded in
batched transactions. ``--graph-url`` picks the backend (default: a fresh SQLite file)."""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from typing import Any, Sequence

from benchmarks.common import BATCH, empty_store, print_table, timed, write_result
from provgraph.graph import GraphStore
from provgraph.ids import new_id
from provgraph.model import NewNode, NodeKind
from provgraph.search import NEWEST_FIRST, Sort, parse_filter, parse_order

PAGE = 50
LRS = [0.1, 0.01, 0.003, 0.001, 0.0003]
QUERIES: dict[str, tuple[str | None, str | None]] = {
    "filter_and_sort": ("metrics.loss < 0.2 AND params.lr = 0.001", "-metrics.loss"),
    "filter_newest_first": ("metrics.loss < 0.2 AND params.lr = 0.001", None),
    "sort_only": (None, "metrics.loss"),
    "or_filter_sort": ('params.optimizer = "adam" OR tags = "baseline"', "-metrics.accuracy"),
    "range_and_status": ('metrics.accuracy >= 0.9 AND status = "COMPLETED" AND params.batch > 64', "params.lr"),
    "selective_no_match": ("metrics.loss < 0.0001 AND params.lr = 0.1", "-metrics.loss"),
}


def spec(rng: random.Random, i: int) -> NewNode:
    props = {
        "status": rng.choice(["COMPLETED"] * 8 + ["FAILED", "RUNNING"]), "run_kind": "training",
        "params": {"lr": rng.choice(LRS), "batch": rng.choice([32, 64, 128, 256]),
                   "optimizer": rng.choice(["adam", "sgd", "adamw"]), "seed": i},
        "metrics": {"loss": round(rng.random(), 4), "accuracy": round(rng.random(), 4)},
    }
    tags = ["baseline"] if rng.random() < 0.05 else []
    return NewNode(NodeKind.RUN, "bench", f"sweep-{i % 100}", id=new_id(), props=props, tags=tuple(tags))


async def seed(store: GraphStore, runs: int) -> float:
    rng = random.Random(13)
    start = time.perf_counter()
    for offset in range(0, runs, BATCH):
        await store.create_nodes([spec(rng, i) for i in range(offset, min(runs, offset + BATCH))])
    return time.perf_counter() - start


async def queries(store: GraphStore) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    for label, (text, order) in QUERIES.items():
        where = parse_filter(text) if text else None
        sort: Sort = parse_order(order) if order else NEWEST_FIRST
        found: list[int] = []

        async def one_page() -> None:
            page = await store.search_runs(where, sort, PAGE, None)
            found[:] = [len(page.items)]

        figures[label] = {**await timed(one_page), "filter": text, "order": order, "page": found[0]}
    where, sort = parse_filter(QUERIES["filter_and_sort"][0] or ""), parse_order("-metrics.loss")
    cursor = (await store.search_runs(where, sort, PAGE, None)).end_cursor

    async def second_page() -> None:
        await store.search_runs(where, sort, PAGE, cursor)

    figures["filter_and_sort_page_2"] = await timed(second_page)
    return figures


async def run(graph_url: str | None, runs: int) -> dict[str, Any]:
    async with empty_store(graph_url) as store:
        seconds = await seed(store, runs)
        figures: dict[str, Any] = {f"seed_{runs}_runs": {"seconds": round(seconds, 1)}}
        figures.update(await queries(store))
        clear = getattr(store, "clear", None)
        if clear is not None:  # 100,000 runs are not left on a shared server
            await clear()
    return figures


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--graph-url", help="graph store URL (default: a temporary SQLite file)")
    parser.add_argument("--runs", type=int, default=100_000)
    args = parser.parse_args(argv)
    backend = "neo4j" if args.graph_url and not args.graph_url.startswith("sqlite") else "sqlite"
    figures = asyncio.run(run(args.graph_url, args.runs))
    rows = [(key, f"{v['seconds']} s" if "seconds" in v else f"{v['median_ms']} ms",
             "" if "seconds" in v else "target < 200 ms") for key, v in figures.items()]
    print_table(f"run search: {backend}, {args.runs} runs, pages of {PAGE}", rows)
    print(f"  → {write_result(f'search_{backend}', figures)}")
    return figures


if __name__ == "__main__":
    main()
