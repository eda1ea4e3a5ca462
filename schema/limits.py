"""Limits on what one GraphQL request may ask, each refused with its own code.

Checked while the document is validated, before any resolver runs (so a refused
mutation writes nothing): depth (``PROVGRAPH_MAX_QUERY_DEPTH``, Strawberry's
``QueryDepthLimiter``; introspection fields are not counted), aliases
(``PROVGRAPH_MAX_ALIASES``, Strawberry's ``MaxAliasesLimiter``) and fields
(``PROVGRAPH_MAX_FIELDS``, every field selection, fragments expanded where they are
spread). During execution, the traversals of one request may answer at most
``PROVGRAPH_MAX_TRAVERSAL_NODES`` nodes together (``TOO_COMPLEX``).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Iterator

from graphql import FieldNode, FragmentDefinitionNode, FragmentSpreadNode, GraphQLError, InlineFragmentNode
from graphql import OperationDefinitionNode, SelectionSetNode, ValidationContext, ValidationRule
from strawberry.extensions import SchemaExtension
from strawberry.extensions.max_aliases import create_validator as aliases_validator
from strawberry.extensions.query_depth_limiter import create_validator as depth_validator

from provgraph.config import Settings

DEFAULTS = Settings(graph_url="", blob_url="")


def coded_rule(rule: type[ValidationRule], code: str, hint: str) -> type[ValidationRule]:
    """``rule`` with ``extensions.code`` (and a hint naming the setting) on what it reports."""

    class Coded(rule):  # type: ignore[valid-type, misc]
        def __init__(self, context: ValidationContext) -> None:
            report = context.report_error

            def coded(error: GraphQLError) -> None:
                error.message = f"{error.message} ({hint})"
                error.extensions = {**(error.extensions or {}), "code": code}
                report(error)

            context.report_error = coded  # type: ignore[method-assign]
            try:
                super().__init__(context)
            finally:
                context.report_error = report  # type: ignore[method-assign]

    return Coded


def _count_fields(selections: SelectionSetNode | None, fragments: dict[str, FragmentDefinitionNode],
                  seen: frozenset[str]) -> int:
    total = 0
    for node in selections.selections if selections else ():
        if isinstance(node, FieldNode):
            total += 1 + _count_fields(node.selection_set, fragments, seen)
        elif isinstance(node, InlineFragmentNode):
            total += _count_fields(node.selection_set, fragments, seen)
        elif isinstance(node, FragmentSpreadNode) and node.name.value in fragments and node.name.value not in seen:
            fragment = fragments[node.name.value]
            total += _count_fields(fragment.selection_set, fragments, seen | {node.name.value})
    return total


def fields_validator(limit: int) -> type[ValidationRule]:
    class MaxFields(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            document = context.document
            fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
            total = sum(_count_fields(d.selection_set, fragments, frozenset())
                        for d in document.definitions if isinstance(d, OperationDefinitionNode))
            if total > limit:
                context.report_error(GraphQLError(
                    f"{total} fields selected; allowed: {limit} (PROVGRAPH_MAX_FIELDS)",
                    extensions={"code": "TOO_MANY_FIELDS"}))

    return MaxFields


@lru_cache(maxsize=32)
def rules(depth: int, aliases: int, fields: int) -> tuple[type[ValidationRule], ...]:
    return (
        coded_rule(depth_validator(depth, None), "QUERY_TOO_DEEP", "PROVGRAPH_MAX_QUERY_DEPTH"),
        coded_rule(aliases_validator(aliases), "TOO_MANY_ALIASES", "PROVGRAPH_MAX_ALIASES"),
        fields_validator(fields),
    )


def settings_of(context: Any) -> Settings:
    services = getattr(context, "services", None)
    return getattr(services, "settings", None) or DEFAULTS


class QueryLimits(SchemaExtension):
    """Adds this service's depth, alias and field rules to the request's validation."""

    def on_operation(self) -> Iterator[None]:
        settings = settings_of(self.execution_context.context)
        extra = rules(settings.max_query_depth, settings.max_aliases, settings.max_fields)
        self.execution_context.validation_rules = (*self.execution_context.validation_rules, *extra)
        yield
