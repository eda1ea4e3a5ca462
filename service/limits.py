"""Request limits enforced before any handler runs: body size and a per-token rate.

- ``PROVGRAPH_MAX_BODY_BYTES`` caps every request body but the blob bytes themselves
  (``PUT /blobs/sha256/<digest>``, ``POST /blobs/sha256``, which stream to storage and
  may be any size): a declared ``Content-Length`` over it is refused before a byte is
  read, a chunked body as soon as it passes it. 413 ``PAYLOAD_TOO_LARGE``.
- ``PROVGRAPH_RATE_LIMIT`` requests a minute per token (per client address without
  one), as a token bucket holding a minute's worth, kept in this process's memory
  (each replica counts its own). 429 ``RATE_LIMITED`` with ``Retry-After``. Probes,
  ``/metrics`` and the GraphiQL files are never limited.

Refusals on ``/graphql`` have the GraphQL error shape; elsewhere ``{"error": …}``.
"""

from __future__ import annotations

import math
import re
import threading
import time
from typing import Callable

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from provgraph.config import Settings
from provgraph.errors import LimitExceeded, PayloadTooLarge, RateLimited
from provgraph.telemetry import LIMIT_REFUSALS

UNLIMITED = ("/livez", "/readyz", "/healthz", "/metrics", "/static/")
_BYTE_UPLOADS = re.compile(r"/blobs/sha256(/[^/]+)?")
MAX_KEYS = 100_000  # buckets kept; the oldest full ones are dropped beyond this


class TokenBuckets:
    """``rate`` requests a minute per key, bursts up to a minute's worth."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(per_minute)
        self.refill = per_minute / 60.0
        self.clock = clock
        self.buckets: dict[str, tuple[float, float]] = {}  # key → (tokens, at)
        self.lock = threading.Lock()

    def take(self, key: str) -> float:
        """0 when ``key`` may go on now, else the seconds until it may."""
        now = self.clock()
        with self.lock:
            tokens, at = self.buckets.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - at) * self.refill)
            if tokens < 1:
                self.buckets[key] = (tokens, now)
                return (1 - tokens) / self.refill
            self.buckets[key] = (tokens - 1, now)
            if len(self.buckets) > MAX_KEYS:
                self.buckets.pop(next(iter(self.buckets)))
            return 0.0


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            text: str = value.decode("latin-1")
            return text
    return None


def rate_key(scope: Scope) -> str:
    authorization = _header(scope, b"authorization")
    if authorization:
        return "token:" + authorization.partition(" ")[2].strip()
    client = scope.get("client")
    return "address:" + (client[0] if client else "unknown")


def refusal(scope: Scope, exc: LimitExceeded, headers: dict[str, str] | None = None) -> JSONResponse:
    LIMIT_REFUSALS.labels(exc.code).inc()
    if scope["path"] == "/graphql":
        body: object = {"data": None, "errors": [{"message": exc.message, "extensions": {"code": exc.code}}]}
    else:
        body = {"error": {"code": exc.code, "message": exc.message}}
    return JSONResponse(body, exc.http_status, headers)


class _BodyTooLarge(Exception):
    pass


class LimitsMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.max_body = settings.max_body_bytes
        self.rate = settings.rate_limit
        self.buckets = TokenBuckets(settings.rate_limit) if settings.rate_limit else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(UNLIMITED):
            await self.app(scope, receive, send)
            return
        if self.buckets is not None and (wait := self.buckets.take(rate_key(scope))):
            exc = RateLimited(f"more than {self.rate} requests a minute with this token: retry in "
                              f"{math.ceil(wait)} s (PROVGRAPH_RATE_LIMIT)")
            await refusal(scope, exc, {"Retry-After": str(math.ceil(wait))})(scope, receive, send)
            return
        if _BYTE_UPLOADS.fullmatch(scope["path"]) and scope["method"] in ("PUT", "POST"):
            await self.app(scope, receive, send)
            return
        await self._limit_body(scope, receive, send)

    def _too_large(self, size: str) -> PayloadTooLarge:
        return PayloadTooLarge(f"request body of {size} bytes is over the limit of {self.max_body} "
                               "(PROVGRAPH_MAX_BODY_BYTES)")

    async def _limit_body(self, scope: Scope, receive: Receive, send: Send) -> None:
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body:
            await refusal(scope, self._too_large(declared))(scope, receive, send)
            return
        seen, started = 0, False

        async def counted_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise _BodyTooLarge()
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except _BodyTooLarge:
            if started:
                raise
            await refusal(scope, self._too_large(f"more than {self.max_body}"))(scope, receive, send)
