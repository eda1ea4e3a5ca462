"""Domain errors to HTTP answers: one JSON shape, ``{"error": {"code", "message"}}``."""

from __future__ import annotations

import logging

from starlette.responses import JSONResponse

from provgraph.errors import ProvgraphError, Unauthenticated

logger = logging.getLogger("provgraph.service")


def error_body(code: str, message: str) -> dict[str, dict[str, str]]:
    return {"error": {"code": code, "message": message}}


def error_response(exc: BaseException) -> JSONResponse:
    """The HTTP answer for ``exc``: a ``ProvgraphError`` keeps its status, code and
    message; anything else is logged and answered 500 without its details."""
    if isinstance(exc, ProvgraphError):
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthenticated) else None
        return JSONResponse(error_body(exc.code, exc.message), exc.http_status, headers)
    logger.error("unhandled error", exc_info=exc)
    return JSONResponse(error_body("INTERNAL", "internal error; see the service log"), 500)
