"""Request ids, access log lines and HTTP metrics: the outermost ASGI middleware.

Each request gets an id (the client's ``X-Request-ID`` when it is a short plain token,
else a new one), sent back in ``X-Request-ID`` and written on every log line of the
request. When the response ends, one ``provgraph.access`` line records method, path
(without its query string, which may hold a GraphQL query), route, status, duration,
the GraphQL operation and bytes sent; the same facts feed ``provgraph_http_*``.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from provgraph.logs import request_id
from provgraph.telemetry import HTTP_LATENCY, HTTP_REQUESTS, observed

access = logging.getLogger("provgraph.access")
_CLIENT_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
UNMATCHED = "<unmatched>"


def new_request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            text: str = value.decode("latin-1")
            if _CLIENT_ID.fullmatch(text):
                return text
    return uuid.uuid4().hex


class ObserveMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = new_request_id(scope)
        token = request_id.set(rid)
        started = time.perf_counter()
        state = {"status": 500, "bytes": 0}

        async def send_observed(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
            elif message["type"] == "http.response.body":
                state["bytes"] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, send_observed)
        finally:
            self._record(scope, state, time.perf_counter() - started, rid)
            request_id.reset(token)

    @staticmethod
    def _record(scope: Scope, state: dict[str, int], seconds: float, rid: str) -> None:
        route = getattr(scope.get("route"), "path", None) or UNMATCHED
        method, status = scope["method"], state["status"]
        HTTP_REQUESTS.labels(route, method, str(status)).inc()
        HTTP_LATENCY.labels(route, method).observe(seconds)
        fields = {"request_id": rid, "method": method, "path": scope["path"], "route": route,
                  "status": status, "duration_ms": round(seconds * 1000, 3), "bytes_sent": state["bytes"],
                  **observed(scope)}
        access.info("%s %s %s %.1f ms", method, scope["path"], status, seconds * 1000, extra=fields)
