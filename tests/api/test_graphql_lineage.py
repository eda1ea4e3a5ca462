"""Ancestry, impact, lineage subgraphs, paths and refs over the reference scenario."""

from __future__ import annotations

from typing import Any

import pytest

from .scenario import A, B, BIG, C1, C2, Scenario, build
from .support import TestClient, data, error


@pytest.fixture
def scenario(client: TestClient) -> Scenario:
    return build(client)


HOPS = "query($id: ID!, $depth: Int, $kinds: [NodeKind!]) { %s(id: $id, maxDepth: $depth, kinds: $kinds) { depth node { id kind } } }"
LINEAGE = """query($id: ID!, $dir: Direction) { lineage(id: $id, direction: $dir) {
  nodes { id } edges { source target type role } } }"""


def hops(client: TestClient, s: Scenario, field: str, node: str, **variables: Any) -> dict[str, int]:
    result = data(client, HOPS % field, {"id": node, **variables})[field]
    return {s.names()[h["node"]["id"]]: h["depth"] for h in result}


def edges(s: Scenario, result: dict[str, Any]) -> set[tuple[str, str, str, str | None]]:
    n = s.names()
    return {(n[e["source"]], n[e["target"]], e["type"], e["role"]) for e in result["edges"]}


def test_ancestors_of_v2_with_shortest_depths(client: TestClient, scenario: Scenario) -> None:
    assert hops(client, scenario, "ancestors", scenario.v2) == {
        "run2": 1, "v1": 1, "C2": 1,
        "filtered": 2, "run1": 2, "C1": 2,
        "raw": 3, "A": 3,
        "B": 4,
    }


def test_ancestors_bounded_and_filtered(client: TestClient, scenario: Scenario) -> None:
    assert hops(client, scenario, "ancestors", "mamba:v2", depth=1) == {"run2": 1, "v1": 1, "C2": 1}
    assert hops(client, scenario, "ancestors", "mamba:v2", kinds=["DATASET"]) == {"filtered": 2, "raw": 3}


def test_hops_are_ordered_by_depth_then_id(client: TestClient, scenario: Scenario) -> None:
    result = data(client, HOPS % "ancestors", {"id": scenario.v2})["ancestors"]
    keys = [(h["depth"], h["node"]["id"]) for h in result]
    assert keys == sorted(keys)


def test_descendants_of_raw_dataset(client: TestClient, scenario: Scenario) -> None:
    assert hops(client, scenario, "descendants", scenario.raw) == {
        "filtered": 1, "run1": 1, "run2": 2, "evaluation": 2, "v1": 2, "v2": 3,
    }


def test_descendants_of_blobs_are_their_impact(client: TestClient, scenario: Scenario) -> None:
    assert hops(client, scenario, "descendants", f"sha256:{C1}") == {"v1": 1, "run2": 2, "v2": 2, "evaluation": 3}
    assert hops(client, scenario, "descendants", f"sha256:{A}", kinds=["MODEL"]) == {"v1": 3, "v2": 3}


def test_lineage_upstream(client: TestClient, scenario: Scenario) -> None:
    result = data(client, LINEAGE, {"id": scenario.v2})["lineage"]
    names = scenario.names()
    assert {names[n["id"]] for n in result["nodes"]} == {
        "v2", "run2", "v1", "C2", "filtered", "run1", "C1", "raw", "A", "B",
    }
    assert edges(scenario, result) == {
        ("v2", "run2", "GENERATED_BY", None), ("v2", "v1", "DERIVED_FROM", None),
        ("v2", "C2", "HAS_FILE", "ckpt.bin"), ("run2", "filtered", "USED", "train"),
        ("run2", "v1", "USED", "base_model"), ("v1", "run1", "GENERATED_BY", None),
        ("v1", "C1", "HAS_FILE", "ckpt.bin"), ("run1", "raw", "USED", "train"),
        ("filtered", "raw", "DERIVED_FROM", None), ("filtered", "A", "HAS_FILE", "a.jsonl"),
        ("raw", "A", "HAS_FILE", "a.jsonl"), ("raw", "B", "HAS_FILE", "b.jsonl"),
    }


def test_lineage_downstream_and_both(client: TestClient, scenario: Scenario) -> None:
    down = data(client, LINEAGE, {"id": scenario.v1, "dir": "DOWNSTREAM"})["lineage"]
    assert edges(scenario, down) == {
        ("run2", "v1", "USED", "base_model"), ("v2", "v1", "DERIVED_FROM", None),
        ("v2", "run2", "GENERATED_BY", None), ("evaluation", "v2", "EVALUATES", None),
    }
    both = data(client, LINEAGE, {"id": scenario.v1, "dir": "BOTH"})["lineage"]
    names = scenario.names()
    assert {names[n["id"]] for n in both["nodes"]} == {"v1", "run1", "C1", "raw", "A", "B", "run2", "v2", "evaluation"}
    assert edges(scenario, both) == edges(scenario, down) | {
        ("v1", "run1", "GENERATED_BY", None), ("v1", "C1", "HAS_FILE", "ckpt.bin"),
        ("run1", "raw", "USED", "train"), ("raw", "A", "HAS_FILE", "a.jsonl"), ("raw", "B", "HAS_FILE", "b.jsonl"),
    }


def test_lineage_nodes_carry_their_type_fields(client: TestClient, scenario: Scenario) -> None:
    query = """query($id: ID!) { lineage(id: $id) { nodes { id kind
      ... on Model { version files { path size digest status role } }
      ... on Blob { digest size status } } } }"""
    nodes = {n["id"]: n for n in data(client, query, {"id": scenario.v2})["lineage"]["nodes"]}
    assert nodes[scenario.v1]["version"] == "v1"
    assert nodes[scenario.v1]["files"] == [
        {"path": "ckpt.bin", "size": BIG, "digest": C1, "status": "PENDING", "role": "checkpoint"}
    ]
    assert nodes[f"sha256:{B}"] == {"id": f"sha256:{B}", "kind": "BLOB", "digest": B, "size": 20, "status": "PENDING"}


PATH = """query($a: ID!, $b: ID!, $dir: PathDirection) { path(source: $a, target: $b, direction: $dir) {
  direction nodes { id } edges { source target type } } }"""
UP_EDGES = [("evaluation", "filtered", "ON"), ("filtered", "raw", "DERIVED_FROM")]


def path_of(client: TestClient, s: Scenario, a: str, b: str, direction: str | None = None) -> Any:
    result = data(client, PATH, {"a": a, "b": b, "dir": direction})["path"]
    if result is None:
        return None
    n = s.names()
    return (result["direction"], [n[x["id"]] for x in result["nodes"]],
            [(n[e["source"]], n[e["target"]], e["type"]) for e in result["edges"]])


def test_path_goes_from_source_to_target_and_says_which_way(client: TestClient, scenario: Scenario) -> None:
    up = ("UPSTREAM", ["evaluation", "filtered", "raw"], UP_EDGES)
    down = ("DOWNSTREAM", ["raw", "filtered", "evaluation"], UP_EDGES[::-1])
    for direction in (None, "ANY", "UPSTREAM"):
        assert path_of(client, scenario, scenario.evaluation, scenario.raw, direction) == up
    for direction in (None, "ANY", "DOWNSTREAM"):
        assert path_of(client, scenario, scenario.raw, scenario.evaluation, direction) == down
    assert path_of(client, scenario, scenario.evaluation, scenario.raw, "DOWNSTREAM") is None
    assert path_of(client, scenario, scenario.raw, scenario.evaluation, "UPSTREAM") is None
    assert error(client, PATH, {"a": scenario.raw, "b": "nope:v9"}) == (
        "NOT_FOUND", "no dataset or model matches ref 'nope:v9'")


def test_lineage_both_returns_every_edge_among_its_nodes(client: TestClient, scenario: Scenario) -> None:
    """Asked of a node in the middle, BOTH also returns edges from a descendant straight to
    an ancestor, which neither walk takes (the evaluation's ON edge to the filtered set)."""
    result = data(client, LINEAGE, {"id": scenario.run2, "dir": "BOTH"})["lineage"]
    found = edges(scenario, result)
    assert ("evaluation", "filtered", "ON", None) in found
    n = scenario.names()
    ids = {x["id"] for x in result["nodes"]}
    assert all(e["source"] in ids and e["target"] in ids for e in result["edges"])
    assert {n[i] for i in ids} >= {"evaluation", "filtered", "run2", "v2"}


def test_path_is_null_between_unrelated_nodes(client: TestClient, scenario: Scenario) -> None:
    assert data(client, PATH, {"a": scenario.raw, "b": f"sha256:{C2}"}) == {"path": None}


ARTIFACT = "query($ref: String!) { artifact(ref: $ref) { id ... on Model { version aliases } } }"


def test_artifact_refs(client: TestClient, scenario: Scenario) -> None:
    def resolve(ref: str) -> str:
        node_id: str = data(client, ARTIFACT, {"ref": ref})["artifact"]["id"]
        return node_id

    assert resolve("mamba:v2") == scenario.v2
    assert resolve("default/mamba:v2") == scenario.v2
    assert resolve("mamba:latest") == scenario.v2
    assert resolve("mamba") == scenario.v2
    assert resolve("mamba:v1") == scenario.v1
    assert resolve(scenario.v1) == scenario.v1
    assert resolve("replays") == scenario.raw
    assert error(client, ARTIFACT, {"ref": "mamba@production"}) == (
        "NOT_FOUND", "no dataset or model matches ref 'mamba@production'",
    )
    alias = "mutation($m: ID!) { setAlias(model: $m, alias: \"production\") { id aliases } }"
    assert data(client, alias, {"m": "mamba:v1"})["setAlias"] == {"id": scenario.v1, "aliases": ["production"]}
    assert resolve("mamba@production") == scenario.v1
    data(client, alias, {"m": scenario.v2})  # moving the alias takes it off v1
    assert data(client, ARTIFACT, {"ref": "mamba@production"})["artifact"] == {
        "id": scenario.v2, "version": "v2", "aliases": ["production"],
    }
    assert data(client, ARTIFACT, {"ref": "mamba:v1"})["artifact"]["aliases"] == []


def test_node_by_id_ref_and_unknown(client: TestClient, scenario: Scenario) -> None:
    query = "query($id: ID!) { node(id: $id) { id kind name } }"
    assert data(client, query, {"id": scenario.run1})["node"] == {"id": scenario.run1, "kind": "RUN", "name": "train"}
    assert data(client, query, {"id": "replays-filtered:v1"})["node"]["id"] == scenario.filtered
    assert data(client, query, {"id": "01ARZ3NDEKTSV4RRFFQ69G5FAV"}) == {"node": None}
