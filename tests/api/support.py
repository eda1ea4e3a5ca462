"""Helpers of the API suite: GraphQL over HTTP, and quick ways to read results."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from provgraph.config import Settings
from provgraph.services import Services

with warnings.catch_warnings():
    # Starlette 1.10 asks for httpx2 but works with httpx, which is what we install.
    warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient` is deprecated")
    from starlette.testclient import TestClient

__all__ = ["TestClient", "data", "error", "gql", "post", "services", "settings_for"]

JSON = dict[str, Any]


def settings_for(tmp_path: Path, **overrides: Any) -> Settings:
    """Settings of a service on its own SQLite file and blob folder under ``tmp_path``."""
    base = Settings(graph_url=f"sqlite:///{tmp_path}/graph.db", blob_url=f"file://{tmp_path}/blobs")
    return Settings(**{**base.__dict__, **overrides})


def post(client: TestClient, query: str, variables: JSON | None = None, token: str | None = None) -> Any:
    """POST one GraphQL request; the raw HTTP response."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)


def gql(client: TestClient, query: str, variables: JSON | None = None, token: str | None = None) -> JSON:
    """POST one GraphQL request; its JSON body."""
    body: JSON = post(client, query, variables, token).json()
    return body


def data(client: TestClient, query: str, variables: JSON | None = None, token: str | None = None) -> JSON:
    """The ``data`` of a request that must succeed (HTTP 200, no errors)."""
    response = post(client, query, variables, token)
    body = response.json()
    assert response.status_code == 200 and "errors" not in body, body
    result: JSON = body["data"]
    return result


def error(client: TestClient, query: str, variables: JSON | None = None, token: str | None = None) -> tuple[str, str]:
    """``(code, message)`` of the one error of a request that must fail."""
    body = gql(client, query, variables, token)
    assert len(body.get("errors", [])) == 1, body
    (err,) = body["errors"]
    return err["extensions"]["code"], err["message"]


def services(client: TestClient) -> Services:
    found: Services = client.app.state.services  # type: ignore[attr-defined]
    return found
