"""Promote and roll back through GraphQL: deployModel, rollbackModel, setModelStatus with
the lifecycle enforced, Model.history / deployedIn / deployedAt, deployments (paginated),
deployed, modelSettings; each refusal's exact error and that it wrote nothing."""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from typing import Any, Callable

from provgraph.auth import Grant
from provgraph.digest import digest_of_bytes

from ..workers.test_webhooks import Receiver
from ..workers.world import overwrite
from .support import TestClient, data, error, services

ClientFactory = Callable[..., TestClient]

REGISTER = 'mutation($n: String!, $p: String) { registerModel(name: $n, project: $p, metrics: {acc: 0.9}) { id version } }'
DEPLOY = """mutation($m: ID!, $env: String, $note: String, $force: Boolean) {
  deployModel(model: $m, environment: $env, note: $note, force: $force) { id version status deployedIn deployedAt } }"""
ROLLBACK = """mutation($n: String!, $env: String, $to: ID) {
  rollbackModel(name: $n, environment: $env, to: $to) { id version status deployedIn } }"""
STATUS = "mutation($m: ID!, $s: ModelStatus!, $note: String) { setModelStatus(model: $m, status: $s, note: $note) { id status } }"
HISTORY = """query($ref: String!, $first: Int, $after: String) { artifact(ref: $ref) { ... on Model {
  history(first: $first, after: $after) { edges { cursor node { action version fromStatus toStatus environment actor
  note forced model { id } replaces { version } } } pageInfo { hasNextPage endCursor } } } } }"""
DEPLOYMENTS = """query($n: String!, $env: String, $first: Int, $after: String) {
  deployments(name: $n, environment: $env, first: $first, after: $after) {
    edges { node { action version environment replaces { version } } } pageInfo { hasNextPage endCursor } } }"""
DEPLOYED = "query($n: String!) { deployed(name: $n) { environment since model { version } } }"


def register(client: TestClient, name: str = "m", project: str | None = None, token: str | None = None) -> str:
    return str(data(client, REGISTER, {"n": name, "p": project}, token)["registerModel"]["id"])


def history(client: TestClient, ref: str, **page: Any) -> dict[str, Any]:
    return dict(data(client, HISTORY, {"ref": ref, **page})["artifact"]["history"])


def snapshot(client: TestClient) -> tuple[Any, ...]:
    """Everything a lifecycle change can touch, to check a refusal wrote nothing."""
    models = data(client, "{ models(first: 100) { edges { node { id status deployedIn } } } }")
    return (models, data(client, DEPLOYMENTS, {"n": "m"}), data(client, DEPLOYED, {"n": "m"}))


def test_promote_and_roll_back_end_to_end(client: TestClient) -> None:
    v1, v2, v3 = (register(client) for _ in range(3))
    first = data(client, DEPLOY, {"m": "m:v1", "note": "initial"})["deployModel"]
    assert first["status"] == "DEPLOYED" and first["deployedIn"] == ["production"] and first["deployedAt"]
    data(client, DEPLOY, {"m": v1, "env": "staging"})
    data(client, DEPLOY, {"m": v2, "env": "staging"})
    data(client, DEPLOY, {"m": v2})
    data(client, DEPLOY, {"m": v3})
    assert data(client, DEPLOYED, {"n": "m"})["deployed"] == [
        {"environment": "production", "since": data(client, DEPLOYED, {"n": "m"})["deployed"][0]["since"],
         "model": {"version": "v3"}},
        {"environment": "staging", "since": data(client, DEPLOYED, {"n": "m"})["deployed"][1]["since"],
         "model": {"version": "v2"}},
    ]
    back = data(client, ROLLBACK, {"n": "m"})["rollbackModel"]
    assert back == {"id": v2, "version": "v2", "status": "DEPLOYED", "deployedIn": ["production", "staging"]}
    # v3 left its only environment: auto-deprecated. v1 left staging and production.
    statuses = {e["node"]["id"]: e["node"]["status"] for e in
                data(client, "{ models { edges { node { id status } } } }")["models"]["edges"]}
    assert statuses == {v1: "DEPRECATED", v2: "DEPLOYED", v3: "DEPRECATED"}
    page = data(client, DEPLOYMENTS, {"n": "m", "env": "production", "first": 2})["deployments"]
    assert [(e["node"]["action"], e["node"]["version"], e["node"]["replaces"]["version"]) for e in page["edges"]] == [
        ("ROLLBACK", "v2", "v3"), ("DEPLOY", "v3", "v2")]
    rest = data(client, DEPLOYMENTS, {"n": "m", "env": "production", "after": page["pageInfo"]["endCursor"]})["deployments"]
    assert [(e["node"]["action"], e["node"]["version"]) for e in rest["edges"]] == [("DEPLOY", "v2"), ("DEPLOY", "v1")]
    assert rest["pageInfo"]["hasNextPage"] is False
    h = history(client, "m:v1")
    assert [(e["node"]["action"], e["node"]["environment"], e["node"]["toStatus"]) for e in h["edges"]] == [
        ("REPLACED", "production", "DEPRECATED"), ("REPLACED", "staging", "DEPLOYED"),
        ("DEPLOY", "staging", "DEPLOYED"), ("DEPLOY", "production", "DEPLOYED")]
    assert h["edges"][-1]["node"]["note"] == "initial" and h["edges"][-1]["node"]["actor"] == "anonymous"
    one = history(client, "m:v1", first=1)
    assert one["pageInfo"]["hasNextPage"] is True
    assert history(client, "m:v1", first=3, after=one["pageInfo"]["endCursor"])["edges"] == h["edges"][1:]


def test_refusals_have_exact_errors_and_write_nothing(client: TestClient) -> None:
    v1 = register(client)
    draft = data(client, 'mutation { registerModel(name: "m", status: DRAFT) { id } }')["registerModel"]["id"]
    data(client, DEPLOY, {"m": v1})
    before = snapshot(client)
    cases = [
        (DEPLOY, {"m": draft}, ("CONFLICT", "model default/m:v2 cannot go from DRAFT to DEPLOYED; "
                                "allowed from DRAFT: ARCHIVED, COMPLETED, TRAINING")),
        (STATUS, {"m": v1, "s": "DEPRECATED"}, ("CONFLICT", "model default/m:v1 is deployed in production: "
                                                "deploy another version there or roll back first")),
        (STATUS, {"m": draft, "s": "DEPLOYED"}, ("BAD_INPUT", "DEPLOYED is entered by deploying a version "
                                                 "(deployModel), not by setModelStatus")),
        (ROLLBACK, {"n": "m"}, ("CONFLICT", "model default/m has no earlier deployment in production to roll back to")),
        (ROLLBACK, {"n": "m", "env": "staging"}, ("CONFLICT", "nothing of model default/m is deployed in staging: "
                                                  "nothing to roll back")),
        (ROLLBACK, {"n": "nope"}, ("NOT_FOUND", "no model default/nope")),
        (ROLLBACK, {"n": "m", "to": draft}, ("BAD_INPUT", "model default/m:v2 was never deployed in production: "
                                             "deploy it with deployModel")),
        (DEPLOY, {"m": "m:v9"}, ("NOT_FOUND", "no dataset or model matches ref 'm:v9'")),
        (DEPLOY, {"m": v1, "note": "x" * 10_001}, ("BAD_INPUT", "note is 10001 characters; the limit is 10000")),
        (DEPLOYMENTS, {"n": "m", "after": "zz"}, ("BAD_INPUT", "invalid cursor 'zz'")),
    ]
    for query, variables, expected in cases:
        assert error(client, query, variables) == expected, variables
    code, _ = error(client, DEPLOY, {"m": draft, "env": "prod env!"})
    assert code == "BAD_INPUT"
    assert snapshot(client) == before


def test_archived_is_final(client: TestClient) -> None:
    v1 = register(client)
    data(client, STATUS, {"m": v1, "s": "ARCHIVED", "note": "old"})
    before = snapshot(client)
    assert error(client, DEPLOY, {"m": v1}) == (
        "CONFLICT", "model default/m:v1 cannot go from ARCHIVED to DEPLOYED; allowed from ARCHIVED: none (it is final)")
    assert snapshot(client) == before
    (event,) = history(client, "m:v1")["edges"]
    assert (event["node"]["action"], event["node"]["fromStatus"], event["node"]["toStatus"], event["node"]["note"]) == (
        "STATUS", "COMPLETED", "ARCHIVED", "old")


def test_auto_deprecate_setting(client: TestClient) -> None:
    v1, v2 = register(client), register(client)
    settings = data(client, 'mutation { configureModel(name: "m", autoDeprecate: false) { name autoDeprecate } }')
    assert settings["configureModel"] == {"name": "m", "autoDeprecate": False}
    data(client, DEPLOY, {"m": v1})
    data(client, DEPLOY, {"m": v2})
    assert data(client, STATUS, {"m": v1, "s": "COMPLETED"})["setModelStatus"]["status"] == "COMPLETED"
    shown = data(client, '{ modelSettings(name: "default/m") { autoDeprecate deployments { environment model { id } } } }')
    assert shown["modelSettings"] == {"autoDeprecate": False, "deployments": [{"environment": "production", "model": {"id": v2}}]}


def test_tokens_scope_deploys_and_are_recorded(make_client: ClientFactory) -> None:
    client = make_client(auth_tokens={"admin-token": None, "team-a-token": Grant.parse("a|read:*")})
    register(client, "m", "b", "admin-token")
    register(client, "m", "a", "admin-token")
    assert error(client, DEPLOY, {"m": "b/m:v1"}, "team-a-token") == (
        "FORBIDDEN", "this token may not write project 'b'; it may write: a")
    assert error(client, "mutation { rollbackModel(name: \"b/m\") { id } }", None, "team-a-token")[0] == "FORBIDDEN"
    data(client, DEPLOY, {"m": "a/m:v1"}, "team-a-token")
    events = data(client, '{ deployments(name: "a/m") { edges { node { actor } } } }', None, "admin-token")
    assert events["deployments"]["edges"] == [{"node": {"actor": "team…"}}]
    assert data(client, '{ deployments(name: "b/m") { edges { node { actor } } } }', None, "admin-token") == {
        "deployments": {"edges": []}}


def test_deploy_refused_on_corrupt_upstream_unless_forced(client: TestClient) -> None:
    blob = b"weights"
    digest = digest_of_bytes(blob)
    assert client.put(f"/blobs/sha256/{digest.hex}", content=blob).status_code in (200, 201)
    files = [{"path": "w.bin", "digest": f"sha256:{digest.hex}", "size": len(blob)}]
    base = data(client, 'mutation($f: [FileInput!]) { registerModel(name: "base", files: $f) { id } }', {"f": files})
    child = data(client, 'mutation($p: ID!) { registerModel(name: "m", parents: [$p]) { id } }',
                 {"p": base["registerModel"]["id"]})["registerModel"]["id"]
    client.portal.call(overwrite, services(client).content.store, digest.key, b"rotten!")  # type: ignore[union-attr]
    assert data(client, 'mutation { verifyArtifact(ref: "base:v1") { ok } }')["verifyArtifact"]["ok"] is False
    before = snapshot(client)
    assert error(client, DEPLOY, {"m": child}) == (
        "CONFLICT", f"model default/m:v1 has 1 corrupt or missing blob(s) in its lineage (nearest: sha256:{digest.hex} "
        "CORRUPT, 2 hop(s) up); re-upload or verify them, or deploy with force")
    assert snapshot(client) == before
    forced = data(client, DEPLOY, {"m": child, "force": True, "note": "known issue"})["deployModel"]
    assert forced["status"] == "DEPLOYED"
    (event,) = history(client, "m:v1")["edges"]
    assert event["node"]["forced"] is True and event["node"]["note"] == "known issue"


def test_the_service_delivers_webhooks_without_a_worker(make_client: ClientFactory) -> None:
    hook = Receiver()
    thread = threading.Thread(target=hook.server.serve_forever, daemon=True)
    thread.start()
    try:
        client = make_client(webhooks=(hook.url,), webhook_secret="k")
        v1 = register(client)
        data(client, DEPLOY, {"m": v1, "note": "ship"})
        deadline = time.monotonic() + 15
        while not hook.received and time.monotonic() < deadline:
            time.sleep(0.1)
        (body,) = hook.bodies()
        assert (body["event"], body["model"]["model_id"], body["model"]["note"]) == ("model.deployed", v1, "ship")
        headers, raw = hook.received[0]
        assert headers["x-provgraph-signature"] == "sha256=" + hmac.new(b"k", raw, hashlib.sha256).hexdigest()
    finally:
        hook.server.shutdown()
        hook.server.server_close()
