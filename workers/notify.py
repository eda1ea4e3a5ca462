"""Findings out of the workers: one JSON log line per finding, and an optional webhook.

Every corrupt or missing blob found is logged (each pass, so a log search always finds
the current state). The webhook (``PROVGRAPH_WEBHOOK_URL``) gets one POST per batch of
checks that *changed* a status — a blob gone bad, or back to good — with the artifacts
each bad blob affects, so an alert names the models and evaluations at once. A webhook
failure is logged, never raised: alerting must not stop verification. The same findings
go, as ``integrity.verdict`` events, into the outbox of the signed and retried webhooks
(``PROVGRAPH_WEBHOOKS``, see ``workers.webhooks``).
"""

from __future__ import annotations

import logging
import time
from typing import Any, Sequence

import httpx

from provgraph.checks import BAD, CheckResult
from provgraph.graph import GraphStore
from provgraph.ids import utcnow
from provgraph.impact import Impact
from provgraph.lifecycle import deliveries
from provgraph.model import Node
from provgraph.verify import check_fields, log_event, log_findings

WEBHOOK_TIMEOUT_S = 10.0
AFFECTED_IN_ALERT = 100


def _ref(node: Node, depth: int) -> dict[str, Any]:
    return {"id": node.id, "kind": node.kind.value, "project": node.project, "name": node.name,
            "version": node.version, "depth": depth}


class Notifier:
    """Logs each finding and posts changes to ``webhook_url`` (when set)."""

    def __init__(self, graph: GraphStore, webhook_url: str | None = None, webhooks: Sequence[str] = ()) -> None:
        self.graph = graph
        self.webhook_url = webhook_url
        self.webhooks = tuple(webhooks)
        self.sent = 0

    async def checks(self, results: Sequence[CheckResult], source: str) -> None:
        """Log and announce one batch of recorded check results."""
        log_findings(list(results), source)
        changes = [r for r in results if r.changed and (r.bad or r.previous in BAD)]
        if not changes or not (self.webhook_url or self.webhooks):
            return
        payload = {"source": source, "at": utcnow().isoformat(), "findings": await self._findings(changes)}
        if self.webhooks:  # signed, retried deliveries out of the outbox (workers.webhooks)
            await self.graph.enqueue_webhooks(deliveries("integrity.verdict", payload, self.webhooks, time.time()))
        if self.webhook_url:
            await self.post({"event": "provgraph.integrity", **payload})

    async def _findings(self, changes: Sequence[CheckResult]) -> list[dict[str, Any]]:
        nodes = await self.graph.get_nodes([r.digest.node_id for r in changes if r.bad])
        impact = await Impact.load(self.graph, list(nodes.values()))
        findings = []
        for result in changes:
            downstream = impact.downstream(result.digest.node_id) if result.digest.node_id in nodes else []
            findings.append({**check_fields(result), "affected_count": len(downstream),
                             "affected": [_ref(n, d) for n, d in downstream[:AFFECTED_IN_ALERT]]})
        return findings

    async def post(self, payload: dict[str, Any]) -> bool:
        """POST ``payload`` as JSON; False (and a log line) when it did not go through."""
        assert self.webhook_url is not None
        try:
            async with httpx.AsyncClient(timeout=WEBHOOK_TIMEOUT_S) as client:
                response = await client.post(self.webhook_url, json=payload)
                response.raise_for_status()
        except httpx.HTTPStatusError as exc:
            log_event(logging.ERROR, "webhook_failed", error=f"the webhook answered HTTP {exc.response.status_code}")
            return False
        except httpx.HTTPError as exc:  # the URL is a secret: name the failure, not the request
            log_event(logging.ERROR, "webhook_failed", error=f"{type(exc).__name__}: {exc}")
            return False
        self.sent += 1
        return True
