"""Tokens: UNAUTHENTICATED (HTTP 401) without a known one, FORBIDDEN outside its projects.
(What a token may read: test_read_isolation.)"""

from __future__ import annotations

from typing import Callable

from provgraph.auth import Grant

from .support import TestClient, data, error, post

ClientFactory = Callable[..., TestClient]
TOKENS = {"admin-token": None, "team-a-token": Grant.parse("a|read:*")}
QUERY = "{ models { edges { node { id } } } }"


def models_of(client: TestClient, project: str) -> list[str]:
    query = "query($p: String) { models(project: $p) { edges { node { id } } } }"
    return [e["node"]["id"] for e in data(client, query, {"p": project}, "admin-token")["models"]["edges"]]


def test_missing_or_unknown_token_is_401(make_client: ClientFactory) -> None:
    client = make_client(auth_tokens=TOKENS)
    for token, message in (
        (None, "missing token: send 'Authorization: Bearer <token>' (PROVGRAPH_TOKEN)"),
        ("nope", "unknown token: check PROVGRAPH_TOKEN"),
    ):
        response = post(client, QUERY, token=token)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json() == {"data": None, "errors": [{"message": message, "extensions": {"code": "UNAUTHENTICATED"}}]}
    response = client.post("/graphql", json={"query": QUERY}, headers={"Authorization": "Basic abc"})
    assert response.status_code == 401
    assert response.json()["errors"][0]["message"] == "malformed Authorization header: expected 'Bearer <token>'"


def test_unauthenticated_writes_write_nothing(make_client: ClientFactory) -> None:
    client = make_client(auth_tokens=TOKENS)
    assert post(client, "mutation { registerModel(name: \"m\") { id } }").status_code == 401
    assert models_of(client, "default") == []


def test_a_token_granted_read_star_reads_everything(make_client: ClientFactory) -> None:
    client = make_client(auth_tokens=TOKENS)
    assert data(client, QUERY, token="team-a-token") == {"models": {"edges": []}}


def test_scoped_token_may_not_write_other_projects(make_client: ClientFactory) -> None:
    client = make_client(auth_tokens=TOKENS)
    write = "mutation($p: String) { registerModel(name: \"m\", project: $p) { id project } }"
    assert error(client, write, {"p": "b"}, "team-a-token") == (
        "FORBIDDEN", "this token may not write project 'b'; it may write: a",
    )
    assert error(client, write, {}, "team-a-token")[0] == "FORBIDDEN"  # the default project
    assert models_of(client, "b") == [] and models_of(client, "default") == []
    assert data(client, write, {"p": "a"}, "team-a-token")["registerModel"]["project"] == "a"
    assert data(client, write, {"p": "b"}, "admin-token")["registerModel"]["project"] == "b"


def test_scoped_token_may_not_change_nodes_of_other_projects(make_client: ClientFactory) -> None:
    client = make_client(auth_tokens=TOKENS)
    run_id = data(client, "mutation { startRun(name: \"r\", project: \"b\") { id } }", token="admin-token")["startRun"]["id"]
    data(client, "mutation { registerModel(name: \"m\", project: \"b\") { id } }", token="admin-token")
    finish = "mutation($id: ID!) { finishRun(id: $id, status: COMPLETED) { status } }"
    forbidden = ("FORBIDDEN", "this token may not write project 'b'; it may write: a")
    assert error(client, finish, {"id": run_id}, "team-a-token") == forbidden
    assert error(client, "mutation { setAlias(model: \"b/m:v1\", alias: \"prod\") { id } }", token="team-a-token") == forbidden
    status = "query($id: ID!) { node(id: $id) { ... on Run { status } } }"
    assert data(client, status, {"id": run_id}, "admin-token") == {"node": {"status": "RUNNING"}}


def test_graphiql_page_needs_no_token(make_client: ClientFactory) -> None:
    client = make_client(auth_tokens=TOKENS)
    response = client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200 and "graphiql" in response.text.lower()
    assert client.get("/graphql", params={"query": QUERY}).status_code == 401
