"""Every limit refuses with its own code, before anything is written."""

from __future__ import annotations

import hashlib
import json
from typing import Iterator

from provgraph.service.limits import TokenBuckets

from .conftest import ClientFactory
from .support import TestClient, data, error, gql, post

ADMIN = {"admin": None, "other": None}
COUNT = "{ models { edges { node { id } } } }"


def model_count(client: TestClient, token: str | None = None) -> int:
    return len(data(client, COUNT, token=token)["models"]["edges"])


def test_query_depth_over_the_limit_is_refused_and_writes_nothing(make_client: ClientFactory) -> None:
    client = make_client(max_query_depth=3)
    assert data(client, 'mutation { registerModel(name: "m") { parents { parents { id } } } }')  # depth 3
    deep = 'mutation { registerModel(name: "m") { parents { parents { parents { id } } } } }'
    code, message = error(client, deep)
    assert code == "QUERY_TOO_DEEP" and "maximum operation depth of 3" in message
    assert "PROVGRAPH_MAX_QUERY_DEPTH" in message
    assert model_count(client) == 1
    # introspection is not counted, so GraphiQL's schema query always works
    assert data(client, "{ __schema { types { fields { type { ofType { ofType { name } } } } } } }")


def test_aliases_over_the_limit_are_refused_and_write_nothing(make_client: ClientFactory) -> None:
    client = make_client(max_aliases=2)
    ok = 'mutation { a: registerModel(name: "m") { id } b: registerModel(name: "m") { id } }'
    assert len(data(client, ok)) == 2
    three = ok[:-1] + 'c: registerModel(name: "m") { id } }'
    assert error(client, three) == ("TOO_MANY_ALIASES", "3 aliases found. Allowed: 2 (PROVGRAPH_MAX_ALIASES)")
    assert model_count(client) == 2


def test_fields_over_the_limit_are_refused_counting_fragments(make_client: ClientFactory) -> None:
    client = make_client(max_fields=4)
    assert data(client, 'mutation { registerModel(name: "m") { id name version } }')  # 4 fields
    spread = 'fragment F on Model { id name version } mutation { registerModel(name: "m") { ...F project } }'
    assert error(client, spread) == ("TOO_MANY_FIELDS", "5 fields selected; allowed: 4 (PROVGRAPH_MAX_FIELDS)")
    assert model_count(client) == 1


def chain(client: TestClient, length: int) -> None:
    data(client, 'mutation { registerModel(name: "m") { id } }')
    for _ in range(length - 1):
        data(client, 'mutation { registerModel(name: "m", parents: ["m:latest"]) { id } }')


def test_traversal_results_over_the_limit_are_refused(make_client: ClientFactory) -> None:
    client = make_client(max_traversal_nodes=3)
    chain(client, 5)
    assert len(data(client, '{ ancestors(id: "m:v4") { depth } }')["ancestors"]) == 3
    code, message = error(client, '{ ancestors(id: "m:v5") { depth } }')
    assert code == "TOO_COMPLEX" and "reach 4 nodes; allowed: 3" in message
    # the budget is per request: two traversals of 2 nodes each add up to 4
    two = '{ a: descendants(id: "m:v1", maxDepth: 2) { depth } b: descendants(id: "m:v2", maxDepth: 2) { depth } }'
    body = gql(client, two)
    assert [e["extensions"]["code"] for e in body["errors"]] == ["TOO_COMPLEX"]
    assert error(client, '{ lineage(id: "m:v5", maxDepth: 3) { nodes { id } } }')[0] == "TOO_COMPLEX"
    assert len(data(client, '{ lineage(id: "m:v5", maxDepth: 2) { nodes { id } } }')["lineage"]["nodes"]) == 3


def test_a_body_over_the_limit_is_refused_with_413_and_writes_nothing(make_client: ClientFactory) -> None:
    client = make_client(max_body_bytes=1024)
    big = {"query": 'mutation($m: JSON) { registerModel(name: "m", metadata: $m) { id } }',
           "variables": {"m": {"pad": "x" * 2000}}}
    response = client.post("/graphql", json=big)
    assert response.status_code == 413
    (err,) = response.json()["errors"]
    assert err["extensions"]["code"] == "PAYLOAD_TOO_LARGE" and "over the limit of 1024" in err["message"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        encoded = json.dumps(big).encode()
        for start in range(0, len(encoded), 500):
            yield encoded[start:start + 500]

    response = client.post("/graphql", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413 and response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    assert model_count(client) == 0
    # the bytes of a blob are not a request body in this sense: they stream to storage
    blob = b"y" * 5000

    assert client.put(f"/blobs/sha256/{hashlib.sha256(blob).hexdigest()}", content=blob).status_code == 201
    # a JSON endpoint other than /graphql answers the REST error shape
    response = client.post(f"/blobs/sha256/{'a' * 64}/uploads", content=b"{" + b" " * 2000 + b"}")
    assert response.status_code == 413 and response.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"


def test_each_token_has_its_own_rate_and_refusals_write_nothing(make_client: ClientFactory) -> None:
    client = make_client(auth_tokens=ADMIN, rate_limit=3)
    for _ in range(3):
        assert post(client, COUNT, token="admin").status_code == 200
    response = post(client, 'mutation { registerModel(name: "m") { id } }', token="admin")
    assert response.status_code == 429 and int(response.headers["retry-after"]) >= 1
    (err,) = response.json()["errors"]
    assert err["extensions"]["code"] == "RATE_LIMITED" and "more than 3 requests a minute" in err["message"]
    assert client.get("/livez").status_code == 200 and client.get("/metrics").status_code == 200
    assert client.get(f"/blobs/sha256/{'a' * 64}", headers={"Authorization": "Bearer admin"}).status_code == 429
    assert model_count(client, "other") == 0  # another token: its own bucket, and nothing was written


def test_token_buckets_refill_a_minute_worth_over_a_minute() -> None:
    now = [0.0]
    buckets = TokenBuckets(60, clock=lambda: now[0])
    assert all(buckets.take("k") == 0 for _ in range(60))
    assert buckets.take("k") == 1.0 and buckets.take("j") == 0
    now[0] = 2.0
    assert buckets.take("k") == 0 and buckets.take("k") == 0 and buckets.take("k") > 0
