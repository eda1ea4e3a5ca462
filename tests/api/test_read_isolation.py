"""Read isolation through the real app, on SQLite and Neo4j: a token sees only the
projects it may read, through every query, traversal, blob GET and write that names a node.

The graph (project/name; arrows point from the derived thing to its origin):

    a/model ──GENERATED_BY── a/run ──USED── b/clean ──DERIVED_FROM── a/raw, a/orphan
                               └───USED── a/side ──DERIVED_FROM── a/mid ──DERIVED_FROM── a/raw

``a/raw`` is 3 hops above the run through ``b/clean`` but 4 through ``a/side``: a reader of
``a`` alone finds it at 4. ``a/orphan`` hangs only under ``b/clean``: that reader never
reaches it from ``a/model``, though it may read it. Blob RAW is a file of a/raw, CLEAN of
b/clean only; CLEAN is corrupt.
"""

from __future__ import annotations

import asyncio
import hashlib
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest

from provgraph.auth import Grant
from provgraph.digest import Digest
from provgraph.graph import open_graph_store
from provgraph.ids import utcnow
from provgraph.model import BlobStatus
from provgraph.service.app import create_app

from ..conftest import GRAPH_BACKENDS, graph_url, wipe
from .scenario import hexdigest
from .support import TestClient, data, error, settings_for

ADMIN, A, READ_A, A_READ_B = "admin-token", "team-a-token", "a-reader-token", "a-and-b-reader"
TOKENS = {
    ADMIN: Grant(),
    A: Grant.parse("a"),
    READ_A: Grant.parse("read:a"),
    A_READ_B: Grant.parse("a|read:b"),
}
RAW, CLEAN, SIDE = hexdigest("raw-bytes"), hexdigest("clean-bytes"), hexdigest("side-bytes")


@dataclass(frozen=True)
class World:
    client: TestClient
    ids: dict[str, str]

    def name(self, node_id: str) -> str:
        return {v: k for k, v in self.ids.items()}.get(node_id, node_id)


def _empty(url: str) -> None:
    async def run() -> None:
        store = open_graph_store(url)
        await store.open()
        try:
            await wipe(store)
        finally:
            await store.close()

    asyncio.run(run())


@pytest.fixture(params=GRAPH_BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    url = graph_url(request.param, tmp_path)
    _empty(url)
    with ExitStack() as stack:
        app = create_app(settings_for(tmp_path, graph_url=url, auth_tokens=TOKENS))
        client = stack.enter_context(TestClient(app))
        yield World(client, _build(client))


DATASET = """mutation($p: String!, $n: String!, $files: [FileInput!]!, $from: [ID!]) {
  registerDataset(project: $p, name: $n, files: $files, derivedFrom: $from) { id } }"""


def _build(client: TestClient) -> dict[str, str]:
    ids: dict[str, str] = {}

    def dataset(ref: str, digest: str, *parents: str) -> None:
        project, name = ref.split("/")
        files = [{"path": f"{name}.bin", "digest": digest, "size": 10}]
        variables = {"p": project, "n": name, "files": files, "from": [ids[p] for p in parents]}
        ids[ref] = data(client, DATASET, variables, ADMIN)["registerDataset"]["id"]

    dataset("a/raw", RAW)
    dataset("a/orphan", SIDE)
    dataset("b/clean", CLEAN, "a/raw", "a/orphan")
    dataset("a/mid", SIDE, "a/raw")
    dataset("a/side", SIDE, "a/mid")
    run = """mutation($inputs: [RunInputRef!]) { startRun(project: "a", name: "train", inputs: $inputs) { id } }"""
    inputs = [{"id": ids["b/clean"], "role": "train"}, {"id": ids["a/side"], "role": "extra"}]
    ids["a/run"] = data(client, run, {"inputs": inputs}, ADMIN)["startRun"]["id"]
    model = """mutation($run: ID) { registerModel(project: "a", name: "model", run: $run) { id } }"""
    ids["a/model"] = data(client, model, {"run": ids["a/run"]}, ADMIN)["registerModel"]["id"]
    ids["b/model"] = data(client, 'mutation { registerModel(project: "b", name: "bm") { id } }',
                          token=ADMIN)["registerModel"]["id"]
    data(client, 'mutation { deployModel(model: "b/bm:v1", environment: "prod") { id } }', token=ADMIN)
    graph = client.app.state.services.graph  # type: ignore[attr-defined]
    client.portal.call(graph.record_blob, Digest(CLEAN), 10, BlobStatus.CORRUPT, utcnow(), "test")  # type: ignore[union-attr]
    return ids


HOPS = "query($id: ID!, $kinds: [NodeKind!]) { %s(id: $id, kinds: $kinds) { depth node { id } } }"
LINEAGE = """query($id: ID!, $dir: Direction) { lineage(id: $id, direction: $dir) {
  nodes { id } edges { source target type } } }"""
PATH = "query($s: ID!, $t: ID!, $d: PathDirection) { path(source: $s, target: $t, direction: $d) { direction nodes { id } } }"


def hops(w: World, field: str, start: str, token: str, kinds: list[str] | None = None) -> dict[str, int]:
    found = data(w.client, HOPS % field, {"id": w.ids[start], "kinds": kinds}, token)[field]
    return {w.name(h["node"]["id"]): h["depth"] for h in found}


def test_lookups_of_foreign_nodes_are_not_found_as_if_absent(world: World) -> None:
    w = world
    node = "query($id: ID!) { node(id: $id) { id } }"
    assert data(w.client, node, {"id": w.ids["b/clean"]}, ADMIN) == {"node": {"id": w.ids["b/clean"]}}
    assert data(w.client, node, {"id": w.ids["b/clean"]}, A) == {"node": None}
    assert data(w.client, node, {"id": w.ids["b/clean"]}, A_READ_B) == {"node": {"id": w.ids["b/clean"]}}
    artifact = "query($r: String!) { artifact(ref: $r) { id } }"
    absent = error(w.client, artifact, {"r": "b/nothing:v1"}, A)
    assert absent == ("NOT_FOUND", "no dataset or model matches ref 'b/nothing:v1'")
    assert error(w.client, artifact, {"r": "b/clean:v1"}, A) == (
        "NOT_FOUND", "no dataset or model matches ref 'b/clean:v1'")
    assert error(w.client, artifact, {"r": w.ids["b/clean"]}, READ_A) == (
        "NOT_FOUND", f"no node with id {w.ids['b/clean']!r}")
    assert data(w.client, artifact, {"r": "a/raw:v1"}, READ_A) == {"artifact": {"id": w.ids["a/raw"]}}


def test_traversals_stop_at_the_projects_a_token_may_not_read(world: World) -> None:
    w = world
    every = {"a/run": 1, "b/clean": 2, "a/side": 2, "a/raw": 3, "a/orphan": 3, "a/mid": 3}
    kinds = ["DATASET", "RUN"]
    assert hops(w, "ancestors", "a/model", ADMIN, kinds) == every
    walled = {"a/run": 1, "a/side": 2, "a/mid": 3, "a/raw": 4}
    assert hops(w, "ancestors", "a/model", A, kinds) == walled
    assert hops(w, "ancestors", "a/model", READ_A, kinds) == walled
    assert hops(w, "ancestors", "a/model", A_READ_B, kinds) == every
    blobs = hops(w, "ancestors", "a/model", A, ["BLOB"])
    assert set(blobs) == {f"sha256:{RAW}", f"sha256:{SIDE}"}  # never CLEAN, b/clean's own
    assert hops(w, "descendants", "a/orphan", ADMIN, kinds + ["MODEL"]) == {"b/clean": 1, "a/run": 2, "a/model": 3}
    assert hops(w, "descendants", "a/orphan", A, kinds + ["MODEL"]) == {}
    assert hops(w, "descendants", "a/raw", A, kinds + ["MODEL"]) == {"a/mid": 1, "a/side": 2, "a/run": 3, "a/model": 4}
    for field in ("ancestors", "descendants"):
        assert error(w.client, HOPS % field, {"id": w.ids["b/clean"]}, A) == (
            "NOT_FOUND", f"no node with id {w.ids['b/clean']!r}")


def test_lineage_holds_only_readable_nodes_and_their_edges(world: World) -> None:
    w = world
    for direction in ("UPSTREAM", "BOTH"):
        graph = data(w.client, LINEAGE, {"id": w.ids["a/run"], "dir": direction}, A)["lineage"]
        names = {w.name(n["id"]) for n in graph["nodes"]}
        assert names == {"a/run", "a/side", "a/mid", "a/raw", f"sha256:{RAW}", f"sha256:{SIDE}"} | (
            {"a/model"} if direction == "BOTH" else set())
        ids = {n["id"] for n in graph["nodes"]}
        assert graph["edges"] and all(e["source"] in ids and e["target"] in ids for e in graph["edges"])
    full = data(w.client, LINEAGE, {"id": w.ids["a/run"], "dir": "UPSTREAM"}, ADMIN)["lineage"]
    assert {w.name(n["id"]) for n in full["nodes"]} >= {"b/clean", "a/orphan", f"sha256:{CLEAN}"}
    assert error(w.client, LINEAGE, {"id": w.ids["b/clean"], "dir": "BOTH"}, A)[0] == "NOT_FOUND"


def test_paths_go_around_foreign_nodes_or_are_null(world: World) -> None:
    w = world
    for token, route in ((ADMIN, ["a/model", "a/run", "b/clean", "a/raw"]),
                         (A, ["a/model", "a/run", "a/side", "a/mid", "a/raw"])):
        found = data(w.client, PATH, {"s": w.ids["a/model"], "t": w.ids["a/raw"], "d": "ANY"}, token)["path"]
        assert [w.name(n["id"]) for n in found["nodes"]] == route and found["direction"] == "UPSTREAM"
    down = data(w.client, PATH, {"s": w.ids["a/raw"], "t": w.ids["a/model"], "d": "DOWNSTREAM"}, A)["path"]
    assert [w.name(n["id"]) for n in down["nodes"]] == ["a/raw", "a/mid", "a/side", "a/run", "a/model"]
    assert data(w.client, PATH, {"s": w.ids["a/model"], "t": w.ids["a/orphan"]}, ADMIN)["path"] is not None
    assert data(w.client, PATH, {"s": w.ids["a/model"], "t": w.ids["a/orphan"]}, A) == {"path": None}
    assert error(w.client, PATH, {"s": w.ids["a/model"], "t": w.ids["b/clean"]}, A)[0] == "NOT_FOUND"


def test_listings_show_readable_projects_only(world: World) -> None:
    w = world
    listing = "query($p: String) { datasets(project: $p) { edges { node { project name } } } }"

    def names(token: str, project: str | None = None) -> set[str]:
        edges = data(w.client, listing, {"p": project}, token)["datasets"]["edges"]
        return {f"{e['node']['project']}/{e['node']['name']}" for e in edges}

    assert names(ADMIN) == {"a/raw", "a/orphan", "b/clean", "a/mid", "a/side"}
    assert names(A) == names(READ_A) == {"a/raw", "a/orphan", "a/mid", "a/side"}
    assert names(A, "b") == set() and names(A_READ_B, "b") == {"b/clean"}
    models = "{ models { edges { node { project } } } runs { edges { node { project } } } }"
    answer = data(w.client, models, token=A)
    assert [e["node"]["project"] for e in answer["models"]["edges"]] == ["a"]
    assert [e["node"]["project"] for e in answer["runs"]["edges"]] == ["a"]


def test_fields_that_name_other_nodes_leave_foreign_ones_out(world: World) -> None:
    w = world
    query = """query($id: ID!) { node(id: $id) { ... on Run { inputs { role node { id } } } } }"""
    inputs = data(w.client, query, {"id": w.ids["a/run"]}, A)["node"]["inputs"]
    assert [(i["role"], w.name(i["node"]["id"])) for i in inputs] == [("extra", "a/side")]
    every = data(w.client, query, {"id": w.ids["a/run"]}, ADMIN)["node"]["inputs"]
    assert {w.name(i["node"]["id"]) for i in every} == {"a/side", "b/clean"}
    derived = """query($id: ID!) { node(id: $id) { ... on Dataset { derivedFrom { id } } } }"""
    assert data(w.client, derived, {"id": w.ids["a/side"]}, A)["node"]["derivedFrom"] == [{"id": w.ids["a/mid"]}]


def test_blobs_and_their_bytes_only_through_a_readable_file(world: World) -> None:
    w = world
    blob = "query($d: String!) { blob(digest: $d) { id } }"
    assert data(w.client, blob, {"d": CLEAN}, ADMIN) == {"blob": {"id": f"sha256:{CLEAN}"}}
    assert data(w.client, blob, {"d": CLEAN}, A) == {"blob": None}
    assert data(w.client, blob, {"d": RAW}, A) == {"blob": {"id": f"sha256:{RAW}"}}
    node = "query($id: ID!) { node(id: $id) { id } }"
    assert data(w.client, node, {"id": f"sha256:{CLEAN}"}, A) == {"node": None}
    verify = "mutation($r: String!) { verifyArtifact(ref: $r) { ok } }"
    assert error(w.client, verify, {"r": f"sha256:{CLEAN}"}, A) == (
        "NOT_FOUND", f"no blob sha256:{CLEAN}: no file with this digest is registered or uploaded")
    for token in (A, READ_A):
        for method in ("GET", "HEAD"):
            # neither blob's bytes were uploaded: the answer is the same 404 for both
            mine = w.client.request(method, f"/blobs/sha256/{RAW}", headers={"Authorization": f"Bearer {token}"})
            theirs = w.client.request(method, f"/blobs/sha256/{CLEAN}", headers={"Authorization": f"Bearer {token}"})
            assert mine.status_code == theirs.status_code == 404
            if method == "GET":
                assert theirs.json() == {"error": {"code": "NOT_FOUND", "message": f"no blob sha256:{CLEAN}"}}


def test_blob_bytes_are_served_to_readers_of_a_project_that_names_them(world: World) -> None:
    w = world
    body = b"clean bytes, seen by b"
    digest = hashlib.sha256(body).hexdigest()
    admin = {"Authorization": f"Bearer {ADMIN}"}
    assert w.client.put(f"/blobs/sha256/{digest}", content=body, headers=admin).status_code == 201
    data(w.client, DATASET, {"p": "b", "n": "bytes", "files": [{"path": "x", "digest": digest, "size": len(body)}],
                             "from": []}, ADMIN)
    url = f"/blobs/sha256/{digest}?redirect=0"
    assert w.client.get(url, headers=admin).content == body
    assert w.client.get(url, headers={"Authorization": f"Bearer {A_READ_B}"}).content == body
    refused = w.client.get(url, headers={"Authorization": f"Bearer {A}"})
    assert refused.status_code == 404
    assert refused.json() == {"error": {"code": "NOT_FOUND", "message": f"no blob sha256:{digest}"}}


def test_integrity_report_and_fields_redact_what_lies_beyond(world: World) -> None:
    w = world
    report = "query($p: String) { integrityReport(project: $p) { counts { status count } corrupt { id } affected { id } } }"

    def of(token: str, project: str | None = None) -> dict[str, Any]:
        found: dict[str, Any] = data(w.client, report, {"p": project}, token)["integrityReport"]
        return found

    admin = of(ADMIN)
    assert admin["corrupt"] == [{"id": f"sha256:{CLEAN}"}]
    assert {w.name(n["id"]) for n in admin["affected"]} == {"b/clean", "a/run", "a/model"}
    mine = of(A)
    assert mine["corrupt"] == [] and mine["affected"] == []
    assert {c["status"]: c["count"] for c in mine["counts"]}["CORRUPT"] == 0
    assert of(A, "b") == {**mine, "counts": [{"status": s, "count": 0} for s in ("PENDING", "VERIFIED", "CORRUPT", "MISSING")]}
    assert of(A_READ_B)["corrupt"] == [{"id": f"sha256:{CLEAN}"}]
    integrity = """query($id: ID!) { node(id: $id) { ... on Model { integrity {
      affected depth nearestBadBlob { id } pathToBadBlob { nodes { id } } } } } }"""
    seen = data(w.client, integrity, {"id": w.ids["a/model"]}, ADMIN)["node"]["integrity"]
    assert seen["affected"] and seen["depth"] == 3 and seen["nearestBadBlob"] == {"id": f"sha256:{CLEAN}"}
    redacted = data(w.client, integrity, {"id": w.ids["a/model"]}, A)["node"]["integrity"]
    assert redacted == {"affected": True, "depth": None, "nearestBadBlob": None, "pathToBadBlob": None}


def test_registry_reads_of_foreign_models_are_not_found(world: World) -> None:
    w = world
    for query, field in (('{ deployed(name: "bm", project: "b") { environment } }', "deployed"),
                         ('{ modelSettings(name: "b/bm") { autoDeprecate } }', "modelSettings")):
        assert error(w.client, query, token=A) == ("NOT_FOUND", "no model b/bm")
        assert field in data(w.client, query, token=A_READ_B)
    deployments = '{ deployments(name: "bm", project: "b") { edges { node { action } } } }'
    assert data(w.client, deployments, token=A) == {"deployments": {"edges": []}}
    assert data(w.client, deployments, token=A_READ_B)["deployments"]["edges"] == [{"node": {"action": "DEPLOY"}}]
    rollback = 'mutation { rollbackModel(name: "bm", project: "b", environment: "prod") { id } }'
    assert error(w.client, rollback, token=A_READ_B) == (
        "FORBIDDEN", "this token may not write project 'b'; it may write: a")


def test_writes_may_not_name_foreign_nodes_and_write_nothing(world: World) -> None:
    w = world
    run = """mutation($inputs: [RunInputRef!]) { startRun(project: "a", name: "sneaky", inputs: $inputs) { id } }"""
    assert error(w.client, run, {"inputs": [{"id": w.ids["b/clean"]}]}, A) == (
        "NOT_FOUND", f"no node with id {w.ids['b/clean']!r}")
    model = 'mutation { registerModel(project: "a", name: "sneaky", parents: ["b/bm:v1"]) { id } }'
    assert error(w.client, model, token=A) == ("NOT_FOUND", "no dataset or model matches ref 'b/bm:v1'")
    link = "mutation($s: ID!, $t: ID!) { link(source: $s, target: $t, type: DERIVED_FROM) { type } }"
    assert error(w.client, link, {"s": w.ids["a/raw"], "t": w.ids["b/clean"]}, A)[0] == "NOT_FOUND"
    listing = '{ runs(name: "sneaky") { edges { node { id } } } models(name: "sneaky") { edges { node { id } } } }'
    assert data(w.client, listing, token=ADMIN) == {"runs": {"edges": []}, "models": {"edges": []}}
    assert hops(w, "descendants", "a/raw", ADMIN, ["DATASET"]) == {"b/clean": 1, "a/mid": 1, "a/side": 2}


def test_read_only_tokens_write_and_upload_nothing(world: World) -> None:
    w = world
    assert error(w.client, 'mutation { registerModel(project: "a", name: "ro") { id } }', token=READ_A) == (
        "FORBIDDEN", "this token may not write project 'a'; it may write: no project")
    body = b"read-only bytes"
    digest = hashlib.sha256(body).hexdigest()
    response = w.client.put(f"/blobs/sha256/{digest}", content=body, headers={"Authorization": f"Bearer {READ_A}"})
    assert response.status_code == 403
    assert response.json()["error"] == {
        "code": "FORBIDDEN",
        "message": "this token may only read; uploading blobs needs a token that may write a project"}
    admin = {"Authorization": f"Bearer {ADMIN}"}
    assert w.client.head(f"/blobs/sha256/{digest}", headers=admin).status_code == 404
    assert data(w.client, '{ models(name: "ro") { edges { node { id } } } }', token=ADMIN) == {"models": {"edges": []}}
    assert data(w.client, "{ models { edges { node { name } } } }", token=READ_A) == {
        "models": {"edges": [{"node": {"name": "model"}}]}}
