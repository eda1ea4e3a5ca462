"""The HTTP surface around GraphQL: GraphiQL, the probes (/livez, /readyz, /healthz), 503
when a backend is down."""

from __future__ import annotations

import pytest

from .scenario import A
from .support import TestClient, data, post, services


def test_graphiql_on_get(client: TestClient) -> None:
    response = client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "graphiql" in response.text.lower()


def test_queries_via_get(client: TestClient) -> None:
    response = client.get("/graphql", params={"query": "{ models { edges { cursor } } }"})
    assert response.status_code == 200 and response.json() == {"data": {"models": {"edges": []}}}


@pytest.mark.parametrize("path", ["/readyz", "/healthz"])
def test_readiness_checks_both_backends(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "graph": "ok", "blobs": "ok"}


def test_livez(client: TestClient) -> None:
    response = client.get("/livez")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize("path", ["/livez", "/readyz", "/healthz"])
def test_probes_are_get_only(client: TestClient, path: str) -> None:
    assert client.post(path).status_code == 405


def test_long_literals_past_32_bits(client: TestClient) -> None:
    query = 'mutation { registerModel(name: "m", files: [{path: "a", digest: "%s", size: 5000000000}]) { files { size } } }' % A
    assert data(client, query) == {"registerModel": {"files": [{"size": 5_000_000_000}]}}


def close_graph(client: TestClient) -> None:
    """Take the graph store down under the running app, as an outage would."""
    client.portal.call(services(client).graph.close)  # type: ignore[union-attr]


def test_unavailable_graph_answers_503(client: TestClient) -> None:
    close_graph(client)
    response = post(client, "mutation { registerModel(name: \"m\") { id } }")
    assert response.status_code == 503
    assert response.json() == {"data": None, "errors": [{
        "message": "graph store is closed", "locations": [{"line": 1, "column": 12}],
        "path": ["registerModel"], "extensions": {"code": "UNAVAILABLE"},
    }]}
    for path in ("/readyz", "/healthz"):
        health = client.get(path)
        assert health.status_code == 503
        assert health.json() == {"status": "unavailable", "graph": "unavailable: graph store is closed", "blobs": "ok"}
    # Liveness asks no backend: a graph outage must not get a healthy pod restarted.
    live = client.get("/livez")
    assert (live.status_code, live.json()) == (200, {"status": "ok"})


def test_mixed_errors_are_not_503(client: TestClient) -> None:
    close_graph(client)
    response = post(client, '{ a: models { edges { cursor } } b: artifact(ref: "bad ref!") { id } }')
    assert response.status_code == 200
    codes = sorted(e["extensions"]["code"] for e in response.json()["errors"])
    assert codes == ["BAD_INPUT", "UNAVAILABLE"]

