"""Fixtures of the worker suite: a content store over each blob backend, and the
reference world (built as the service builds it) on each graph backend."""

from __future__ import annotations

import pytest

from provgraph.blobs import BlobStore
from provgraph.blobs.content import ContentStore
from provgraph.graph import GraphStore

from .world import World, build


@pytest.fixture
def content(blob_store: BlobStore) -> ContentStore:
    return ContentStore(blob_store)


@pytest.fixture
async def world(graph_store: GraphStore, content: ContentStore) -> World:
    return await build(graph_store, content)
