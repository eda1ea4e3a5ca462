"""Graph stores: the ``GraphStore`` protocol and its backends, chosen by URL scheme."""

from __future__ import annotations

from urllib.parse import urlsplit

from provgraph.errors import ConfigError
from provgraph.graph.protocol import GraphStore

__all__ = ["GraphStore", "open_graph_store"]

SCHEMES = ("sqlite", "bolt", "neo4j", "bolt+s", "neo4j+s", "bolt+ssc", "neo4j+ssc")


def open_graph_store(url: str) -> GraphStore:
    """A (not yet opened) graph store for ``url``: ``sqlite:///path.db`` or a Neo4j URL."""
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        from provgraph.graph.sqlite import SqliteGraphStore

        return SqliteGraphStore.from_url(url)
    if scheme in SCHEMES:
        try:
            from provgraph.graph.neo4j import Neo4jGraphStore
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ConfigError(
                f"PROVGRAPH_GRAPH_URL={url!r} needs the Neo4j driver: pip install 'provgraph[server]'"
            ) from exc
        return Neo4jGraphStore.from_url(url)
    raise ConfigError(
        f"PROVGRAPH_GRAPH_URL has unknown scheme {scheme!r}; known: {', '.join(SCHEMES)}"
    )
