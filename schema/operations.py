"""Counts and times every GraphQL operation, and names it on the request's access line.

An operation is named ``<type>:<root fields>`` (``query:ancestors``,
``mutation:registerModel``), from fields the schema has: a client's operation name or a
misspelt field never becomes a metric label, so the number of series stays bounded.
"""

from __future__ import annotations

import time
from typing import Iterator

from graphql import FieldNode, GraphQLSchema, OperationDefinitionNode, get_operation_ast
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext

from provgraph.schema.errors import code_of
from provgraph.telemetry import GRAPHQL_LATENCY, GRAPHQL_OPERATIONS, observed

MAX_NAMED_FIELDS = 3
_INTROSPECTION = frozenset({"__schema", "__type", "__typename"})


def operation_label(context: ExecutionContext) -> tuple[str, str]:
    """``(type, root fields)`` of the operation ``context`` runs, from schema names only."""
    document = context.graphql_document
    operation = get_operation_ast(document, context.operation_name) if document else None
    if operation is None:
        return "unknown", "<unparsed>" if document is None else "<no operation>"
    return operation.operation.value, "+".join(_root_fields(operation, context.schema._schema))


def _root_fields(operation: OperationDefinitionNode, schema: GraphQLSchema) -> list[str]:
    root = schema.get_root_type(operation.operation)
    known = root.fields if root is not None else {}
    names = sorted({
        node.name.value if node.name.value in known or node.name.value in _INTROSPECTION else "<unknown>"
        for node in operation.selection_set.selections if isinstance(node, FieldNode)
    }) or ["<fragments>"]
    return names if len(names) <= MAX_NAMED_FIELDS else [*names[:MAX_NAMED_FIELDS], "<more>"]


class OperationMetrics(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        seconds = time.perf_counter() - started
        kind, fields = operation_label(self.execution_context)
        result = self.execution_context.result
        errors = getattr(result, "errors", None) or []
        status = code_of(errors[0]) if errors else "ok"
        GRAPHQL_OPERATIONS.labels(kind, fields, status).inc()
        GRAPHQL_LATENCY.labels(kind, fields).observe(seconds)
        request = getattr(self.execution_context.context, "request", None)
        if request is not None:
            observed(request.scope).update(operation=f"{kind}:{fields}", graphql_status=status)
