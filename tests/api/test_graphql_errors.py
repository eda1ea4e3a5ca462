"""Every refusal: exact code and message, and nothing written."""

from __future__ import annotations

from typing import Any, Callable

import pytest
from graphql import GraphQLError

from provgraph.schema.errors import INTERNAL_MESSAGE, coded

from .scenario import A, C2, build
from .support import TestClient, data, error

ClientFactory = Callable[..., TestClient]
UNKNOWN = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
REGISTER = """mutation($files: [FileInput!], $metadata: JSON, $parents: [ID!]) {
  registerModel(name: "m", files: $files, metadata: $metadata, parents: $parents) { id } }"""
STATE = """query($a: String!, $b: String!) { models { edges { node { id } } } datasets { edges { node { id } } }
  a: blob(digest: $a) { id } b: blob(digest: $b) { id } }"""


def snapshot(client: TestClient) -> dict[str, Any]:
    return data(client, STATE, {"a": A, "b": C2})


def refused(client: TestClient, variables: dict[str, Any]) -> tuple[str, str]:
    """Try ``REGISTER`` with ``variables``: its (code, message), once sure it wrote nothing."""
    before = snapshot(client)
    result = error(client, REGISTER, variables)
    assert snapshot(client) == before
    return result


def test_not_found(client: TestClient) -> None:
    assert error(client, "{ ancestors(id: \"%s\") { depth } }" % UNKNOWN) == ("NOT_FOUND", f"no node with id '{UNKNOWN}'")
    assert error(client, "{ artifact(ref: \"ghost:v1\") { id } }") == (
        "NOT_FOUND", "no dataset or model matches ref 'ghost:v1'",
    )
    assert refused(client, {"parents": ["ghost:v3"]}) == ("NOT_FOUND", "no dataset or model matches ref 'ghost:v3'")
    assert error(client, "mutation { finishRun(id: \"%s\", status: COMPLETED) { id } }" % UNKNOWN) == (
        "NOT_FOUND", f"no node with id '{UNKNOWN}'",
    )


def test_bad_files(client: TestClient) -> None:
    assert refused(client, {"files": [{"path": "a.bin", "digest": "xyz", "size": 1}]}) == (
        "BAD_INPUT", "malformed digest 'xyz': expected 64 lowercase hex characters (SHA-256)",
    )
    assert refused(client, {"files": [{"path": "a.bin", "digest": A.upper(), "size": 1}]})[0] == "BAD_INPUT"
    assert refused(client, {"files": [{"path": "a.bin", "digest": A, "size": -1}]}) == (
        "BAD_INPUT", "size of 'a.bin' -1 is negative",
    )
    files = [{"path": "a.bin", "digest": A, "size": 1}, {"path": "a.bin", "digest": C2, "size": 1}]
    assert refused(client, {"files": files}) == ("BAD_INPUT", "duplicate file path 'a.bin'")


def test_metadata_must_be_a_small_json_object(make_client: ClientFactory) -> None:
    client = make_client(max_json_bytes=64)
    assert refused(client, {"metadata": {"notes": "x" * 60}}) == (
        "BAD_INPUT", "metadata is 72 bytes of JSON; the limit is 64",
    )
    assert refused(client, {"metadata": ["a", "b"]}) == ("BAD_INPUT", "metadata must be a JSON object, got list")
    assert refused(client, {"metadata": "text"}) == ("BAD_INPUT", "metadata must be a JSON object, got str")
    data(client, REGISTER, {"metadata": {"notes": "fits"}})


@pytest.mark.parametrize("depth", [0, -1, 1_000_001])
def test_max_depth_out_of_range(client: TestClient, depth: int) -> None:
    s = build(client)
    query = "query($id: ID!, $d: Int) { ancestors(id: $id, maxDepth: $d) { depth } }"
    assert error(client, query, {"id": s.v2, "d": depth}) == (
        "BAD_INPUT", f"maxDepth {depth} is out of range: use 1..1000000, or omit it",
    )


@pytest.mark.parametrize("first", [0, 1001])
def test_first_out_of_range(client: TestClient, first: int) -> None:
    assert error(client, "query($n: Int) { models(first: $n) { edges { cursor } } }", {"n": first}) == (
        "BAD_INPUT", f"first={first} is out of range: use 1..1000",
    )


def test_graphql_level_errors_are_bad_input(client: TestClient) -> None:
    code, message = error(client, "{ nope }")
    assert (code, message) == ("BAD_INPUT", "Cannot query field 'nope' on type 'Query'. Did you mean 'node'?")
    query = "mutation($s: Long!) { registerModel(name: \"m\", files: [{path: \"a\", digest: \"%s\", size: $s}]) { id } }" % A
    for size, reason in ((1.5, "Long must be an integer, got 1.5"), (2**63, f"Long {2**63} is outside the 64-bit range")):
        code, message = error(client, query, {"s": size})
        assert (code, message) == ("BAD_INPUT", (
            f"Variable '$s' has invalid value: Expected value of type 'Long', "
            f"but encountered error '{reason}'; found: {size}."
        ))
    assert data(client, "{ models { edges { cursor } } }") == {"models": {"edges": []}}


def test_conflict(client: TestClient) -> None:
    query = "mutation { registerDataset(name: \"d\", version: \"v1\", files: []) { id } }"
    data(client, query)
    assert error(client, query) == ("CONFLICT", "dataset default/d:v1 already exists")


def test_cycle(client: TestClient) -> None:
    s = build(client)
    link = "mutation($s: ID!, $t: ID!) { link(source: $s, target: $t, type: DERIVED_FROM) { type } }"
    assert error(client, link, {"s": s.v1, "t": s.v2}) == (
        "CYCLE", f"DERIVED_FROM from {s.v1} to {s.v2} would close a cycle: {s.v2} already derives from {s.v1}",
    )
    ancestors = data(client, "query($id: ID!) { ancestors(id: $id) { node { id } } }", {"id": s.v1})["ancestors"]
    assert s.v2 not in {h["node"]["id"] for h in ancestors}


def test_wrong_kind_is_bad_input(client: TestClient) -> None:
    s = build(client)
    query = "mutation($m: ID!) { setAlias(model: $m, alias: \"prod\") { id } }"
    assert error(client, query, {"m": s.raw}) == ("BAD_INPUT", f"'{s.raw}' is a dataset, expected a model")


def test_unexpected_exceptions_become_internal_without_details() -> None:
    bug = GraphQLError("secret path /etc/x", path=["node"], original_error=KeyError("secret"))
    formatted = coded(bug).formatted
    assert formatted["message"] == INTERNAL_MESSAGE
    assert formatted["extensions"] == {"code": "INTERNAL"}
