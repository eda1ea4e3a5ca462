"""``provgraph worker`` and ``provgraph gc``: flags, output, exit status.

Findings go to stderr as JSON lines (one per finding, for log collectors); a short
human summary of each ``--once`` run goes to stdout. Flags override the environment.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import re
import sys
from datetime import timedelta
from typing import TYPE_CHECKING

from provgraph.checks import Shard
from provgraph.config import Settings
from provgraph.errors import BadInput, ConfigError

if TYPE_CHECKING:  # the heavy modules load only when a command runs
    from provgraph.workers.scheduler import CycleReport, WorkerConfig

_SIZE = re.compile(r"(\d+)([KMG]?)(i?B)?", re.IGNORECASE)
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}


def _shard(text: str) -> Shard:
    try:
        return Shard.parse(text)
    except BadInput as exc:
        raise argparse.ArgumentTypeError(exc.message) from None


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive integer")
    return int(text)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds")
    return value


def _rate(text: str) -> int:
    match = _SIZE.fullmatch(text.strip())
    if match is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a rate: bytes per second, e.g. 50M (0: no limit)")
    return int(match[1]) * _UNITS[match[2].upper()]


def _stores(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--graph-url", help="sqlite:///path.db or neo4j://… (PROVGRAPH_GRAPH_URL)")
    parser.add_argument("--blob-url", help="file:///path or s3://bucket/prefix (PROVGRAPH_BLOB_URL)")


def _gc_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--delete", action="store_true",
                        help="delete orphans older than the grace period (default: report only)")
    parser.add_argument("--grace-hours", type=_seconds, metavar="H",
                        help="orphans younger than this are left alone (PROVGRAPH_ORPHAN_GRACE_HOURS, default 24)")


def configure_worker(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--once", action="store_true", help="run one cycle and exit (cron jobs, Kubernetes Jobs)")
    parser.add_argument("--shard", type=_shard, default=Shard(), metavar="I/N",
                        help="check shard I of N of the digest space (N workers, no overlap); default 0/1")
    parser.add_argument("--quick", action="store_true", help="check existence and size only (HEAD), no re-hash")
    parser.add_argument("--interval", type=_seconds, metavar="S",
                        help="seconds between cycle starts (PROVGRAPH_WORKER_INTERVAL, default 3600)")
    parser.add_argument("--pending-interval", type=_seconds, default=30.0, metavar="S",
                        help="between cycles, hash PENDING blobs (direct uploads) every S seconds (default 30)")
    parser.add_argument("--batch", type=_positive, metavar="N", help="blobs per batch (PROVGRAPH_WORKER_BATCH, default 100)")
    parser.add_argument("--bandwidth", type=_rate, metavar="BYTES_PER_S",
                        help="read at most this many bytes/s, e.g. 50M (PROVGRAPH_WORKER_BANDWIDTH; 0: no limit)")
    parser.add_argument("--concurrency", type=_positive, default=1, metavar="N", help="blobs checked at once (default 1)")
    parser.add_argument("--limit", type=_positive, metavar="N", help="check at most N blobs per pass (default: all due)")
    parser.add_argument("--recheck-after", type=_seconds, default=0.0, metavar="H",
                        help="skip blobs fully checked within the last H hours, so a restarted pass "
                             "resumes where it stopped (default 0: every pass checks every blob)")
    parser.add_argument("--quarantine", action="store_true",
                        help="move bytes proven corrupt to quarantine/ so good bytes can be uploaded again")
    parser.add_argument("--no-lineage", action="store_true", help="skip the lineage checks (run by shard 0)")
    parser.add_argument("--gc", action="store_true", help="also look for orphaned blobs each cycle (report only)")
    parser.add_argument("--metrics-port", type=int, metavar="PORT",
                        help="serve Prometheus metrics on this port (PROVGRAPH_WORKER_METRICS_PORT; default: off)")
    _gc_flags(parser)
    _stores(parser)


def configure_gc(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--shard", type=_shard, default=Shard(), metavar="I/N", help="only shard I of N (default 0/1)")
    _gc_flags(parser)
    _stores(parser)


def settings_of(args: argparse.Namespace) -> Settings:
    overrides = {k: v for k in ("graph_url", "blob_url") if (v := getattr(args, k, None)) is not None}
    return dataclasses.replace(Settings.from_env(), **overrides)


def run_worker(args: argparse.Namespace) -> int:
    from provgraph.workers.passes import PassOptions
    from provgraph.workers.scheduler import WorkerConfig

    if args.delete and not args.gc:
        raise ConfigError("--delete removes orphans found by --gc: give both, or use `provgraph gc --delete`")
    settings = settings_of(args)
    options = PassOptions(args.shard, args.quick, args.batch or settings.worker_batch, args.concurrency,
                          args.quarantine, args.limit, timedelta(hours=args.recheck_after))
    config = WorkerConfig(
        options=options, interval_s=settings.worker_interval_s if args.interval is None else args.interval,
        once=args.once, bandwidth=settings.worker_bandwidth if args.bandwidth is None else args.bandwidth,
        lineage=not args.no_lineage, gc=args.gc, delete=args.delete, grace=_grace(args, settings),
        stuck_after=timedelta(hours=settings.stuck_run_hours),
        pending_interval_s=args.pending_interval,
    )
    port = settings.worker_metrics_port if args.metrics_port is None else args.metrics_port
    return _run(settings, config, port)


def run_gc(args: argparse.Namespace) -> int:
    from provgraph.workers.passes import PassOptions
    from provgraph.workers.scheduler import WorkerConfig

    settings = settings_of(args)
    config = WorkerConfig(options=PassOptions(shard=args.shard), once=True, verify=False, lineage=False,
                          gc=True, delete=args.delete, grace=_grace(args, settings))
    return _run(settings, config)


def _grace(args: argparse.Namespace, settings: Settings) -> timedelta:
    return timedelta(hours=settings.orphan_grace_hours if args.grace_hours is None else args.grace_hours)


def _run(settings: Settings, config: WorkerConfig, metrics_port: int = 0) -> int:
    from provgraph.workers.scheduler import serve_worker

    setup_logging(settings)
    if metrics_port:
        from provgraph.telemetry import serve_metrics

        serve_metrics(metrics_port)
    report = asyncio.run(serve_worker(settings, config))
    for line in render(report):
        print(line)
    return 0


def render(report: CycleReport) -> list[str]:
    """A few lines a person reads after ``--once``: what was checked, what is wrong."""
    lines = []
    if report.adopted is not None and report.adopted.recorded:
        lines.append(f"recorded {_count(len(report.adopted.recorded), 'blob')} found in storage without a Blob node "
                     "(PENDING until verified)")
    if report.verify is not None:
        summary = report.verify.summary()
        statuses = ", ".join(f"{n} {s}" for s, n in summary["statuses"].items()) or "nothing due"
        lines.append(f"verify ({summary['mode']}, shard {summary['shard']}): {_count(summary['checked'], 'blob')} checked "
                     f"({statuses}) in {summary['seconds']:.1f} s")
        lines += [f"  {r.status.value} sha256:{r.digest.hex}: {r.detail}" for r in report.verify.findings]
    if report.lineage is not None:
        found = report.lineage.summary()
        lines.append(f"lineage: {_count(found['derived_from_cycles'], 'DERIVED_FROM cycle')}, "
                     f"{_count(found['dangling_edges'], 'dangling edge')}, {_count(found['stale_runs'], 'stale run')} "
                     f"({found['newly_stale_runs']} newly marked), "
                     f"{_count(found['artifacts_without_files'], 'artifact')} without files")
    if report.gc is not None:
        lines.append("gc: " + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in report.gc.summary().items()
                                        if k not in ("shard", "mode")) + f" ({report.gc.summary()['mode']})")
        lines += [f"  orphan sha256:{o.digest.hex} ({o.size} bytes, {'unregistered' if not o.registered else 'unreferenced'})"
                  for o in report.gc.orphans]
    return lines


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time (tests swap it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def setup_logging(settings: Settings | None = None) -> None:
    """The workers' lines on stderr: findings are JSON objects in either format, and
    ``PROVGRAPH_LOG_FORMAT=json`` makes every line one (with ``ts``, ``level``,
    ``logger``); httpx kept quiet (its lines name the webhook URL, a secret)."""
    from provgraph.logs import JsonFormatter

    logger = logging.getLogger("provgraph")
    handler = next((h for h in logger.handlers if isinstance(h, _Stderr)), None)
    if handler is None:
        handler = _Stderr()
        logger.addHandler(handler)
    secrets = [settings.webhook_url] if settings is not None and settings.webhook_url else []
    json_lines = settings is not None and settings.log_format == "json"
    handler.setFormatter(JsonFormatter(secrets) if json_lines else logging.Formatter("%(message)s"))
    logger.setLevel(logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)
