"""The model registry's lifecycle: which status may follow which, and the plans that
deploy, roll back and change the status of model versions.

A *model line* is every version of one ``project/name``. Its state in the store is a
revision number, its ``autoDeprecate`` setting and what is deployed in each environment.
The registry reads that state, makes a ``LifecyclePlan`` here (status and prop changes,
deployment rows, one ``ModelEvent`` per transition, webhook deliveries), and the store
applies the plan in one transaction only if the line's revision is still the one read:
a concurrent deploy makes the apply fail and the registry plans again. Both backends
share this logic; a store only locks, compares and writes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import Enum
from typing import Any, Mapping, Sequence

from provgraph.errors import BadInput, Conflict
from provgraph.ids import new_id
from provgraph.model import ModelStatus, Node

S = ModelStatus

# The allowed next statuses. DEPLOYED is entered only by deploying (or rolling back to) a
# version and left only when another version replaces it in its last environment.
TRANSITIONS: Mapping[ModelStatus, frozenset[ModelStatus]] = {
    S.DRAFT: frozenset({S.TRAINING, S.COMPLETED, S.ARCHIVED}),
    S.TRAINING: frozenset({S.DRAFT, S.COMPLETED, S.ARCHIVED}),
    S.COMPLETED: frozenset({S.DEPLOYED, S.DEPRECATED, S.ARCHIVED}),
    S.DEPLOYED: frozenset({S.DEPRECATED, S.COMPLETED}),
    S.DEPRECATED: frozenset({S.DEPLOYED, S.COMPLETED, S.ARCHIVED}),
    S.ARCHIVED: frozenset(),
}
INITIAL_STATUSES = frozenset({S.DRAFT, S.TRAINING, S.COMPLETED})
DEFAULT_ENVIRONMENT = "production"
MAX_NOTE = 10_000
SEQ_STRIDE = 1000  # event seq = revision * SEQ_STRIDE + index within the plan


class Action(str, Enum):
    DEPLOY = "DEPLOY"
    ROLLBACK = "ROLLBACK"
    REPLACED = "REPLACED"
    STATUS = "STATUS"


DEPLOY_ACTIONS = (Action.DEPLOY, Action.ROLLBACK)
WEBHOOK_EVENTS = {
    Action.DEPLOY: "model.deployed",
    Action.ROLLBACK: "model.rolled_back",
    Action.REPLACED: "model.status_changed",
    Action.STATUS: "model.status_changed",
}


@dataclass(frozen=True)
class ModelEvent:
    """One transition of one model version. ``seq`` orders a line's events (newest is
    highest); ``replaces`` is the version that left ``environment`` when this one came
    in; ``previous`` is where a rollback from this deployment goes."""

    id: str
    seq: int
    project: str
    name: str
    model_id: str
    version: str
    action: Action
    from_status: ModelStatus
    to_status: ModelStatus
    at: datetime
    actor: str
    environment: str | None = None
    note: str | None = None
    forced: bool = False
    replaces: str | None = None
    previous: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "seq": self.seq, "project": self.project, "name": self.name,
            "model_id": self.model_id, "version": self.version, "action": self.action.value,
            "from_status": self.from_status.value, "to_status": self.to_status.value,
            "at": self.at.isoformat(), "actor": self.actor, "environment": self.environment,
            "note": self.note, "forced": self.forced, "replaces": self.replaces, "previous": self.previous,
        }

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> ModelEvent:
        return cls(
            id=doc["id"], seq=int(doc["seq"]), project=doc["project"], name=doc["name"],
            model_id=doc["model_id"], version=doc["version"], action=Action(doc["action"]),
            from_status=ModelStatus(doc["from_status"]), to_status=ModelStatus(doc["to_status"]),
            at=datetime.fromisoformat(doc["at"]), actor=doc["actor"], environment=doc.get("environment"),
            note=doc.get("note"), forced=bool(doc.get("forced")), replaces=doc.get("replaces"),
            previous=doc.get("previous"),
        )


@dataclass(frozen=True)
class Deployment:
    """What one environment of a model line runs, since when, and where a rollback goes."""

    environment: str
    model_id: str
    since: datetime
    event_id: str
    previous: str | None = None


@dataclass(frozen=True)
class LineState:
    project: str
    name: str
    revision: int = 0
    auto_deprecate: bool = True
    deployments: Mapping[str, Deployment] = field(default_factory=dict)


@dataclass(frozen=True)
class WebhookDelivery:
    """One signed POST still owed to one webhook target. ``target`` is a hash of the URL,
    never the URL itself (URLs often carry tokens): the worker maps it back to its own
    configured list."""

    id: str
    target: str
    event: str
    body: str
    attempts: int = 0
    next_at: float = 0.0


@dataclass(frozen=True)
class LifecyclePlan:
    """Everything one lifecycle change writes, applied only at ``revision``."""

    project: str
    name: str
    revision: int
    props: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # model id -> changes
    deployments: Mapping[str, Deployment | None] = field(default_factory=dict)  # None removes
    events: Sequence[ModelEvent] = ()
    deliveries: Sequence[WebhookDelivery] = ()
    auto_deprecate: bool | None = None  # a new setting for the line; None keeps it


def target_key(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()[:16]


def deliveries(event: str, payload: Mapping[str, Any], urls: Sequence[str], now: float) -> list[WebhookDelivery]:
    """One pending delivery of ``payload`` per webhook URL."""
    out = []
    for url in urls:
        delivery_id = new_id()
        body = json.dumps({"id": delivery_id, "event": event, **payload}, sort_keys=True, default=str)
        out.append(WebhookDelivery(delivery_id, target_key(url), event, body, 0, now))
    return out


def status_of(node: Node) -> ModelStatus:
    return ModelStatus(node.props.get("status", ModelStatus.COMPLETED.value))


def deployed_in(node: Node) -> dict[str, str]:
    """Environment -> since (ISO time) of a model version."""
    return dict(node.props.get("deployed_in") or {})


def ref_of(node: Node) -> str:
    return f"{node.project}/{node.name}:{node.version}"


def check_initial(status: ModelStatus) -> None:
    if status not in INITIAL_STATUSES:
        allowed = ", ".join(sorted(s.value for s in INITIAL_STATUSES))
        raise BadInput(f"a model version is registered as {allowed}, not {status.value}; "
                       "deploy it with deployModel, deprecate or archive it with setModelStatus")


def check_transition(node: Node, to: ModelStatus) -> None:
    current = status_of(node)
    if to not in TRANSITIONS[current] and not (current is to is S.DEPLOYED):
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS[current])) or "none (it is final)"
        raise Conflict(f"model {ref_of(node)} cannot go from {current.value} to {to.value}; "
                       f"allowed from {current.value}: {allowed}")


def check_note(note: str | None) -> str | None:
    if note is not None and len(note) > MAX_NOTE:
        raise BadInput(f"note is {len(note)} characters; the limit is {MAX_NOTE}")
    return note


@dataclass
class Planner:
    """Builds one plan over a line's state; ``at``/``actor`` stamp every event."""

    state: LineState
    at: datetime
    actor: str
    webhooks: Sequence[str] = ()
    events: list[ModelEvent] = field(default_factory=list)
    props: dict[str, dict[str, Any]] = field(default_factory=dict)
    nodes: dict[str, Node] = field(default_factory=dict)
    result: Node | None = None  # the version the change is about, when not the one named

    def _event(self, node: Node, action: Action, to: ModelStatus, **extra: Any) -> ModelEvent:
        current = self.nodes.get(node.id, node)
        seq = (self.state.revision + 1) * SEQ_STRIDE + len(self.events)
        event = ModelEvent(new_id(), seq, node.project, node.name, node.id, node.version or "", action,
                           status_of(current), to, self.at, self.actor, **extra)
        self.events.append(event)
        self._change(current, {"status": to.value})
        return event

    def _change(self, node: Node, changes: Mapping[str, Any]) -> None:
        merged = {**self.props.get(node.id, {}), **changes}
        self.props[node.id] = merged
        self.nodes[node.id] = replace(node, props={**node.props, **merged})

    def status(self, node: Node, to: ModelStatus, note: str | None) -> None:
        self._event(node, Action.STATUS, to, note=note)

    def deploy(self, node: Node, environment: str, replaced: Node | None, action: Action, note: str | None,
               forced: bool, previous: str | None, auto_deprecate: bool) -> Deployment:
        """``node`` into ``environment``; ``replaced`` (what ran there) leaves it, and is
        DEPRECATED (or COMPLETED without auto-deprecation) once it runs nowhere."""
        event = self._event(node, action, S.DEPLOYED, environment=environment, note=note, forced=forced,
                            replaces=replaced.id if replaced else None, previous=previous)
        current = self.nodes[node.id]
        self._change(current, {"deployed_in": {**deployed_in(current), environment: self.at.isoformat()}})
        if replaced is not None:
            old = self.nodes.get(replaced.id, replaced)
            remaining = {env: since for env, since in deployed_in(old).items() if env != environment}
            retired = S.DEPLOYED if remaining else (S.DEPRECATED if auto_deprecate else S.COMPLETED)
            self._event(old, Action.REPLACED, retired, environment=environment,
                        note=f"replaced by {node.version} in {environment}")
            self._change(self.nodes[old.id], {"deployed_in": remaining})
        return Deployment(environment, node.id, self.at, event.id, previous)

    def plan(self, deployments: Mapping[str, Deployment | None] | None = None,
             auto_deprecate: bool | None = None) -> LifecyclePlan:
        now = self.at.timestamp()
        outbox = [d for e in self.events
                  for d in deliveries(WEBHOOK_EVENTS[e.action], {"at": e.at.isoformat(), "model": e.to_json()},
                                      self.webhooks, now)]
        return LifecyclePlan(self.state.project, self.state.name, self.state.revision, self.props,
                             deployments or {}, self.events, outbox, auto_deprecate)
