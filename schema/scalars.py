"""Custom scalars (``Long``, ``JSON``, ``DateTime``) and the enums of the API.

The enums are the domain enums themselves, registered with Strawberry, so resolvers pass
values straight through. ``Long`` is a 64-bit integer: GraphQL ``Int`` is 32-bit and files
pass 2 GiB.
"""

from __future__ import annotations

from typing import Any, NewType

import strawberry
from graphql import IntValueNode, StringValueNode, ValueNode
from strawberry.scalars import JSON
from strawberry.types.scalar import ScalarDefinition

from provgraph import lifecycle, model

__all__ = ["JSON", "Long", "LONG_SCALAR", "SCALAR_MAP"]

Long = NewType("Long", int)

_LONG_MIN, _LONG_MAX = -(2**63), 2**63 - 1


def _parse_long(value: Any) -> int:
    if isinstance(value, str) and value.lstrip("-").isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"Long must be an integer, got {value!r}")
    if not _LONG_MIN <= value <= _LONG_MAX:
        raise ValueError(f"Long {value} is outside the 64-bit range")
    return value


def _parse_long_literal(node: ValueNode, _variables: dict[str, Any] | None = None) -> int:
    if isinstance(node, (IntValueNode, StringValueNode)):
        return _parse_long(node.value if isinstance(node, StringValueNode) else int(node.value))
    raise ValueError("Long must be an integer literal")


LONG_SCALAR: ScalarDefinition = strawberry.scalar(
    name="Long",
    description="A 64-bit signed integer (GraphQL Int is 32-bit; files pass 2 GiB).",
    serialize=int,
    parse_value=_parse_long,
    parse_literal=_parse_long_literal,
)

SCALAR_MAP: dict[object, ScalarDefinition] = {Long: LONG_SCALAR}

# Registered once, here: annotations elsewhere use the domain enums themselves.
strawberry.enum(model.NodeKind, description="What a node stands for.")
strawberry.enum(
    model.EdgeType, description="Derivation edges point from the derived thing to its origin."
)
strawberry.enum(model.Direction, description="UPSTREAM: ancestors; DOWNSTREAM: descendants (impact).")
strawberry.enum(
    model.PathDirection,
    description="Which way a path goes from its source: UPSTREAM along the edges (to an ancestor), "
    "DOWNSTREAM against them (to a descendant); ANY tries UPSTREAM first.",
)
strawberry.enum(model.RunStatus)
strawberry.enum(model.BlobStatus)
strawberry.enum(
    model.ModelStatus,
    description="A model version's lifecycle: DRAFT → TRAINING → COMPLETED → DEPLOYED → DEPRECATED → "
    "ARCHIVED (see `deployModel` and `setModelStatus` for the allowed moves).",
)
strawberry.enum(
    lifecycle.Action,
    name="LifecycleAction",
    description="DEPLOY/ROLLBACK: a version entered an environment; REPLACED: it left one for another "
    "version; STATUS: setModelStatus.",
)


def json_of(value: Any) -> JSON:
    """A stored JSON object (``{}`` when absent) as the ``JSON`` scalar."""
    return JSON(value if value is not None else {})
