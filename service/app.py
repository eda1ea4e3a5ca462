"""The Starlette application: ``/graphql``, the probes, the blob routes and the web UI (``/ui/``).

``/metrics`` is the Prometheus exposition (``provgraph.telemetry``); every request passes
``ObserveMiddleware`` (request id, access line, HTTP metrics).

Probes: ``/livez`` says the process answers (no backend call, for liveness: a Neo4j or S3
outage must not restart healthy pods); ``/readyz`` says the graph and the blob store
answer (503 naming the failure, for readiness and start order); ``/healthz`` is the same
check as ``/readyz``, kept for the callers that already use it.

Stores are opened in the lifespan (and closed on shutdown); request handlers reach them
through ``request.app.state.services``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from contextlib import AsyncExitStack, asynccontextmanager
from typing import AsyncIterator, Awaitable

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from provgraph.blobs import open_blob_store
from provgraph.blobs.content import ContentStore
from provgraph.config import Settings, redact_url
from provgraph.digest import digest_of_bytes
from provgraph.errors import ProvgraphError
from provgraph.ids import utcnow
from provgraph.graph import GraphStore, open_graph_store
from provgraph.registry import Limits, Registry
from provgraph.schema import schema
from provgraph.auth import Auth
from provgraph.service.blobs import routes as blob_routes
from provgraph.service.graphiql import OfflineGraphQLView, assets_route
from provgraph.service.limits import LimitsMiddleware
from provgraph.service.ui import routes as ui_routes
from provgraph.service.observe import ObserveMiddleware
from provgraph.telemetry import CONTENT_TYPE_LATEST, exposition, timed_graph
from provgraph.service.uploads import routes as upload_routes
from provgraph.services import Services
from provgraph.workers.webhooks import WebhookSender

logger = logging.getLogger("provgraph.service")

_PROBE = digest_of_bytes(b"provgraph health probe")
WEBHOOK_INTERVAL_S = 2.0


@asynccontextmanager
async def open_services(settings: Settings, graph: GraphStore | None = None) -> AsyncIterator[Services]:
    """Open the graph and blob stores of ``settings``; close them when the block ends."""
    async with AsyncExitStack() as stack:
        graph = timed_graph(graph or open_graph_store(settings.graph_url))
        await graph.open()
        stack.push_async_callback(graph.close)
        content = ContentStore(open_blob_store(settings.blob_url))
        await content.open()
        stack.push_async_callback(content.close)
        await abort_stale_uploads(content, settings)
        yield Services(
            settings=settings,
            graph=graph,
            content=content,
            registry=Registry(graph, Limits(settings.max_json_bytes, settings.max_files), settings.webhooks),
            auth=Auth(settings.auth_tokens),
        )


async def abort_stale_uploads(content: ContentStore, settings: Settings) -> None:
    """Drop the multipart uploads a crash left behind (older than the orphan grace
    period, so a live client's resumable upload survives); failing only logs."""
    cutoff = utcnow() - timedelta(hours=settings.orphan_grace_hours)
    try:
        keys = await content.abort_stale_uploads(cutoff)
    except ProvgraphError as exc:
        logger.warning("could not abort stale multipart uploads: %s", exc.message)
        return
    if keys:
        logger.warning("aborted %d unfinished multipart uploads older than %s h: %s", len(keys),
                       settings.orphan_grace_hours, ", ".join(keys[:10]))


async def _check(probe: Awaitable[object], part: str) -> str:
    try:
        await probe
    except Exception as exc:  # any failure means unhealthy; say which part and why
        logger.warning("health check: %s failed: %s", part, exc)
        return f"unavailable: {exc}"
    return "ok"


async def livez(request: Request) -> JSONResponse:
    """200 while the process can answer a request; touches no backend."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    """200 when the graph answers and the blob store can be asked; 503 naming the failure."""
    services: Services = request.app.state.services
    parts = {
        "graph": await _check(services.graph.ping(), "graph"),
        "blobs": await _check(services.content.stat(_PROBE), "blobs"),
    }
    healthy = all(v == "ok" for v in parts.values())
    return JSONResponse({"status": "ok" if healthy else "unavailable", **parts}, 200 if healthy else 503)


async def metrics(request: Request) -> Response:
    """Prometheus text exposition of this process's metrics (no project data in it)."""
    return Response(exposition(), media_type=CONTENT_TYPE_LATEST)


def create_app(settings: Settings | None = None, *, graph: GraphStore | None = None) -> Starlette:
    """The service for ``settings`` (default: from the environment). ``graph`` replaces
    the store ``settings.graph_url`` names (not yet opened; the app opens and closes it)."""
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with open_services(settings, graph) as services:
            app.state.services = services
            logger.info(
                "provgraph service started: graph %s, blobs %s",
                redact_url(settings.graph_url), redact_url(settings.blob_url),
            )
            # Webhooks go out within seconds even where workers run hourly (a CronJob) or
            # not at all (the embedded default): a background task beside the requests,
            # sharing the outbox (and its leases) with any worker.
            sender = WebhookSender(services.graph, settings.webhooks, settings.webhook_secret)
            delivering = asyncio.ensure_future(sender.run(WEBHOOK_INTERVAL_S)) if sender.enabled else None
            try:
                yield
            finally:
                if delivering is not None:
                    delivering.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await delivering

    routes = [
        Route("/graphql", OfflineGraphQLView(schema), methods=["GET", "POST"]),
        assets_route(),
        Route("/livez", livez, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/healthz", readyz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
        *blob_routes,
        *upload_routes,
        *ui_routes,
    ]
    middleware = [Middleware(ObserveMiddleware), Middleware(LimitsMiddleware, settings=settings)]
    return Starlette(routes=routes, lifespan=lifespan, middleware=middleware)
