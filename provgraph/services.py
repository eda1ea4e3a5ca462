"""The stores and policies one running service (or worker) works with, built once at
start-up; request handlers reach them through ``request.app.state.services``."""

from __future__ import annotations

from dataclasses import dataclass

from provgraph.blobs.content import ContentStore
from provgraph.config import Settings
from provgraph.graph import GraphStore
from provgraph.registry import Registry
from provgraph.auth import Auth


@dataclass(frozen=True)
class Services:
    settings: Settings
    graph: GraphStore
    content: ContentStore
    registry: Registry
    auth: Auth
