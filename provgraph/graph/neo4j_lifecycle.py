"""The registry lifecycle in the Neo4j graph: a ``:ModelLine`` node per model line (its
revision, locked by every change), ``:Deployment`` nodes per environment, ``:ModelEvent``
nodes and the ``:WebhookDelivery`` outbox. None of them carries the ``:Node`` label or a
relationship, so traversals, listings and integrity never see them."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Sequence

from neo4j import AsyncManagedTransaction

from provgraph.graph import neo4j_clock as clock
from provgraph.graph.neo4j_writes import rows, update_props
from provgraph.lifecycle import Action, Deployment, LifecyclePlan, LineState, ModelEvent, WebhookDelivery
from provgraph.model import NodeKind, Page

SCHEMA = (
    "CREATE CONSTRAINT model_line_key IF NOT EXISTS FOR (l:ModelLine) REQUIRE l.key IS UNIQUE",
    "CREATE CONSTRAINT deployment_key IF NOT EXISTS FOR (d:Deployment) REQUIRE d.key IS UNIQUE",
    "CREATE INDEX deployment_line IF NOT EXISTS FOR (d:Deployment) ON (d.line)",
    "CREATE CONSTRAINT model_event_id IF NOT EXISTS FOR (e:ModelEvent) REQUIRE e.id IS UNIQUE",
    "CREATE INDEX model_event_line IF NOT EXISTS FOR (e:ModelEvent) ON (e.line, e.seq)",
    "CREATE CONSTRAINT webhook_delivery_id IF NOT EXISTS FOR (w:WebhookDelivery) REQUIRE w.id IS UNIQUE",
    "CREATE INDEX webhook_due IF NOT EXISTS FOR (w:WebhookDelivery) ON (w.state, w.next_at)",
)

LINE = "MATCH (l:ModelLine {key: $line}) RETURN l.revision, l.auto_deprecate"
DEPLOYMENTS = ("MATCH (d:Deployment {line: $line}) "
               "RETURN d.environment, d.model, d.since, d.event, d.previous")
# Taking the line's write lock first serialises every change of one line; the revision
# is read after it, so it is the latest committed one. MATCH takes no read lock, so the
# SET asks for the exclusive lock straight away (a MERGE would take a shared one first,
# and two transactions upgrading theirs deadlock); MERGE only creates a new line.
LOCK = "MATCH (l:ModelLine {key: $line}) SET l.lock = coalesce(l.lock, 0) + 1 RETURN l.revision"
CREATE_LINE = ("MERGE (l:ModelLine {key: $line}) ON CREATE SET l.revision = 0, l.auto_deprecate = true "
               "SET l.lock = coalesce(l.lock, 0) + 1 RETURN l.revision")
BUMP = "MATCH (l:ModelLine {key: $line}) SET l.revision = $revision, l.auto_deprecate = coalesce($auto, l.auto_deprecate)"
UNDEPLOY = "MATCH (d:Deployment {key: $key}) DELETE d"
DEPLOY = ("MERGE (d:Deployment {key: $key}) SET d.line = $line, d.environment = $environment, "
          "d.model = $model, d.since = $since, d.event = $event, d.previous = $previous")
ADD_EVENTS = ("UNWIND $events AS e CREATE (:ModelEvent {id: e.id, line: $line, seq: e.seq, model: e.model, "
              "environment: e.environment, action: e.action, doc: e.doc})")
ADD_DELIVERIES = ("UNWIND $rows AS r CREATE (:WebhookDelivery {id: r.id, target: r.target, event: r.event, "
                  "body: r.body, attempts: r.attempts, next_at: r.next_at, state: 'PENDING'})")
DUE = ("MATCH (w:WebhookDelivery) WHERE w.state = 'PENDING' AND w.next_at <= $now "
       "WITH w ORDER BY w.next_at, w.id LIMIT $limit SET w.next_at = $now + $lease "
       "RETURN w.id, w.target, w.event, w.body, w.attempts, $now")
SETTLE = ("MATCH (w:WebhookDelivery {id: $id}) "
          "SET w.state = $state, w.attempts = $attempts, w.next_at = $next_at, w.error = $error")
OUTBOX = ("MATCH (w:WebhookDelivery) RETURN w.id, w.target, w.event, w.body, w.attempts, w.next_at, "
          "w.state, w.error ORDER BY w.id")


def line_key(project: str, name: str) -> str:
    return json.dumps([project, name])


async def state(tx: AsyncManagedTransaction, project: str, name: str) -> LineState:
    line = line_key(project, name)
    found = await rows(tx, LINE, line=line)
    deployments = {r[0]: Deployment(r[0], r[1], datetime.fromisoformat(r[2]), r[3], r[4])
                   for r in await rows(tx, DEPLOYMENTS, line=line)}
    if not found:
        return LineState(project, name, deployments=deployments)
    return LineState(project, name, int(found[0][0]), bool(found[0][1]), deployments)


async def apply(tx: AsyncManagedTransaction, plan: LifecyclePlan) -> bool:
    line = line_key(plan.project, plan.name)
    if plan.props:
        await clock.tick(tx)  # model props change: first, before the line's lock
    current = await rows(tx, LOCK, line=line) or await rows(tx, CREATE_LINE, line=line)
    if int(current[0][0]) != plan.revision:
        return False
    for model_id, changes in plan.props.items():
        await update_props(tx, model_id, NodeKind.MODEL, changes)
    for environment, row in plan.deployments.items():
        key = json.dumps([plan.project, plan.name, environment])
        if row is None:
            await (await tx.run(UNDEPLOY, key=key)).consume()
        else:
            await (await tx.run(DEPLOY, key=key, line=line, environment=environment, model=row.model_id,
                                since=row.since.isoformat(), event=row.event_id, previous=row.previous)).consume()
    if plan.events:
        await (await tx.run(ADD_EVENTS, line=line, events=[
            {"id": e.id, "seq": e.seq, "model": e.model_id, "environment": e.environment,
             "action": e.action.value, "doc": json.dumps(e.to_json())} for e in plan.events
        ])).consume()
    await enqueue(tx, plan.deliveries)
    await (await tx.run(BUMP, line=line, revision=plan.revision + 1, auto=plan.auto_deprecate)).consume()
    return True


async def events(
    tx: AsyncManagedTransaction, project: str, name: str, model_id: str | None, environment: str | None,
    actions: Sequence[Action] | None, first: int, after: int | None,
) -> Page[ModelEvent]:
    query = (
        "MATCH (e:ModelEvent {line: $line}) WHERE ($model IS NULL OR e.model = $model) "
        "AND ($environment IS NULL OR e.environment = $environment) "
        "AND ($actions IS NULL OR e.action IN $actions) AND ($after IS NULL OR e.seq < $after) "
        "RETURN e.doc ORDER BY e.seq DESC LIMIT $limit"
    )
    found = await rows(tx, query, line=line_key(project, name), model=model_id, environment=environment,
                       actions=[a.value for a in actions] if actions else None, after=after, limit=first + 1)
    items = [ModelEvent.from_json(json.loads(r[0])) for r in found[:first]]
    return Page(items, len(found) > first, str(items[-1].seq) if items else None)


async def enqueue(tx: AsyncManagedTransaction, deliveries: Sequence[WebhookDelivery]) -> None:
    if deliveries:
        await (await tx.run(ADD_DELIVERIES, rows=[
            {"id": d.id, "target": d.target, "event": d.event, "body": d.body, "attempts": d.attempts,
             "next_at": d.next_at} for d in deliveries
        ])).consume()


async def claim(tx: AsyncManagedTransaction, now: float, lease_s: float, limit: int) -> list[WebhookDelivery]:
    return [WebhookDelivery(r[0], r[1], r[2], r[3], int(r[4]), float(r[5]))
            for r in await rows(tx, DUE, now=now, lease=lease_s, limit=limit)]


async def settle(tx: AsyncManagedTransaction, delivery_id: str, state_: str, attempts: int, next_at: float,
                 error: str | None) -> None:
    await (await tx.run(SETTLE, id=delivery_id, state=state_, attempts=attempts, next_at=next_at,
                        error=error)).consume()


async def outbox(tx: AsyncManagedTransaction) -> list[tuple[WebhookDelivery, str, str | None]]:
    return [(WebhookDelivery(r[0], r[1], r[2], r[3], int(r[4]), float(r[5])), r[6], r[7])
            for r in await rows(tx, OUTBOX)]
