"""Traversal results: hops with their shortest depth, edges, and lineage subgraphs.

Every node here comes from the one store call that answered the traversal; mapping them
to GraphQL types reads nothing more.
"""

from __future__ import annotations

from typing import Any, NamedTuple, cast

import strawberry
from strawberry.types.nodes import SelectedField

from provgraph import model
from provgraph.graph.hops import cursor_of
from provgraph.model import Direction, EdgeType
from provgraph.schema.connection import PageInfo
from provgraph.schema.nodes import STUB_FIELDS, NodeType, stub, to_gql

_tuple_new = tuple.__new__

@strawberry.type(description="A node reached by a traversal and its shortest distance.")
class LineageHop:
    node: NodeType
    depth: int

    @classmethod
    def from_hop(cls, hop: model.Hop) -> LineageHop:
        return cast(LineageHop, _tuple_new(_Hop, (to_gql(hop.node), hop.depth)))

    @classmethod
    def from_ref(cls, ref: model.HopRef) -> LineageHop:
        return cast(LineageHop, _tuple_new(_Hop, (stub(ref.kind, ref.id), ref.depth)))


class _Hop(NamedTuple):
    """A ``LineageHop`` as served: the same fields, read the same way (attributes), in a
    named tuple, a fraction of the dataclass's cost to make (answers hold 100,000 hops)."""

    node: NodeType
    depth: int


def asks_ids_only(info: Any, nodes: str = "node") -> bool:
    """Whether the answer is asked for nothing of its nodes (field ``nodes``) but
    ``STUB_FIELDS`` (plain fields, no fragments or directives): then it can be answered
    without reading or converting the nodes."""
    (answer,) = info.selected_fields
    for selection in answer.selections:
        if not isinstance(selection, SelectedField) or selection.directives:
            return False
        if selection.name == nodes and not all(
                isinstance(s, SelectedField) and not s.directives and s.name in STUB_FIELDS
                for s in selection.selections):
            return False
    return True


@strawberry.type(description="One hop of a traversal page: the node, its shortest depth, and the cursor after it.")
class HopEdge:
    cursor: str
    depth: int
    node: NodeType


@strawberry.type(description="A page of a traversal's hops, by depth then id; pass `pageInfo.endCursor` as `after`.")
class HopConnection:
    edges: list[HopEdge]
    page_info: PageInfo

    @classmethod
    def from_page(cls, page: model.Page[model.Hop]) -> HopConnection:
        edges = [HopEdge(cursor=cursor_of(model.HopRef(h.node.id, h.node.kind, h.depth)), depth=h.depth,
                         node=to_gql(h.node)) for h in page.items]
        return cls(edges=edges, page_info=PageInfo(has_next_page=page.has_next, end_cursor=page.end_cursor))


@strawberry.type(name="Edge", description="An edge, from the derived thing to its origin.")
class GraphEdge:
    source: strawberry.ID
    target: strawberry.ID
    type: EdgeType
    role: str | None = strawberry.field(description="USED role, or HAS_FILE path.")

    @classmethod
    def from_edge(cls, edge: model.Edge) -> GraphEdge:
        """``edge`` as this type: ``model.Edge`` has the same fields, read the same way
        (attributes), so it is served as it is rather than copied (lineage answers hold
        ~100,000 edges)."""
        return cast(GraphEdge, edge)


@strawberry.type(
    description="Nodes and edges. A lineage: every edge whose two ends are among the nodes. A path: its "
    "nodes in order from source to target and the edge between each consecutive pair, each edge as stored "
    "(from the derived thing to its origin), so on a DOWNSTREAM path edges point back toward the source."
)
class LineageGraph:
    nodes: list[NodeType]
    edges: list[GraphEdge]
    direction: Direction | None = strawberry.field(
        description="A lineage: the direction asked. A path: the way it went from its source, "
        "UPSTREAM (along the edges) or DOWNSTREAM (against them)."
    )

    @classmethod
    def from_subgraph(cls, graph: model.Subgraph, stubs: bool = False) -> LineageGraph:
        """``stubs``: the nodes as ids and kinds only (``stub``), for a selection of
        ``nodes`` that asks for nothing more."""
        return cls(
            nodes=[stub(n.kind, n.id) for n in graph.nodes] if stubs else [to_gql(n) for n in graph.nodes],
            edges=cast(list[GraphEdge], list(graph.edges)),
            direction=graph.direction,
        )
