"""Webhook delivery (``PROVGRAPH_WEBHOOKS``): signed JSON POSTs out of the graph's outbox.

Requests never send anything themselves: a deploy, a rollback, a status change or an
integrity verdict writes one pending delivery per URL in the same transaction as the
change, and workers deliver them. Each attempt claims a delivery for a lease (so two
workers do not send it at once), POSTs it with ``X-Provgraph-Event``,
``X-Provgraph-Delivery`` and — with ``PROVGRAPH_WEBHOOK_SECRET`` —
``X-Provgraph-Signature: sha256=<HMAC-SHA256 of the body>``; a 2xx answer settles it,
anything else retries with exponential backoff until ``max_attempts``, then it is FAILED.
Delivery is at least once: receivers dedupe on the delivery id.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from dataclasses import dataclass, field
from typing import Sequence

import httpx

from provgraph.errors import Unavailable
from provgraph.graph import GraphStore
from provgraph.lifecycle import WebhookDelivery, target_key
from provgraph.verify import log_event

LEASE_S = 60.0
TIMEOUT_S = 10.0
MAX_BACKOFF_S = 3600.0


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass
class DeliveryReport:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


class WebhookSender:
    """Delivers due outbox entries to the configured URLs."""

    def __init__(self, graph: GraphStore, urls: Sequence[str], secret: str | None = None,
                 backoff_s: float = 2.0, max_attempts: int = 10, concurrency: int = 4) -> None:
        self.graph = graph
        self.targets = {target_key(url): url for url in urls}
        self.secret = secret
        self.backoff_s = backoff_s
        self.max_attempts = max_attempts
        self.concurrency = concurrency

    @property
    def enabled(self) -> bool:
        return bool(self.targets)

    async def deliver_due(self, limit: int = 100) -> DeliveryReport:
        """One round: claim what is due, send it, record each outcome."""
        report = DeliveryReport()
        claimed = await self.graph.claim_webhooks(time.time(), LEASE_S, limit)
        gate = asyncio.Semaphore(self.concurrency)
        async with httpx.AsyncClient(timeout=TIMEOUT_S) as client:

            async def one(delivery: WebhookDelivery) -> None:
                async with gate:
                    await self._send(client, delivery, report)

            await asyncio.gather(*(one(d) for d in claimed))
        return report

    async def run(self, interval_s: float) -> None:
        """Deliver every ``interval_s`` seconds until cancelled; an outage waits for the next round."""
        while True:
            try:
                await self.deliver_due()
            except Unavailable as exc:
                log_event(logging.ERROR, "webhook_round_failed", error=exc.message)
            await asyncio.sleep(interval_s)

    async def _send(self, client: httpx.AsyncClient, delivery: WebhookDelivery, report: DeliveryReport) -> None:
        url = self.targets.get(delivery.target)
        if url is None:
            # Written by a service configured with another URL list: leave it for a worker that has it.
            await self.graph.settle_webhook(delivery.id, "PENDING", delivery.attempts, time.time() + LEASE_S,
                                            "no configured webhook URL matches this delivery's target")
            return
        body = delivery.body.encode()
        headers = {"Content-Type": "application/json", "X-Provgraph-Event": delivery.event,
                   "X-Provgraph-Delivery": delivery.id}
        if self.secret:
            headers["X-Provgraph-Signature"] = signature(self.secret, body)
        attempts = delivery.attempts + 1
        try:
            response = await client.post(url, content=body, headers=headers)
            error = None if response.is_success else f"the webhook answered HTTP {response.status_code}"
        except httpx.HTTPError as exc:  # the URL is a secret: name the failure, not the request
            error = f"{type(exc).__name__}: {exc}"
        if error is None:
            await self.graph.settle_webhook(delivery.id, "DELIVERED", attempts, time.time(), None)
            report.delivered += 1
            return
        give_up = attempts >= self.max_attempts
        retry_at = time.time() + min(self.backoff_s * 2 ** (attempts - 1), MAX_BACKOFF_S)
        await self.graph.settle_webhook(delivery.id, "FAILED" if give_up else "PENDING", attempts, retry_at, error)
        log_event(logging.WARNING, "webhook_failed", delivery=delivery.id, webhook_event=delivery.event,
                  attempts=attempts, gave_up=give_up, error=error)
        report.errors.append(error)
        if give_up:
            report.failed += 1
        else:
            report.retrying += 1
