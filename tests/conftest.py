"""Fixtures shared by every suite: one fresh store per test, parametrized over backends."""

from __future__ import annotations

from pathlib import Path
from typing import AsyncIterator

import pytest

from provgraph.blobs import BlobStore, open_blob_store
from provgraph.graph import GraphStore, open_graph_store

GRAPH_BACKENDS = ["sqlite"]
BLOB_BACKENDS = ["local"]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _graph_url(backend: str, tmp_path: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'graph.db'}"
    raise AssertionError(f"unknown graph backend {backend}")


def _blob_url(backend: str, tmp_path: Path) -> str:
    if backend == "local":
        return f"file://{tmp_path / 'blobs'}"
    raise AssertionError(f"unknown blob backend {backend}")


@pytest.fixture(params=GRAPH_BACKENDS)
async def graph_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[GraphStore]:
    store = open_graph_store(_graph_url(request.param, tmp_path))
    await store.open()
    try:
        yield store
    finally:
        await store.close()


@pytest.fixture(params=BLOB_BACKENDS)
async def blob_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BlobStore]:
    store = open_blob_store(_blob_url(request.param, tmp_path))
    await store.open()
    try:
        yield store
    finally:
        await store.close()
