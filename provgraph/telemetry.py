"""Prometheus metrics of the service and the workers (``prometheus-client``, server extra).

Every metric lives in the process-wide default registry, so ``/metrics`` (the service)
and the worker's own exporter (``--metrics-port``) both answer ``generate_latest()``.
Label values come from the schema and the code, never from clients: a GraphQL
operation is named by its root fields, not by the client's operation name, so the
number of series stays bounded.
"""

from __future__ import annotations

import functools
import inspect
import time
from contextlib import contextmanager
from typing import Any, Awaitable, Callable, Iterable, Iterator, MutableMapping, cast

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest, start_http_server

from provgraph.graph import GraphStore

__all__ = ["CONTENT_TYPE_LATEST", "exposition", "timed_graph"]

_FAST = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
_SLOW = (0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600)

HTTP_REQUESTS = Counter(
    "provgraph_http_requests_total", "HTTP requests answered, by route template, method and status.",
    ["route", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "provgraph_http_request_duration_seconds", "Time to answer an HTTP request (to the end of its body).",
    ["route", "method"], buckets=_FAST,
)
GRAPHQL_OPERATIONS = Counter(
    "provgraph_graphql_operations_total",
    "GraphQL operations, by type, root fields and outcome (ok, or the first error's code).",
    ["type", "operation", "status"],
)
GRAPHQL_LATENCY = Histogram(
    "provgraph_graphql_operation_duration_seconds", "Time to execute a GraphQL operation.",
    ["type", "operation"], buckets=_FAST,
)
BLOB_BYTES = Counter(
    "provgraph_blob_bytes_total", "Blob bytes through the service: in (stored uploads), out (downloads).",
    ["direction"],
)
BLOB_UPLOAD_LATENCY = Histogram(
    "provgraph_blob_upload_duration_seconds", "Time to receive, hash and store one upload, by outcome.",
    ["outcome"], buckets=_SLOW,
)
BLOB_VERIFY_LATENCY = Histogram(
    "provgraph_blob_verify_duration_seconds", "Time to check one blob's bytes (workers, verifyArtifact).",
    ["mode"], buckets=_SLOW,
)
GRAPH_LATENCY = Histogram(
    "provgraph_graph_store_duration_seconds", "Time of one graph store call, by method and outcome.",
    ["method", "outcome"], buckets=_FAST,
)
WORKER_CHECKS = Counter(
    "provgraph_worker_checks_total", "Blobs checked by worker passes, by resulting status.", ["status"],
)
WORKER_PASSES = Counter(
    "provgraph_worker_passes_total", "Worker verification passes, by mode and outcome (ok, failed).",
    ["mode", "outcome"],
)
WORKER_PASS_LATENCY = Histogram(
    "provgraph_worker_pass_duration_seconds", "Time of one worker verification pass.", ["mode"], buckets=_SLOW,
)
WORKER_LAST_PASS = Gauge(
    "provgraph_worker_last_pass_timestamp_seconds", "When the last verification pass ended, by outcome.",
    ["outcome"],
)
LIMIT_REFUSALS = Counter(
    "provgraph_limit_refusals_total", "Requests refused by a limit, by error code.", ["code"],
)


OBSERVED = "provgraph.observed"  # ASGI scope key: facts handlers add to the access line


def observed(scope: MutableMapping[str, Any]) -> dict[str, Any]:
    """The mutable facts of one request for its access line (``operation``, …)."""
    found: dict[str, Any] = scope.setdefault(OBSERVED, {})
    return found


def exposition() -> bytes:
    """The text exposition format of every metric of this process."""
    return generate_latest()


def observe_check(mode: str, seconds: float) -> None:
    BLOB_VERIFY_LATENCY.labels(mode).observe(seconds)


def count_checks(statuses: Iterable[str]) -> None:
    for status in statuses:
        WORKER_CHECKS.labels(status).inc()


@contextmanager
def timed_pass(mode: str) -> Iterator[None]:
    """Counts and times one verification pass; records when it last ended, by outcome."""
    started, outcome = time.perf_counter(), "failed"
    try:
        yield
        outcome = "ok"
    finally:
        WORKER_PASSES.labels(mode, outcome).inc()
        WORKER_PASS_LATENCY.labels(mode).observe(time.perf_counter() - started)
        WORKER_LAST_PASS.labels(outcome).set_to_current_time()


def serve_metrics(port: int, host: str = "0.0.0.0") -> Callable[[], None]:
    """The worker's own exporter: ``/metrics`` on ``host:port`` in a background thread
    (a daemon: it ends with the process). Answers the function that stops it."""
    server, thread = start_http_server(port, host)

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(5)

    return stop


class _TimedGraph:
    """Forwards every attribute to the wrapped store, timing its coroutine methods."""

    def __init__(self, inner: GraphStore) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._inner, name)
        if name.startswith("_") or not callable(value):
            return value
        wrapped = _timed(name, value)
        setattr(self, name, wrapped)  # looked up once per method
        return wrapped


def _timed(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
    if not inspect.iscoroutinefunction(method):
        return method

    @functools.wraps(method)
    async def call(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        outcome = "error"
        try:
            result = await cast(Callable[..., Awaitable[Any]], method)(*args, **kwargs)
            outcome = "ok"
            return result
        finally:
            GRAPH_LATENCY.labels(name, outcome).observe(time.perf_counter() - started)

    return call


def timed_graph(graph: GraphStore) -> GraphStore:
    """``graph`` with every call's latency recorded in ``provgraph_graph_store_duration_seconds``."""
    if isinstance(graph, _TimedGraph):
        return graph
    return cast(GraphStore, _TimedGraph(graph))
