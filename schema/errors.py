"""Domain errors → GraphQL errors with a stable ``extensions.code``.

A ``ProvgraphError`` keeps its message and code. A request GraphQL itself refuses (syntax,
unknown field, a variable of the wrong type) is ``BAD_INPUT``. Anything else raised by a
resolver is a bug: logged with its traceback, answered as ``INTERNAL`` with a generic
message so internals never leak to clients.
"""

from __future__ import annotations

import logging
from typing import Iterator

import strawberry
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext
from strawberry.types.execution import ExecutionResult

from provgraph.errors import ProvgraphError, Unavailable

logger = logging.getLogger("provgraph.schema")

INTERNAL_MESSAGE = "internal error: the service log has the details"


def _is_domain(error: GraphQLError) -> bool:
    return isinstance(error.original_error, ProvgraphError)


def _is_bug(error: GraphQLError) -> bool:
    """Raised while resolving a field (it has a path) by something not a domain error."""
    return error.path is not None and not _is_domain(error)


def code_of(error: GraphQLError) -> str:
    """The ``extensions.code`` ``error`` is answered with."""
    if isinstance(error.original_error, ProvgraphError):
        return error.original_error.code
    code = (error.extensions or {}).get("code")
    if isinstance(code, str):  # coded already, or set by a limit's validation rule
        return code
    return "INTERNAL" if _is_bug(error) else "BAD_INPUT"


def coded(error: GraphQLError) -> GraphQLError:
    """``error`` with ``extensions.code`` set (and its message hidden when it is a bug).
    A code a validation rule set (a limit's) is kept."""
    original = error.original_error
    code = code_of(error)
    if isinstance(original, ProvgraphError):
        message = original.message
    elif code == "INTERNAL":
        message = INTERNAL_MESSAGE
    else:
        message = error.message
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions={**(error.extensions or {}), "code": code},
    )


class ErrorCodes(SchemaExtension):
    """Rewrites every error of a result once the operation is over."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if isinstance(result, (GraphQLExecutionResult, ExecutionResult)) and result.errors:
            result.errors = [coded(e) for e in result.errors]


class Schema(strawberry.Schema):
    """A ``strawberry.Schema`` that logs bugs loudly and expected refusals quietly."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            if _is_bug(error):
                logger.error("resolver failed at %s", error.path, exc_info=error.original_error)
            elif isinstance(error.original_error, Unavailable):
                logger.warning("backend unavailable: %s", error.original_error.message)
            else:
                logger.debug("request refused: %s", error.message)
