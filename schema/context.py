"""The typed per-request context every resolver receives as ``info.context``."""

from __future__ import annotations

from dataclasses import dataclass, field

import strawberry
from starlette.requests import HTTPConnection
from starlette.responses import Response

from provgraph.errors import TooComplex
from provgraph.graph import GraphStore
from provgraph.registry import Registry
from provgraph.schema.loaders import Loaders
from provgraph.auth import Principal
from provgraph.visibility import ReadScope
from provgraph.services import Services


@dataclass
class Context:
    """Services of the app, who is asking, and this request's DataLoaders and registry,
    both limited to what the principal may read."""

    services: Services
    principal: Principal
    request: HTTPConnection | None = None
    response: Response | None = None
    loaders: Loaders = field(init=False)
    registry: Registry = field(init=False)
    traversal_nodes: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.services.graph, self.principal.reads)
        self.registry = self.services.registry.reading_as(self.principal.reads)

    @property
    def graph(self) -> GraphStore:
        return self.services.graph

    @property
    def reads(self) -> ReadScope:
        return self.principal.reads

    def spend_traversal(self, nodes: int) -> None:
        """Count ``nodes`` answered by a traversal; ``TooComplex`` once this request's
        traversals pass ``PROVGRAPH_MAX_TRAVERSAL_NODES`` together."""
        self.traversal_nodes += nodes
        limit = self.services.settings.max_traversal_nodes
        if self.traversal_nodes > limit:
            raise TooComplex(
                f"the traversals of this request reach {self.traversal_nodes} nodes; allowed: {limit} "
                "(PROVGRAPH_MAX_TRAVERSAL_NODES): narrow them with maxDepth or kinds"
            )

    def check_write(self, project: str) -> None:
        """``Forbidden`` unless the principal may write ``project``."""
        self.principal.check_write(project)


Info = strawberry.Info[Context, None]
