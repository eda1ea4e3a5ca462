"""The registry lifecycle from the SDK: deploy, roll back, status, history, deployments.

These need the service (an offline client refuses them): promoting a version is a
decision to take against the registry's current state, not one to replay later.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping

from provgraph.sdk.artifacts import pages
from provgraph.sdk.types import NODE_FIELDS, Model, artifact

if TYPE_CHECKING:
    from provgraph.sdk.client import Client

EVENT_FIELDS = ("id action version fromStatus toStatus environment at actor note forced "
                "model { id } replaces { version }")
DEPLOY = """mutation($m: ID!, $env: String!, $note: String, $force: Boolean!) {
  node: deployModel(model: $m, environment: $env, note: $note, force: $force) { ...N } }""" + NODE_FIELDS
ROLLBACK = """mutation($n: String!, $env: String!, $to: ID, $note: String, $force: Boolean!) {
  node: rollbackModel(name: $n, environment: $env, to: $to, note: $note, force: $force) { ...N } }""" + NODE_FIELDS
STATUS = """mutation($m: ID!, $s: ModelStatus!, $note: String) {
  node: setModelStatus(model: $m, status: $s, note: $note) { ...N } }""" + NODE_FIELDS
DEPLOYED = "query($n: String!) { deployed(name: $n) { environment since model { ...N } } }" + NODE_FIELDS
HISTORY = """query($ref: String!, $first: Int!, $after: String) { artifact(ref: $ref) { ... on Model {
  history(first: $first, after: $after) { edges { node { %s } } pageInfo { hasNextPage endCursor } } } } }""" % EVENT_FIELDS
DEPLOYMENTS = """query($n: String!, $env: String, $first: Int!, $after: String) {
  deployments(name: $n, environment: $env, first: $first, after: $after) {
    edges { node { %s } } pageInfo { hasNextPage endCursor } } }""" % EVENT_FIELDS
VERSIONS = """query($n: String!, $p: String, $first: Int!, $after: String) {
  models(name: $n, project: $p, first: $first, after: $after) {
    edges { node { ...N } } pageInfo { hasNextPage endCursor } } }""" + NODE_FIELDS


@dataclass(frozen=True)
class ModelEvent:
    """One lifecycle transition of a model version."""

    id: str
    action: str
    version: str
    from_status: str
    to_status: str
    environment: str | None
    at: str
    actor: str
    note: str | None
    forced: bool
    model_id: str | None
    replaces: str | None  # the version that left the environment

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ModelEvent:
        return cls(data["id"], data["action"], data["version"], data["fromStatus"], data["toStatus"],
                   data["environment"], data["at"], data["actor"], data["note"], data["forced"],
                   (data.get("model") or {}).get("id"), (data.get("replaces") or {}).get("version"))


@dataclass(frozen=True)
class Deployment:
    environment: str
    since: str
    model: Model


def _model(found: Mapping[str, Any]) -> Model:
    node = artifact(found["node"])
    assert isinstance(node, Model)
    return node


def deploy(client: Client, ref: str, environment: str, note: str | None, force: bool) -> Model:
    variables = {"m": ref, "env": environment, "note": note, "force": force}
    return _model(client.read(DEPLOY, variables, f"deploy {ref!r} to {environment}"))


def rollback(client: Client, name: str, environment: str, to: str | None, note: str | None, force: bool) -> Model:
    variables = {"n": name, "env": environment, "to": to, "note": note, "force": force}
    return _model(client.read(ROLLBACK, variables, f"roll back {name!r} in {environment}"))


def set_status(client: Client, ref: str, status: str, note: str | None) -> Model:
    return _model(client.read(STATUS, {"m": ref, "s": status.upper(), "note": note}, f"set status of {ref!r}"))


def deployed(client: Client, name: str) -> dict[str, Deployment]:
    found = client.read(DEPLOYED, {"n": name}, f"deployments of {name!r}")["deployed"]
    return {d["environment"]: Deployment(d["environment"], d["since"], _model({"node": d["model"]})) for d in found}


def history(client: Client, ref: str, limit: int) -> list[ModelEvent]:
    nodes = pages(client, HISTORY, {"ref": ref}, ("artifact", "history"), f"history of {ref!r}", limit)
    return [ModelEvent.from_json(n) for n in nodes]


def deployments(client: Client, name: str, environment: str | None, limit: int) -> list[ModelEvent]:
    nodes = pages(client, DEPLOYMENTS, {"n": name, "env": environment}, ("deployments",),
                   f"deployments of {name!r}", limit)
    return [ModelEvent.from_json(n) for n in nodes]


def versions(client: Client, name: str, project: str | None, limit: int = 10_000) -> list[Model]:
    """Every version of a model, newest first."""
    nodes = pages(client, VERSIONS, {"n": name, "p": project}, ("models",), f"versions of {name!r}", limit)
    return [m for m in (artifact(n) for n in nodes) if isinstance(m, Model)]
