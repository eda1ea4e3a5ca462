"""GraphiQL from files packaged with the service: the page and its scripts load with no
network (an air-gapped cluster gets a working IDE, not a blank page).

``static/graphiql/`` holds Strawberry's GraphiQL page with its CDN URLs replaced by
relative ones, and the npm files it loads at pinned versions, byte-identical so its
integrity hashes hold (``scripts/vendor-graphiql.sh`` regenerates both). The page and
the assets hold no data: they need no token.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from provgraph.schema.view import GraphQLView

ASSETS = Path(__file__).resolve().parent / "static" / "graphiql"
ASSETS_PATH = "/static/graphiql"  # the page refers to its files as static/graphiql/<file>


class OfflineGraphQLView(GraphQLView):
    """``GraphQLView`` serving the packaged GraphiQL page instead of the CDN one."""

    @cached_property
    def graphql_ide_html(self) -> str:
        return (ASSETS / "index.html").read_text(encoding="utf-8")


def assets_route() -> Mount:
    return Mount(ASSETS_PATH, app=StaticFiles(directory=ASSETS), name="graphiql-assets")
