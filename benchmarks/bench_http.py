"""The service over HTTP: ``ancestors`` round trips through /graphql on deep chains and
ladder DAGs, the median latency of one ``registerModel``, and a 100,000-file
``registerDataset`` in one request. Graphs are built through the store beforehand."""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any, Mapping, Sequence

import httpx

from benchmarks.common import build_chain, build_ladder, print_table, write_result
from benchmarks.server import running_service
from provgraph.graph import open_graph_store

ANCESTORS = "query($id: ID!) { ancestors(id: $id) { depth node { id kind name } } }"
REGISTER_MODEL = """mutation($name: String!, $files: [FileInput!]) {
  registerModel(name: $name, files: $files) { id version } }"""
REGISTER_DATASET = """mutation($files: [FileInput!]!) {
  registerDataset(name: "bench-http-files", files: $files) { id fileCount } }"""


def post(client: httpx.Client, query: str, variables: Mapping[str, Any]) -> dict[str, Any]:
    answer = client.post("/graphql", json={"query": query, "variables": variables})
    body: dict[str, Any] = answer.json()
    if answer.status_code != 200 or body.get("errors"):
        raise RuntimeError(f"GraphQL failed ({answer.status_code}): {str(body)[:500]}")
    return body


def median_ms(samples: list[float]) -> dict[str, float]:
    return {"median_ms": round(statistics.median(samples) * 1000, 2), "min_ms": round(min(samples) * 1000, 2),
            "max_ms": round(max(samples) * 1000, 2), "runs": len(samples)}


def timed_calls(fn: Any, repeat: int) -> list[float]:
    fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


async def prepare(graph_url: str, size: int) -> dict[str, str]:
    store = open_graph_store(graph_url)
    await store.open()
    try:
        return {"chain": await build_chain(store, size, "chain"), "ladder": await build_ladder(store, size, "ladder")}
    finally:
        await store.close()


def measure(base: str, tips: dict[str, str], size: int, models: int, files: int) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    with httpx.Client(base_url=base, timeout=120) as client:
        for shape, tip in tips.items():
            count = len(post(client, ANCESTORS, {"id": tip})["data"]["ancestors"])
            samples = timed_calls(lambda: post(client, ANCESTORS, {"id": tip}), 5)
            figures[f"http_ancestors_{shape}_{size}"] = {**median_ms(samples), "nodes": count}
        file = [{"path": "model.bin", "digest": hashlib.sha256(b"w").hexdigest(), "size": 1}]
        samples = timed_calls(lambda: post(client, REGISTER_MODEL, {"name": "bench-model", "files": file}), models)
        figures["http_register_model"] = median_ms(samples)
        entries = [{"path": f"shard-{i:06d}.bin", "digest": hashlib.sha256(str(i).encode()).hexdigest(),
                    "size": 4096 + i} for i in range(files)]
        start = time.perf_counter()
        post(client, REGISTER_DATASET, {"files": entries})
        figures[f"http_register_dataset_{files}_files"] = {"seconds": round(time.perf_counter() - start, 2)}
    return figures


TARGETS = {"http_ancestors_chain_10000": "target < 250 ms", "http_ancestors_ladder_10000": "target < 250 ms",
           "http_register_model": "target < 5 ms median (MLflow ~45 ms)"}


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--models", type=int, default=200, help="registerModel calls to time")
    parser.add_argument("--files", type=int, default=100_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="provgraph-bench-") as work:
        data = Path(work)
        tips = asyncio.run(prepare(f"sqlite:///{data / 'graph.db'}", args.size))
        with running_service(data) as (base, _):
            figures = measure(base, tips, args.size, args.models, args.files)
    rows = [(k, f"{v['seconds']} s" if "seconds" in v else f"{v['median_ms']} ms", TARGETS.get(k, ""))
            for k, v in figures.items()]
    print_table("service over HTTP: embedded (SQLite + local folder)", rows)
    print(f"  → {write_result('http_sqlite', figures)}")
    return figures


if __name__ == "__main__":
    main()
