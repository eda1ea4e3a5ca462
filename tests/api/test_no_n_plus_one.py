"""Nested fields over a big lineage cost a bounded number of store calls, not one per node."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, cast

import anyio

from provgraph.graph import GraphStore, open_graph_store
from provgraph.ids import new_id
from provgraph.model import EdgeSpec, EdgeType, FileRef, NewNode, NodeKind
from provgraph.digest import Digest
from provgraph.service.app import create_app

from .support import TestClient, data, settings_for

MODELS = 2500  # + one blob each: a lineage of 5,000 nodes


class CountingStore:
    """Forwards every call to the real store and records the method names called."""

    def __init__(self, inner: GraphStore) -> None:
        self.inner = inner
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.inner, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(name)
            return attr(*args, **kwargs)

        return call


def chain(n: int, kind: NodeKind) -> list[NewNode]:
    """Artifacts m:v1 … m:vN of ``kind``, each derived from the previous, each with one file."""
    specs: list[NewNode] = []
    for i in range(n):
        digest = Digest(hashlib.sha256(f"ckpt-{i}".encode()).hexdigest())
        edges = (EdgeSpec(EdgeType.DERIVED_FROM, specs[-1].id or ""),) if specs else ()
        specs.append(NewNode(
            kind, "default", "m", id=new_id(), props={"status": "COMPLETED"} if kind is NodeKind.MODEL else {},
            edges=edges, files=(FileRef("ckpt.bin", digest, i + 1, "checkpoint"),),
        ))
    return specs


def prepare(url: str, specs: list[NewNode]) -> None:
    async def go() -> None:
        store = open_graph_store(url)
        await store.open()
        try:
            await store.create_nodes(specs)
        finally:
            await store.close()

    anyio.run(go)


def lineage_calls(tmp_path: Path, query: str, kind: NodeKind) -> tuple[dict[str, Any], list[str]]:
    """Build a chain of ``kind``, run ``query`` on its newest node: (lineage, store calls)."""
    settings = settings_for(tmp_path)
    prepare(settings.graph_url, chain(MODELS, kind))
    counting = CountingStore(open_graph_store(settings.graph_url))
    with TestClient(create_app(settings, graph=cast(GraphStore, counting))) as client:
        counting.calls.clear()
        result: dict[str, Any] = data(client, query, {"id": "m:latest"})["lineage"]
        return result, list(counting.calls)


def test_lineage_with_nested_files_is_not_n_plus_one(tmp_path: Path) -> None:
    query = """query($id: ID!) { lineage(id: $id) {
      nodes { id kind ... on Model { version files { path size digest status blob { status } } } }
      edges { source target type } } }"""
    result, calls = lineage_calls(tmp_path, query, NodeKind.MODEL)

    assert len(result["nodes"]) == 2 * MODELS
    models = [n for n in result["nodes"] if n["kind"] == "MODEL"]
    assert len(models) == MODELS
    assert all(len(m["files"]) == 1 and m["files"][0]["blob"] == {"status": "PENDING"} for m in models)
    by_version = {m["version"]: m["files"][0]["size"] for m in models}
    assert by_version["v1"] == 1 and by_version[f"v{MODELS}"] == MODELS
    assert len(result["edges"]) == 2 * MODELS - 1
    assert len(calls) <= 10, calls
    assert sorted(calls) == ["files_of", "find_versions", "get_nodes", "lineage"], calls


def test_dataset_file_connections_are_batched_too(tmp_path: Path) -> None:
    query = """query($id: ID!) { lineage(id: $id) { nodes { ... on Dataset { version
      files(first: 1) { edges { cursor node { size } } pageInfo { hasNextPage endCursor } } } } } }"""
    result, calls = lineage_calls(tmp_path, query, NodeKind.DATASET)
    datasets = [n for n in result["nodes"] if "files" in n]
    assert len(datasets) == MODELS
    assert all(d["files"]["pageInfo"] == {"hasNextPage": False, "endCursor": "ckpt.bin"} for d in datasets)
    assert sorted(calls) == ["files_of", "find_versions", "lineage"], calls
