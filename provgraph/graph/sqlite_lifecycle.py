"""The registry lifecycle in the SQLite graph: model lines, deployments, events and the
webhook outbox (schema v4). Writes run inside the caller's ``BEGIN IMMEDIATE``
transaction, which already serialises every writer, across processes too."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Sequence

from provgraph.graph.sqlite_writes import update_props
from provgraph.lifecycle import Action, Deployment, LifecyclePlan, LineState, ModelEvent, WebhookDelivery
from provgraph.model import NodeKind, Page


def state(conn: sqlite3.Connection, project: str, name: str) -> LineState:
    line = conn.execute("SELECT revision, auto_deprecate FROM model_lines WHERE project = ? AND name = ?",
                        (project, name)).fetchone()
    rows = conn.execute(
        "SELECT environment, model, since, event, previous FROM deployments WHERE project = ? AND name = ?",
        (project, name),
    ).fetchall()
    deployments = {r[0]: Deployment(r[0], r[1], datetime.fromisoformat(r[2]), r[3], r[4]) for r in rows}
    if line is None:
        return LineState(project, name, deployments=deployments)
    return LineState(project, name, line[0], bool(line[1]), deployments)


def apply(conn: sqlite3.Connection, plan: LifecyclePlan) -> bool:
    current = state(conn, plan.project, plan.name)
    if current.revision != plan.revision:
        return False
    auto = current.auto_deprecate if plan.auto_deprecate is None else plan.auto_deprecate
    conn.execute(
        "INSERT INTO model_lines(project, name, revision, auto_deprecate) VALUES (?, ?, ?, ?) "
        "ON CONFLICT(project, name) DO UPDATE SET revision = excluded.revision, auto_deprecate = excluded.auto_deprecate",
        (plan.project, plan.name, plan.revision + 1, int(auto)),
    )
    for model_id, changes in plan.props.items():
        update_props(conn, model_id, NodeKind.MODEL, changes)
    for environment, row in plan.deployments.items():
        if row is None:
            conn.execute("DELETE FROM deployments WHERE project = ? AND name = ? AND environment = ?",
                         (plan.project, plan.name, environment))
            continue
        conn.execute(
            "INSERT OR REPLACE INTO deployments(project, name, environment, model, since, event, previous) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (plan.project, plan.name, environment, row.model_id, row.since.isoformat(), row.event_id, row.previous),
        )
    conn.executemany(
        "INSERT INTO model_events(project, name, seq, id, model, environment, action, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [(e.project, e.name, e.seq, e.id, e.model_id, e.environment, e.action.value, json.dumps(e.to_json()))
         for e in plan.events],
    )
    enqueue(conn, plan.deliveries)
    return True


def events(
    conn: sqlite3.Connection, project: str, name: str, model_id: str | None, environment: str | None,
    actions: Sequence[Action] | None, first: int, after: int | None,
) -> Page[ModelEvent]:
    where: list[str] = ["project = ?", "name = ?"]
    args: list[str | int] = [project, name]
    if model_id is not None:
        where.append("model = ?")
        args.append(model_id)
    if environment is not None:
        where.append("environment = ?")
        args.append(environment)
    if actions:
        where.append(f"action IN ({', '.join('?' * len(actions))})")
        args += [a.value for a in actions]
    if after is not None:
        where.append("seq < ?")
        args.append(after)
    rows = conn.execute(
        f"SELECT doc FROM model_events WHERE {' AND '.join(where)} ORDER BY seq DESC LIMIT ?", (*args, first + 1)
    ).fetchall()
    found = [ModelEvent.from_json(json.loads(r[0])) for r in rows[:first]]
    has_next = len(rows) > first
    return Page(found, has_next, str(found[-1].seq) if found else None)


def enqueue(conn: sqlite3.Connection, deliveries: Sequence[WebhookDelivery]) -> None:
    conn.executemany(
        "INSERT INTO webhook_outbox(id, target, event, body, attempts, next_at) VALUES (?, ?, ?, ?, ?, ?)",
        [(d.id, d.target, d.event, d.body, d.attempts, d.next_at) for d in deliveries],
    )


def claim(conn: sqlite3.Connection, now: float, lease_s: float, limit: int) -> list[WebhookDelivery]:
    rows = conn.execute(
        "SELECT id, target, event, body, attempts, next_at FROM webhook_outbox "
        "WHERE state = 'PENDING' AND next_at <= ? ORDER BY next_at, id LIMIT ?",
        (now, limit),
    ).fetchall()
    conn.executemany("UPDATE webhook_outbox SET next_at = ? WHERE id = ?", [(now + lease_s, r[0]) for r in rows])
    return [WebhookDelivery(*r) for r in rows]


def settle(conn: sqlite3.Connection, delivery_id: str, state_: str, attempts: int, next_at: float,
           error: str | None) -> None:
    conn.execute("UPDATE webhook_outbox SET state = ?, attempts = ?, next_at = ?, error = ? WHERE id = ?",
                 (state_, attempts, next_at, error, delivery_id))


def outbox(conn: sqlite3.Connection) -> list[tuple[WebhookDelivery, str, str | None]]:
    """Every delivery with its state and last error, oldest first (for reports and tests)."""
    rows = conn.execute(
        "SELECT id, target, event, body, attempts, next_at, state, error FROM webhook_outbox ORDER BY id"
    ).fetchall()
    return [(WebhookDelivery(*r[:6]), r[6], r[7]) for r in rows]
