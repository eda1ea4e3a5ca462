"""One verification pass over a shard of the digest space.

A full pass takes the blobs not fully checked since it began (or, with
``recheck_after``, within that long before) — PENDING first, then the least recently
checked — a batch at a time, until none is left. Results are recorded as they come
(every batch, and every 256 MiB within one), and a recorded check takes its blob out of
the due set: a pass killed at any point loses at most the checks not yet recorded, and
the next pass starts with exactly those (with ``recheck_after``, it does only those).
Running a pass twice, or two workers on one shard, is safe: a check older than the last
recorded one is dropped.

A quick pass (HEAD only: existence and size) walks the shard by digest instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, AsyncIterator

from provgraph.blobs.content import ContentStore
from provgraph.blobs.throttle import Throttle
from provgraph.checks import CheckResult, Shard
from provgraph.errors import Unavailable
from provgraph.graph import GraphStore
from provgraph.ids import utcnow
from provgraph.model import BlobStatus, Node
from provgraph.telemetry import count_checks, observe_check, timed_pass
from provgraph.verify import blob_state, check_blob, log_event
from provgraph.workers.notify import Notifier

FLUSH_BYTES = 256 * 1024 * 1024
MAX_FINDINGS_KEPT = 1000


@dataclass(frozen=True)
class PassOptions:
    """How a pass runs (the flags of ``provgraph worker``).

    ``limit`` caps the blobs one pass checks (None: every due blob), so a cron job ends
    in bounded time and the next run continues with the least recently checked.
    ``quarantine`` moves bytes proven corrupt (a full re-hash that does not match) to
    ``quarantine/`` so that good bytes can be uploaded again; by default they stay put.
    ``recheck_after`` skips blobs fully checked that recently (0: check every blob);
    PENDING blobs are checked by every pass whatever it says; ``pending_only`` checks
    nothing else (the worker's short passes between cycles, for direct uploads).
    """

    shard: Shard = Shard()
    quick: bool = False
    batch: int = 100
    concurrency: int = 1
    quarantine: bool = False
    limit: int | None = None
    recheck_after: timedelta = timedelta(0)
    pending_only: bool = False


@dataclass
class PassReport:
    """What one pass did: counts by verdict, bytes hashed, the bad blobs it found."""

    shard: Shard
    quick: bool
    started: datetime
    finished: datetime | None = None
    checked: int = 0
    bytes_hashed: int = 0
    statuses: Counter[BlobStatus] = field(default_factory=Counter)
    findings: list[CheckResult] = field(default_factory=list)

    def add(self, results: list[CheckResult]) -> None:
        self.checked += len(results)
        self.bytes_hashed += sum(r.size or 0 for r in results if r.actual is not None)
        self.statuses.update(r.status for r in results)
        count_checks(r.status.value for r in results)
        bad = [r for r in results if r.bad]
        self.findings += bad[:MAX_FINDINGS_KEPT - len(self.findings)]

    def summary(self) -> dict[str, Any]:
        seconds = ((self.finished or utcnow()) - self.started).total_seconds()
        return {"shard": str(self.shard), "mode": "quick" if self.quick else "full", "checked": self.checked,
                "bytes_hashed": self.bytes_hashed, "started": self.started.isoformat(), "seconds": round(seconds, 3),
                "statuses": {s.value: self.statuses[s] for s in BlobStatus if self.statuses[s]}}


class _Recorder:
    """Collects check results and records them in batches (one transaction each)."""

    def __init__(self, graph: GraphStore, notifier: Notifier, report: PassReport) -> None:
        self.graph, self.notifier, self.report = graph, notifier, report
        self.pending: list[CheckResult] = []
        self.pending_bytes = 0

    async def add(self, result: CheckResult) -> None:
        self.pending.append(result)
        self.pending_bytes += result.size or 0
        if self.pending_bytes >= FLUSH_BYTES:
            await self.flush()

    async def flush(self) -> None:
        batch, self.pending, self.pending_bytes = self.pending, [], 0
        if batch:
            await self.graph.record_checks(batch)
            self.report.add(batch)
            await self.notifier.checks(batch, f"worker {self.report.shard}")


async def run_pass(
    graph: GraphStore,
    content: ContentStore,
    options: PassOptions = PassOptions(),
    notifier: Notifier | None = None,
    throttle: Throttle | None = None,
) -> PassReport:
    """Check every due blob of ``options.shard`` once; ``Unavailable`` ends the pass."""
    report = PassReport(options.shard, options.quick, utcnow())
    recorder = _Recorder(graph, notifier or Notifier(graph), report)
    with timed_pass("quick" if options.quick else "full"):
        async for blobs in _batches(graph, options, report.started):
            await _check_all(content, blobs, options, throttle, recorder)
            await recorder.flush()
    report.finished = utcnow()
    log_event(logging.INFO, "pass_finished", **report.summary())
    return report


async def _batches(graph: GraphStore, options: PassOptions, started: datetime) -> AsyncIterator[list[Node]]:
    remaining, after = options.limit, None
    while remaining is None or remaining > 0:
        size = options.batch if remaining is None else min(options.batch, remaining)
        if options.quick:
            blobs = [node for node, _ in await graph.list_blobs(options.shard, after, size)]
            after = blobs[-1].id if blobs else after
        else:
            blobs = await graph.blobs_due(options.shard, started, started - options.recheck_after, size)
            if options.pending_only:  # PENDING ones come first: stop at the first other
                blobs = list(itertools.takewhile(_is_pending, blobs))
        if not blobs:
            return
        remaining = None if remaining is None else remaining - len(blobs)
        yield blobs


def _is_pending(blob: Node) -> bool:
    return blob.props.get("status") == BlobStatus.PENDING.value


async def _check_all(
    content: ContentStore, blobs: list[Node], options: PassOptions, throttle: Throttle | None, recorder: _Recorder
) -> None:
    gate = asyncio.Semaphore(options.concurrency)

    async def one(blob: Node) -> None:
        async with gate:
            result = await _check_one(content, blob, options, throttle)
        await recorder.add(result)

    try:
        async with asyncio.TaskGroup() as group:
            for blob in blobs:
                group.create_task(one(blob))
    except BaseExceptionGroup as failed:
        with contextlib.suppress(Exception):
            await recorder.flush()  # keep what was checked before the store went away
        raise failed.exceptions[0] from None


async def _check_one(content: ContentStore, blob: Node, options: PassOptions, throttle: Throttle | None) -> CheckResult:
    at, started = utcnow(), time.perf_counter()
    try:
        result = await check_blob(content, blob, options.quick, throttle)
        observe_check("quick" if options.quick else "full", time.perf_counter() - started)
    except Unavailable:
        raise
    except Exception as exc:  # one unreadable blob must not stall the pass: record why
        logging.getLogger("provgraph.workers").exception("checking %s failed", blob.id)
        digest, expected, previous = blob_state(blob)
        return CheckResult(digest, previous, previous, expected, None, None, at, options.quick,
                           f"could not check: {type(exc).__name__}: {exc}")
    if options.quarantine and result.actual is not None and result.actual != result.digest:
        moved = await content.quarantine(result.digest)
        result = dataclasses.replace(result, detail=f"{result.detail}; bytes moved to {moved}")
    return result
