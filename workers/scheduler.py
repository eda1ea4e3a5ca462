"""The long-running worker: every interval, one cycle — a verification pass over its
shard (after recording any stored blob that has no Blob node, see ``adopt``), the
lineage checks (shard 0 only, so N workers run them once), and garbage
collection when asked. ``once`` runs a single cycle, for cron jobs and Kubernetes Jobs.

Workers keep no state of their own: everything they know is in the graph, so any number
can be started, stopped or killed at any time.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import signal
import time
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import AsyncIterator

from provgraph.blobs import open_blob_store
from provgraph.blobs.content import ContentStore
from provgraph.blobs.throttle import Throttle
from provgraph.config import Settings
from provgraph.errors import Unavailable
from provgraph.graph import GraphStore, open_graph_store
from provgraph.telemetry import timed_graph
from provgraph.verify import log_event
from provgraph.workers.adopt import AdoptReport, record_unrecorded
from provgraph.workers.gc import GcReport, collect_garbage
from provgraph.workers.lineage import LineageReport, check_lineage
from provgraph.workers.notify import Notifier
from provgraph.workers.passes import PassOptions, PassReport, run_pass
from provgraph.workers.webhooks import DeliveryReport, WebhookSender


@dataclass(frozen=True)
class WorkerConfig:
    """What each cycle does and how often (the flags of ``provgraph worker``)."""

    options: PassOptions = PassOptions()
    interval_s: float = 3600.0
    once: bool = False
    bandwidth: int = 0
    verify: bool = True
    lineage: bool = True
    adopt: bool = True
    gc: bool = False
    delete: bool = False
    grace: timedelta = timedelta(hours=24)
    stuck_after: timedelta = timedelta(hours=24)
    pending_interval_s: float = 30.0
    webhook_interval_s: float = 5.0
    webhook_backoff_s: float = 2.0


@dataclass
class CycleReport:
    adopted: AdoptReport | None = None
    verify: PassReport | None = None
    lineage: LineageReport | None = None
    gc: GcReport | None = None
    webhooks: DeliveryReport | None = None
    errors: list[str] = field(default_factory=list)


@asynccontextmanager
async def open_stores(settings: Settings) -> AsyncIterator[tuple[GraphStore, ContentStore]]:
    """The graph and blob stores of ``settings``, opened; closed when the block ends."""
    async with AsyncExitStack() as stack:
        graph = timed_graph(open_graph_store(settings.graph_url))
        await graph.open()
        stack.push_async_callback(graph.close)
        content = ContentStore(open_blob_store(settings.blob_url))
        await content.open()
        stack.push_async_callback(content.close)
        yield graph, content


async def run_cycle(
    graph: GraphStore, content: ContentStore, config: WorkerConfig, notifier: Notifier, throttle: Throttle
) -> CycleReport:
    """One cycle; ``Unavailable`` (a store is down) ends it early."""
    report = CycleReport()
    shard = config.options.shard
    if config.adopt and not config.options.quick:
        # Before the pass, so the bytes it records PENDING are hashed this cycle.
        report.adopted = await record_unrecorded(graph, content, shard)
    if config.verify:
        report.verify = await run_pass(graph, content, config.options, notifier, throttle)
    if config.lineage and shard.index == 0:
        report.lineage = await check_lineage(graph, config.stuck_after)
    if config.gc:
        report.gc = await collect_garbage(graph, content, shard, config.grace, config.delete)
    return report


async def run_worker(settings: Settings, config: WorkerConfig) -> CycleReport:
    """Cycle every ``config.interval_s`` seconds until cancelled (SIGTERM, Ctrl-C), or
    once. A store outage skips to the next cycle; with ``once`` it is raised."""
    async with open_stores(settings) as (graph, content):
        notifier = Notifier(graph, settings.webhook_url, settings.webhooks)
        sender = WebhookSender(graph, settings.webhooks, settings.webhook_secret, config.webhook_backoff_s)
        throttle = Throttle(config.bandwidth)
        # Deliveries go out every few seconds, beside the cycles, never waiting for one.
        delivering = (asyncio.ensure_future(sender.run(config.webhook_interval_s))
                      if sender.enabled and not config.once else None)
        try:
            while True:
                started = time.monotonic()
                try:
                    report = await run_cycle(graph, content, config, notifier, throttle)
                    if config.once and sender.enabled:
                        report.webhooks = await sender.deliver_due()
                except Unavailable as exc:
                    if config.once:
                        raise
                    log_event(logging.ERROR, "cycle_failed", error=exc.message, retry_in_s=config.interval_s)
                    report = CycleReport(errors=[exc.message])
                if config.once:
                    return report
                await _wait_checking_pending(graph, content, config, notifier, throttle, started)
        finally:
            if delivering is not None:
                delivering.cancel()


def pending_options(options: PassOptions) -> PassOptions:
    """A pass over PENDING blobs only (direct uploads awaiting their first hash)."""
    return dataclasses.replace(options, quick=False, pending_only=True, limit=None)


async def _wait_checking_pending(graph: GraphStore, content: ContentStore, config: WorkerConfig,
                                 notifier: Notifier, throttle: Throttle, started: float) -> None:
    """Sleep until the next cycle, verifying PENDING blobs every ``pending_interval_s``
    meanwhile, so a direct upload is hashed within seconds rather than at the next cycle."""
    while (left := config.interval_s - (time.monotonic() - started)) > 0:
        await asyncio.sleep(min(left, config.pending_interval_s))
        if left <= config.pending_interval_s:
            return  # the next cycle is due: it checks PENDING blobs first anyway
        try:
            await run_pass(graph, content, pending_options(config.options), notifier, throttle)
        except Unavailable as exc:
            log_event(logging.ERROR, "pending_pass_failed", error=exc.message)


async def serve_worker(settings: Settings, config: WorkerConfig) -> CycleReport:
    """``run_worker`` that ends cleanly on SIGTERM (a pod stopping), closing the stores."""
    task = asyncio.ensure_future(run_worker(settings, config))
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, task.cancel)
    try:
        return await task
    finally:
        loop.remove_signal_handler(signal.SIGTERM)
