"""Backends that fail for real: an S3 server refusing the credentials, and a Neo4j
server down at start-up, taken away mid-service, and brought back."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Iterator

import pytest

from provgraph.blobs import open_blob_store
from provgraph.errors import Unavailable
from provgraph.service.app import create_app

from ..backends import server_url
from .support import TestClient, post, settings_for

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "outage-test-password"
REGISTER = 'mutation { registerModel(name: "m") { version } }'


def services_sh(state: Path, port: int, command: str) -> None:
    env = {**os.environ, "PROVGRAPH_SERVICES_DIR": str(state), "NEO4J_PORT": str(port),
           "PROVGRAPH_NEO4J_AUTH": f"neo4j/{PASSWORD}"}
    subprocess.run(["bash", str(ROOT / "scripts" / "services.sh"), command], env=env, check=True,
                   capture_output=True, timeout=180)


@pytest.fixture
def neo4j_state(tmp_path: Path) -> Iterator[Path]:
    state = tmp_path / "neo4j-outage"
    yield state
    subprocess.run(["bash", str(ROOT / "scripts" / "services.sh"), "neo4j-stop"],
                   env={**os.environ, "PROVGRAPH_SERVICES_DIR": str(state)}, capture_output=True, timeout=60)


def answer(client: TestClient) -> tuple[int, str | None]:
    response = post(client, REGISTER)
    body = response.json()
    code = body["errors"][0]["extensions"]["code"] if body.get("errors") else None
    return response.status_code, code


def probes(client: TestClient) -> dict[str, int]:
    return {path: client.get(path).status_code for path in ("/livez", "/readyz", "/healthz")}


@pytest.mark.timeout(300)
def test_neo4j_down_at_start_then_back_then_gone_then_back(tmp_path: Path, neo4j_state: Path) -> None:
    server_url("graph")  # the real-server suites' opt-out applies here too
    from benchmarks.server import free_port

    port = free_port()
    graph = f"bolt://neo4j:{PASSWORD}@127.0.0.1:{port}"
    with TestClient(create_app(settings_for(tmp_path, graph_url=graph))) as client:
        assert answer(client) == (503, "UNAVAILABLE")
        assert probes(client) == {"/livez": 200, "/readyz": 503, "/healthz": 503}

        services_sh(neo4j_state, port, "neo4j-start")
        assert answer(client) == (200, None)
        assert probes(client) == {"/livez": 200, "/readyz": 200, "/healthz": 200}

        services_sh(neo4j_state, port, "neo4j-stop")
        assert answer(client) == (503, "UNAVAILABLE")
        assert probes(client) == {"/livez": 200, "/readyz": 503, "/healthz": 503}
        assert client.get("/readyz").json()["graph"].startswith("unavailable: ")

        services_sh(neo4j_state, port, "neo4j-start")
        assert answer(client) == (200, None)
        versions = post(client, '{ models(name: "m") { edges { node { version } } } }').json()
        assert [e["node"]["version"] for e in versions["data"]["models"]["edges"]] == ["v2", "v1"]


@pytest.mark.anyio
async def test_wrong_s3_credentials_are_unavailable_with_a_clear_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = server_url("blob")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    store = open_blob_store(url)
    with pytest.raises(Unavailable) as err:
        await store.open()
    await store.close()
    assert "S3 refused the credentials" in err.value.message
    assert "check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY" in err.value.message
