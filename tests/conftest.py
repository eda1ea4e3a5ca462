"""Fixtures shared by every suite: one fresh store per test, parametrized over backends
(embedded SQLite and local folder; Neo4j and S3 on the real servers `make test` starts)."""

from __future__ import annotations

import fcntl
import os
import uuid
from pathlib import Path
from typing import AsyncIterator, Iterator

import pytest

from provgraph.blobs import BlobStore, open_blob_store
from provgraph.graph import GraphStore, open_graph_store

from .backends import ENV_FILE, aws_environment, server_url

GRAPH_BACKENDS = ["sqlite", "neo4j"]
BLOB_BACKENDS = ["local", "s3"]

for _key, _value in aws_environment().items():
    os.environ.setdefault(_key, _value)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def _one_test_at_a_time_on_neo4j(request: pytest.FixtureRequest) -> Iterator[None]:
    """Tests on the shared Neo4j server wipe it first; a file lock keeps concurrent
    pytest processes on this machine from wiping each other's graphs mid-test."""
    callspec = getattr(request.node, "callspec", None)
    if callspec is None or "neo4j" not in callspec.params.values():
        yield
        return
    ENV_FILE.parent.mkdir(parents=True, exist_ok=True)
    with open(ENV_FILE.parent / "neo4j-tests.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def graph_url(backend: str, tmp_path: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'graph.db'}"
    return server_url("graph")


def blob_url(backend: str, tmp_path: Path) -> str:
    if backend == "local":
        return f"file://{tmp_path / 'blobs'}"
    # One key prefix per test keeps tests apart in the one bucket.
    return f"{server_url('blob').rstrip('/')}/{uuid.uuid4().hex}?create_bucket=true"


async def wipe(store: GraphStore) -> None:
    """Empty a shared graph server before a test (an embedded file starts empty)."""
    clear = getattr(store, "clear", None)
    if clear is not None:
        await clear()


@pytest.fixture(params=GRAPH_BACKENDS)
async def graph_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[GraphStore]:
    store = open_graph_store(graph_url(request.param, tmp_path))
    await store.open()
    try:
        await wipe(store)
        yield store
    finally:
        await store.close()


@pytest.fixture(params=BLOB_BACKENDS)
async def blob_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BlobStore]:
    store = open_blob_store(blob_url(request.param, tmp_path))
    await store.open()
    try:
        yield store
    finally:
        await store.close()
