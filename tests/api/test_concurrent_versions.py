"""32 concurrent registerModel calls for one name, over HTTP, on every graph backend:
32 distinct versions, v1 to v32."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from ..conftest import GRAPH_BACKENDS, graph_url
from .conftest import ClientFactory
from .support import data

REGISTER = 'mutation($name: String!) { registerModel(name: $name) { version } }'


@pytest.mark.parametrize("backend", GRAPH_BACKENDS)
def test_32_concurrent_registrations_get_32_versions(backend: str, make_client: ClientFactory, tmp_path: Path) -> None:
    client = make_client(graph_url=graph_url(backend, tmp_path))
    name = f"hot-{uuid.uuid4().hex[:8]}"
    with ThreadPoolExecutor(32) as pool:
        versions = list(pool.map(lambda _: data(client, REGISTER, {"name": name})["registerModel"]["version"], range(32)))
    assert sorted(versions, key=lambda v: int(v[1:])) == [f"v{i}" for i in range(1, 33)]
