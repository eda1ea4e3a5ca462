"""Traversal results: hops with their shortest depth, edges, and lineage subgraphs.

Every node here comes from the one store call that answered the traversal; mapping them
to GraphQL types reads nothing more.
"""

from __future__ import annotations

import strawberry

from provgraph import model
from provgraph.graph.hops import cursor_of
from provgraph.model import Direction, EdgeType
from provgraph.schema.connection import PageInfo
from provgraph.schema.nodes import NodeType, to_gql


@strawberry.type(description="A node reached by a traversal and its shortest distance.")
class LineageHop:
    node: NodeType
    depth: int

    @classmethod
    def from_hop(cls, hop: model.Hop) -> LineageHop:
        return cls(node=to_gql(hop.node), depth=hop.depth)


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
        return cls(
            source=strawberry.ID(edge.source),
            target=strawberry.ID(edge.target),
            type=edge.type,
            role=edge.role,
        )


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
    def from_subgraph(cls, graph: model.Subgraph) -> LineageGraph:
        return cls(
            nodes=[to_gql(n) for n in graph.nodes],
            edges=[GraphEdge.from_edge(e) for e in graph.edges],
            direction=graph.direction,
        )
