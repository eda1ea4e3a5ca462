"""The ASGI view serving the schema: per-request context, 401 and 503 answers.

- Every request but the GraphiQL page (which holds no data) needs a valid token when
  tokens are configured; otherwise the answer is HTTP 401 with a GraphQL error body
  (``extensions.code`` ``UNAUTHENTICATED``).
- A response whose every error is ``UNAVAILABLE`` is sent as HTTP 503, so load balancers
  and retrying clients see a backend outage; all other responses are 200.
"""

from __future__ import annotations

from typing import Any

import orjson

from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse

from provgraph.errors import ProvgraphError, Unauthenticated, Unavailable
from provgraph.schema.context import Context
from provgraph.auth import Principal
from provgraph.visibility import ReadScope
from provgraph.services import Services


IDE_PAGE = Principal("graphiql-page", frozenset(), ReadScope(frozenset()))  # may read or write nothing


def graphql_error_response(exc: ProvgraphError) -> JSONResponse:
    """A GraphQL-shaped error answer sent before any operation runs."""
    body = {"data": None, "errors": [{"message": exc.message, "extensions": {"code": exc.code}}]}
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthenticated) else None
    return JSONResponse(body, exc.http_status, headers)


def _codes(data: GraphQLHTTPResponse | list[GraphQLHTTPResponse]) -> list[Any]:
    results = data if isinstance(data, list) else [data]
    errors = [e for r in results for e in (r.get("errors") or ())]
    return [e.get("extensions", {}).get("code") if isinstance(e, dict) else None for e in errors]


class GraphQLView(GraphQL[Context, None]):
    """``strawberry.asgi.GraphQL`` with provgraph's context, auth and status codes."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        except Unauthenticated as exc:  # from get_context, before anything was sent
            await graphql_error_response(exc)(scope, receive, send)

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        services: Services = request.app.state.services
        return Context(
            services=services,
            principal=self._principal(request, services),
            request=request,
            response=response if isinstance(response, Response) else None,
        )

    def _principal(self, request: HTTPConnection, services: Services) -> Principal:
        if isinstance(request, Request) and self.should_render_graphql_ide(self.request_adapter_class(request)):
            return IDE_PAGE  # serving the page runs no operation; its queries send the token
        return services.auth.authenticate(request.headers.get("authorization"))

    def encode_json(self, data: object) -> bytes:
        # orjson: several times faster than json.dumps on 10,000-node lineage answers.
        return orjson.dumps(data)

    def create_response(
        self, response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse], sub_response: Response
    ) -> Response:
        response = super().create_response(response_data, sub_response)
        codes = _codes(response_data)
        if codes and all(code == Unavailable.code for code in codes):
            response.status_code = Unavailable.http_status
        return response
