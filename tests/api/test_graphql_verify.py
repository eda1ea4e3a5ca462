"""Integrity through HTTP on the real app: a blob corrupted on disk behind the service's
back, a worker pass, then ``integrityReport``, artifact ``integrity`` and
``verifyArtifact`` say what is wrong and which models it affects."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from provgraph.auth import Grant
from provgraph.graph import GraphStore, open_graph_store
from provgraph.ids import utcnow
from provgraph.model import BlobStatus, NodeKind
from provgraph.service.app import create_app
from provgraph.workers.passes import run_pass

from .support import TestClient, data, error, services, settings_for
from .test_no_n_plus_one import MODELS, CountingStore, chain, prepare

CKPT1, CKPT2, ROWS = b"checkpoint one " * 4000, b"checkpoint two " * 3000, b'{"x": 1}\n' * 500


def sha(data_: bytes) -> str:
    return hashlib.sha256(data_).hexdigest()


@dataclass(frozen=True)
class Lineage:
    replays: str
    train: str
    v1: str
    v2: str
    evaluation: str


def file(path: str, content: bytes) -> dict[str, Any]:
    return {"path": path, "digest": sha(content), "size": len(content)}


def build(client: TestClient) -> Lineage:
    for content in (CKPT1, CKPT2, ROWS):
        assert client.put(f"/blobs/sha256/{sha(content)}", content=content).status_code == 201
    replays = data(client, "mutation($f: [FileInput!]!) { registerDataset(name: \"replays\", files: $f) { id } }",
                   {"f": [file("rows.jsonl", ROWS)]})["registerDataset"]["id"]
    train = data(client, "mutation($d: ID!) { startRun(name: \"train\", inputs: [{id: $d, role: \"train\"}]) { id } }",
                 {"d": replays})["startRun"]["id"]
    model = "mutation($r: ID, $p: [ID!], $f: [FileInput!]) { registerModel(name: \"mamba\", run: $r, parents: $p, files: $f) { id } }"
    v1 = data(client, model, {"r": train, "f": [file("ckpt.bin", CKPT1)]})["registerModel"]["id"]
    v2 = data(client, model, {"p": [v1], "f": [file("ckpt.bin", CKPT2)]})["registerModel"]["id"]
    evaluation = data(client, "mutation($m: ID!, $d: ID) { recordEvaluation(model: $m, dataset: $d, metrics: {acc: 0.9}) { id } }",
                      {"m": v2, "d": replays})["recordEvaluation"]["id"]
    return Lineage(replays, train, v1, v2, evaluation)


def corrupt_on_disk(tmp_path: Path, content: bytes) -> None:
    """Flip one byte of the stored file, as bit rot would."""
    digest = sha(content)
    path = tmp_path / "blobs" / "sha256" / digest[:2] / digest[2:4] / digest
    raw = bytearray(path.read_bytes())
    raw[100] ^= 0xFF
    path.write_bytes(bytes(raw))


def worker_pass(client: TestClient) -> None:
    assert client.portal is not None
    client.portal.call(run_pass, services(client).graph, services(client).content)


REPORT = """{ integrityReport { counts { status count } corrupt { digest status verifiedAt checkedAt }
  affected { id } affectedPaths { node { id } depth blob { digest } path { nodes { id } edges { source target type } } } } }"""


def test_integrity_report_shows_the_corrupt_blob_and_the_affected_models(client: TestClient, tmp_path: Path) -> None:
    s = build(client)
    corrupt_on_disk(tmp_path, CKPT1)
    worker_pass(client)
    report = data(client, REPORT)["integrityReport"]
    assert {c["status"]: c["count"] for c in report["counts"]} == {"PENDING": 0, "VERIFIED": 2, "CORRUPT": 1, "MISSING": 0}
    assert [(b["digest"], b["status"]) for b in report["corrupt"]] == [(sha(CKPT1), "CORRUPT")]
    assert report["corrupt"][0]["checkedAt"] > report["corrupt"][0]["verifiedAt"]
    assert [a["id"] for a in report["affected"]] == [s.v1, s.v2, s.evaluation]
    blob = f"sha256:{sha(CKPT1)}"
    paths = {p["node"]["id"]: p for p in report["affectedPaths"]}
    assert [(paths[i]["depth"], paths[i]["blob"]["digest"]) for i in (s.v1, s.v2, s.evaluation)] == [
        (1, sha(CKPT1)), (2, sha(CKPT1)), (3, sha(CKPT1))]
    assert paths[s.evaluation]["path"] == {
        "nodes": [{"id": s.evaluation}, {"id": s.v2}, {"id": s.v1}, {"id": blob}],
        "edges": [{"source": s.evaluation, "target": s.v2, "type": "EVALUATES"},
                  {"source": s.v2, "target": s.v1, "type": "DERIVED_FROM"},
                  {"source": s.v1, "target": blob, "type": "HAS_FILE"}],
    }


ARTIFACTS = """{ models { edges { node { version integrity { status affected files { status count }
  nearestBadBlob { digest } pathToBadBlob { nodes { id } } } } } }
  datasets { edges { node { integrity { status affected } } } }
  evaluations { edges { node { integrity { status affected nearestBadBlob { digest } } } } } }"""


def test_each_artifact_says_whether_it_is_affected(client: TestClient, tmp_path: Path) -> None:
    s = build(client)
    corrupt_on_disk(tmp_path, CKPT1)
    worker_pass(client)
    result = data(client, ARTIFACTS)
    models = {m["node"]["version"]: m["node"]["integrity"] for m in result["models"]["edges"]}
    assert models["v1"] == {"status": "CORRUPT", "affected": True, "nearestBadBlob": {"digest": sha(CKPT1)},
                            "files": [{"status": s_, "count": int(s_ == "CORRUPT")} for s_ in ("PENDING", "VERIFIED", "CORRUPT", "MISSING")],
                            "pathToBadBlob": {"nodes": [{"id": s.v1}, {"id": f"sha256:{sha(CKPT1)}"}]}}
    assert (models["v2"]["status"], models["v2"]["affected"]) == ("VERIFIED", True)  # its own file is fine
    assert models["v2"]["pathToBadBlob"]["nodes"] == [{"id": s.v2}, {"id": s.v1}, {"id": f"sha256:{sha(CKPT1)}"}]
    assert result["datasets"]["edges"] == [{"node": {"integrity": {"status": "VERIFIED", "affected": False}}}]
    assert result["evaluations"]["edges"] == [{"node": {"integrity": {"status": None, "affected": True,
                                                                       "nearestBadBlob": {"digest": sha(CKPT1)}}}}]


VERIFY = """mutation($ref: String!, $quick: Boolean) { verifyArtifact(ref: $ref, quick: $quick) {
  ok quick message node { id ... on Blob { status } } checks { path digest ok status previous expectedSize size actualDigest detail } } }"""


def test_verify_artifact_says_valid_or_exactly_what_differs(client: TestClient, tmp_path: Path) -> None:
    s = build(client)
    ok = data(client, VERIFY, {"ref": "mamba:v2"})["verifyArtifact"]
    assert (ok["ok"], ok["message"], ok["node"]) == (True, "valid, hash matches registry", {"id": s.v2})
    assert ok["checks"] == [{"path": "ckpt.bin", "digest": sha(CKPT2), "ok": True, "status": "VERIFIED",
                             "previous": "VERIFIED", "expectedSize": len(CKPT2), "size": len(CKPT2),
                             "actualDigest": sha(CKPT2), "detail": "valid, hash matches registry"}]
    corrupt_on_disk(tmp_path, CKPT1)
    quick = data(client, VERIFY, {"ref": "mamba:v1", "quick": True})["verifyArtifact"]
    assert (quick["ok"], quick["message"]) == (True, "sizes match registry (quick check: hashes not compared)")
    bad = data(client, VERIFY, {"ref": "mamba:v1"})["verifyArtifact"]
    corrupted = bytearray(CKPT1)
    corrupted[100] ^= 0xFF
    detail = f"bytes hash to {sha(bytes(corrupted))}, registry says {sha(CKPT1)} ({len(CKPT1)} bytes)"
    assert (bad["ok"], bad["message"]) == (False, f"ckpt.bin: {detail}")
    assert (bad["checks"][0]["status"], bad["checks"][0]["previous"]) == ("CORRUPT", "VERIFIED")
    by_digest = data(client, VERIFY, {"ref": f"sha256:{sha(CKPT1)}"})["verifyArtifact"]
    assert (by_digest["node"], by_digest["message"]) == ({"id": f"sha256:{sha(CKPT1)}", "status": "CORRUPT"},
                                                        f"sha256:{sha(CKPT1)}: {detail}")
    assert data(client, REPORT)["integrityReport"]["affected"] == [{"id": s.v1}, {"id": s.v2}, {"id": s.evaluation}]


def test_verify_artifact_errors(make_client: Any, tmp_path: Path) -> None:
    client = make_client(auth_tokens={"scoped": Grant.parse("elsewhere|read:*")})
    auth = {"Authorization": "Bearer scoped"}
    digest = "0" * 64
    query = {"query": VERIFY, "variables": {"ref": digest}}
    body = client.post("/graphql", json=query, headers=auth).json()
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert body["errors"][0]["message"] == f"no blob sha256:{digest}: no file with this digest is registered or uploaded"
    open_client = make_client()
    build(open_client)
    code, message = error(client, VERIFY, {"ref": "mamba:v1"}, token="scoped")
    assert (code, message) == ("FORBIDDEN", "this token may not write project 'default'; it may write: elsewhere")
    by_digest = client.post("/graphql", json={"query": VERIFY, "variables": {"ref": sha(CKPT1)}}, headers=auth).json()
    assert by_digest["data"]["verifyArtifact"]["ok"] is True  # a blob is a fact about bytes: anyone may check


def test_integrity_of_a_big_lineage_is_not_n_plus_one(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    specs = chain(MODELS, NodeKind.MODEL)
    prepare(settings.graph_url, specs)
    counting = CountingStore(open_graph_store(settings.graph_url))
    query = """query($id: ID!) { lineage(id: $id) { nodes { id ... on Model { version
      integrity { status affected depth nearestBadBlob { digest } } } } } }"""
    with TestClient(create_app(settings, graph=cast(GraphStore, counting))) as client:
        first = specs[0].files[0].digest
        assert client.portal is not None
        client.portal.call(counting.inner.record_blob, first, 1, BlobStatus.CORRUPT, utcnow())
        counting.calls.clear()
        nodes = data(client, query, {"id": "m:latest"})["lineage"]["nodes"]
        calls = list(counting.calls)
    models = {n["version"]: n["integrity"] for n in nodes if "version" in n}
    assert len(models) == MODELS and all(m["affected"] for m in models.values())
    assert (models["v1"]["status"], models["v1"]["depth"]) == ("CORRUPT", 1)  # its own file
    newest = models[f"v{MODELS}"]
    assert (newest["status"], newest["nearestBadBlob"], newest["depth"]) == ("PENDING", {"digest": first.hex}, MODELS)
    assert sorted(calls) == ["blobs_with_status", "file_status_counts", "find_versions", "lineage", "lineage_many"]


def test_a_stuck_run_shows_as_stale_until_it_finishes(client: TestClient) -> None:
    from datetime import timedelta

    from provgraph.workers.lineage import check_lineage

    run = data(client, 'mutation { startRun(name: "train") { id stale } }')["startRun"]
    assert run["stale"] is False
    assert client.portal is not None
    client.portal.call(check_lineage, services(client).graph, timedelta(0))
    query = "query($id: ID!) { node(id: $id) { ... on Run { status stale staleNote } } }"
    marked = data(client, query, {"id": run["id"]})["node"]
    assert (marked["status"], marked["stale"]) == ("RUNNING", True)
    assert marked["staleNote"].endswith("more than 0 h without finishRun")
    data(client, "mutation($id: ID!) { finishRun(id: $id, status: COMPLETED) { id } }", {"id": run["id"]})
    assert data(client, query, {"id": run["id"]})["node"] == {"status": "COMPLETED", "stale": False, "staleNote": None}
