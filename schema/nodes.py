"""The ``Node`` interface every node type implements, and the domain → GraphQL mapping."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable, Iterable

import strawberry

from provgraph import model
from provgraph.model import NodeKind
from provgraph.schema.scalars import JSON

_TYPES: dict[NodeKind, Callable[[model.Node], NodeType]] = {}
_CLASSES: dict[NodeKind, type[NodeType]] = {}
STUB_FIELDS = frozenset({"id", "kind", "__typename"})  # all a stub answers


@strawberry.interface(name="Node", description="A node of the provenance graph.")
class NodeType:
    id: strawberry.ID = strawberry.field(
        description="ULID; a Blob's id is `sha256:<hex>`."
    )
    kind: NodeKind
    project: str
    name: str
    created_at: datetime
    tags: list[str]
    metadata: JSON = strawberry.field(description="Free JSON object given at registration.")

    @classmethod
    def resolve_type(cls, obj: Any, info: Any, type_: Any) -> str:
        # Every implementation is a plain Strawberry type: its name is on the class,
        # which spares Strawberry's generic (and per-object slow) lookup.
        name: str = type(obj).__strawberry_definition__.name
        return name


def base_fields(node: model.Node) -> dict[str, Any]:
    """The ``Node`` interface fields of ``node``, as constructor keywords."""
    return {
        "id": strawberry.ID(node.id),
        "kind": node.kind,
        "project": node.project,
        "name": node.name,
        "created_at": node.created_at,
        "tags": list(node.tags),
        "metadata": dict(node.metadata),
    }


def register(kind: NodeKind, convert: Callable[[model.Node], NodeType]) -> None:
    """Record the function (a classmethod of the GraphQL type) that turns a domain node
    of ``kind`` into its GraphQL type."""
    _TYPES[kind] = convert
    _CLASSES[kind] = getattr(convert, "__self__")


def stub(kind: NodeKind, node_id: str) -> NodeType:
    """The GraphQL object of a node known by id and kind alone, for answers whose
    selection asks for nothing else (``STUB_FIELDS``): no node is read or decoded."""
    obj = object.__new__(_CLASSES[kind])
    obj.__dict__.update(id=node_id, kind=kind)
    return obj


def to_gql(node: model.Node) -> NodeType:
    """The GraphQL object for a domain node (no store access)."""
    return _TYPES[node.kind](node)


def to_gql_all(nodes: Iterable[model.Node]) -> list[NodeType]:
    return [to_gql(node) for node in nodes]


def parse_time(value: object) -> datetime | None:
    """A datetime stored in props as ISO text (or None)."""
    return datetime.fromisoformat(value) if isinstance(value, str) else None
