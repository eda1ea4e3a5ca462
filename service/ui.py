"""The web UI: ``/ui/`` serves a page of plain ES modules (browse, node pages, lineage
graph) that talks to ``/graphql`` only, from files packaged with the service.

``static/ui/`` holds the UI's own modules; ``static/ui/vendor/`` the npm libraries it loads
(Cytoscape.js, cytoscape-dagre, uPlot) at pinned versions, byte-identical to the npm
tarballs (``scripts/vendor-ui.sh`` refreshes them). The page and its files hold no data and
need no token; the page keeps a token in ``sessionStorage`` and sends it as a Bearer
header, never in a URL. Its Content-Security-Policy lets it reach only this service.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

ASSETS = Path(__file__).resolve().parent / "static" / "ui"

CSP = "; ".join([
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",  # Cytoscape and uPlot set element styles
    "img-src 'self' data: blob:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
])
HEADERS = {
    "Content-Security-Policy": CSP,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}


async def page(request: Request) -> Response:
    return FileResponse(ASSETS / "index.html", media_type="text/html", headers=HEADERS)


async def to_page(request: Request) -> Response:
    """``/ui`` → ``/ui/``, so that the page's relative asset URLs resolve under it."""
    return RedirectResponse(request.url.replace(path="/ui/"), status_code=308)


routes: list[BaseRoute] = [
    Route("/ui", to_page, methods=["GET", "HEAD"]),
    Route("/ui/", page, methods=["GET", "HEAD"]),
    Mount("/ui/assets", app=StaticFiles(directory=ASSETS), name="ui-assets"),
]
