"""Writes through GraphQL: the fields they return, versions, aliases, idempotent retries."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor

from provgraph.digest import manifest_digest

from .scenario import A, B, BIG, C1, Scenario, build
from .support import TestClient, data, error

MODEL = "mutation($v: String, $id: ID) { registerModel(name: \"m\", version: $v, id: $id) { id version } }"
COUNT = "{ models(first: 1000) { edges { node { id version } } } }"


def model_versions(client: TestClient) -> list[str]:
    return sorted(e["node"]["version"] for e in data(client, COUNT)["models"]["edges"])


def test_versions_auto_and_explicit(client: TestClient) -> None:
    versions = [data(client, MODEL, {"v": v})["registerModel"]["version"] for v in (None, None, "1.0.0", "v5", None)]
    assert versions == ["v1", "v2", "1.0.0", "v5", "v6"]


def test_duplicate_explicit_version_is_a_conflict(client: TestClient) -> None:
    data(client, MODEL, {"v": "1.0.0"})
    assert error(client, MODEL, {"v": "1.0.0"}) == ("CONFLICT", "model default/m:1.0.0 already exists")
    assert model_versions(client) == ["1.0.0"]


def test_concurrent_registrations_get_distinct_versions(client: TestClient) -> None:
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: data(client, MODEL)["registerModel"]["version"], range(8)))
    assert sorted(results, key=lambda v: int(v[1:])) == [f"v{i}" for i in range(1, 9)]
    assert model_versions(client) == sorted(f"v{i}" for i in range(1, 9))


def test_client_chosen_id_makes_a_retry_idempotent(client: TestClient) -> None:
    node_id = "01J0000000000000000000TEST"
    first = data(client, MODEL, {"id": node_id})["registerModel"]
    again = data(client, MODEL, {"id": node_id})["registerModel"]
    assert first == again == {"id": node_id, "version": "v1"}
    assert model_versions(client) == ["v1"]


def test_dataset_fields(client: TestClient) -> None:
    query = """mutation($files: [FileInput!]!) { registerDataset(name: "d", files: $files, version: "2024-06",
      stats: {mewtwo: 50000}, metadata: {owner: "ml"}, tags: ["replays", "gen9"], source: "s3://bucket/x") {
      kind project name version manifestDigest fileCount totalBytes stats metadata tags source } }"""
    files = [{"path": "b.bin", "digest": B, "size": BIG}, {"path": "a.bin", "digest": A, "size": 5}]
    assert data(client, query, {"files": files})["registerDataset"] == {
        "kind": "DATASET", "project": "default", "name": "d", "version": "2024-06",
        "manifestDigest": manifest_digest([("a.bin", A), ("b.bin", B)]).hex,
        "fileCount": 2, "totalBytes": BIG + 5, "stats": {"mewtwo": 50000}, "metadata": {"owner": "ml"},
        "tags": ["replays", "gen9"], "source": "s3://bucket/x",
    }


def test_run_lifecycle_and_inputs(client: TestClient) -> None:
    s = build(client)
    query = """query($id: ID!) { node(id: $id) { ... on Run { name runKind status params metrics error
      startedAt endedAt durationS inputs { role node { id kind } } } } }"""
    run = data(client, query, {"id": s.run2})["node"]
    assert (run["name"], run["runKind"], run["status"], run["metrics"], run["error"]) == (
        "finetune", "training", "COMPLETED", {"loss": 0.5}, None,
    )
    assert run["startedAt"] <= run["endedAt"] and run["durationS"] >= 0
    assert sorted((i["role"], i["node"]["id"], i["node"]["kind"]) for i in run["inputs"]) == sorted([
        ("train", s.filtered, "DATASET"), ("base_model", s.v1, "MODEL"),
    ])


def test_start_run_records_params_and_provenance(client: TestClient) -> None:
    query = """mutation { startRun(name: "t", kind: "evaluation", params: {lr: 0.001},
      provenance: {git: {commit: "abc", dirty: false}}, tags: ["x"]) {
      status runKind params provenance tags endedAt durationS } }"""
    assert data(client, query)["startRun"] == {
        "status": "RUNNING", "runKind": "evaluation", "params": {"lr": 0.001},
        "provenance": {"git": {"commit": "abc", "dirty": False}}, "tags": ["x"], "endedAt": None, "durationS": None,
    }


def test_finish_twice_with_another_status_is_a_conflict(client: TestClient) -> None:
    run_id = data(client, "mutation { startRun(name: \"t\") { id } }")["startRun"]["id"]
    finish = "mutation($id: ID!, $s: RunStatus!) { finishRun(id: $id, status: $s, error: \"oom\") { status error } }"
    assert data(client, finish, {"id": run_id, "s": "FAILED"})["finishRun"] == {"status": "FAILED", "error": "oom"}
    assert data(client, finish, {"id": run_id, "s": "FAILED"})["finishRun"]["status"] == "FAILED"
    assert error(client, finish, {"id": run_id, "s": "COMPLETED"}) == (
        "CONFLICT", f"run {run_id} already finished as FAILED",
    )


def test_model_relations_status_and_description(client: TestClient) -> None:
    s = build(client)
    query = """query { artifact(ref: "mamba:v2") { ... on Model { status description
      parents { id } generatedBy { id } files { path blob { id size history { status } } } } } }"""
    assert data(client, query)["artifact"] == {
        "status": "COMPLETED", "description": None, "parents": [{"id": s.v1}], "generatedBy": {"id": s.run2},
        "files": [{"path": "ckpt.bin", "blob": {"id": f"sha256:{hashlib.sha256(b'ckpt-v2').hexdigest()}", "size": 1234, "history": []}}],
    }
    set_status = "mutation { setModelStatus(model: \"mamba:v2\", status: DEPRECATED) { id status } }"
    assert data(client, set_status)["setModelStatus"] == {"id": s.v2, "status": "DEPRECATED"}
    draft = """mutation { registerModel(name: "n", status: DRAFT, description: "first try") { status description } }"""
    assert data(client, draft)["registerModel"] == {"status": "DRAFT", "description": "first try"}


def test_evaluation_fields(client: TestClient) -> None:
    s = build(client)
    query = """query($id: ID!) { node(id: $id) { name ... on Evaluation { metrics params
      model { id } dataset { id } generatedBy { id } files { path } } } }"""
    assert data(client, query, {"id": s.evaluation})["node"] == {
        "name": "mamba-v2-eval", "metrics": {"accuracy": 0.85}, "params": {},
        "model": {"id": s.v2}, "dataset": {"id": s.filtered}, "generatedBy": None, "files": [],
    }
    named = """mutation { recordEvaluation(model: "mamba:v1", name: "mmlu", metrics: {acc: 0.5},
      params: {shots: 5}, files: [{path: "results.jsonl", digest: "%s", size: 7, role: "results"}]) {
      name params files { path role } } }""" % hashlib.sha256(b"results").hexdigest()
    assert data(client, named)["recordEvaluation"] == {
        "name": "mmlu", "params": {"shots": 5}, "files": [{"path": "results.jsonl", "role": "results"}],
    }


def test_dataset_relations(client: TestClient) -> None:
    s = build(client)
    query = "query($id: ID!) { node(id: $id) { ... on Dataset { derivedFrom { id } generatedBy { id } } } }"
    assert data(client, query, {"id": s.filtered})["node"] == {"derivedFrom": [{"id": s.raw}], "generatedBy": None}


def test_link_adds_an_edge(client: TestClient) -> None:
    s: Scenario = build(client)
    link = """mutation($s: ID!, $t: ID!) { link(source: $s, target: $t, type: USED, role: "val") {
      source target type role } }"""
    assert data(client, link, {"s": s.run2, "t": "replays:v1"})["link"] == {
        "source": s.run2, "target": s.raw, "type": "USED", "role": "val",
    }
    inputs = data(client, "query($id: ID!) { node(id: $id) { ... on Run { inputs { role } } } }", {"id": s.run2})
    assert sorted(i["role"] for i in inputs["node"]["inputs"]) == ["base_model", "train", "val"]


def test_blob_query(client: TestClient) -> None:
    build(client)
    query = "query($d: String!) { blob(digest: $d) { id digest size status verifiedAt mediaType history { status } } }"
    expected = {"id": f"sha256:{C1}", "digest": C1, "size": BIG, "status": "PENDING", "verifiedAt": None,
                "mediaType": None, "history": []}
    assert data(client, query, {"d": C1})["blob"] == expected
    assert data(client, query, {"d": f"sha256:{C1}"})["blob"] == expected
    assert data(client, query, {"d": "0" * 64}) == {"blob": None}


def test_same_files_again_are_the_same_dataset_version(client: TestClient) -> None:
    query = """mutation($files: [FileInput!]!) { registerDataset(name: "same", files: $files) { id version } }"""
    files = [{"path": "a", "digest": "a" * 64, "size": 1}]
    first = data(client, query, {"files": files})["registerDataset"]
    again = data(client, query, {"files": files})["registerDataset"]
    changed = data(client, query, {"files": files + [{"path": "b", "digest": "b" * 64, "size": 2}]})["registerDataset"]
    assert again == first and first["version"] == "v1" and changed["version"] == "v2"


def test_refs_inside_a_mutation_resolve_in_its_project(client: TestClient) -> None:
    register = """mutation($project: String!, $parents: [ID!]) {
      registerModel(name: "m", project: $project, parents: $parents) { id project version } }"""
    default_v1 = data(client, register, {"project": "default"})["registerModel"]
    team_v1 = data(client, register, {"project": "team"})["registerModel"]
    team_v2 = data(client, register, {"project": "team", "parents": ["m:v1"]})["registerModel"]
    lineage = data(client, '{ ancestors(id: "team/m:v2") { node { id } } }')["ancestors"]
    assert [hop["node"]["id"] for hop in lineage] == [team_v1["id"]]
    assert default_v1["id"] != team_v1["id"] and team_v2["version"] == "v2"
