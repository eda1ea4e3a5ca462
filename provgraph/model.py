"""The domain model: node and edge kinds, nodes, edges, files and traversal results.

Values are frozen dataclasses; kind-specific fields of a node live in ``props`` so every
backend stores one node shape. ``docs/model.md`` lists the props of each kind.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any, Generic, Mapping, NamedTuple, Sequence, TypeVar

from provgraph.digest import Digest

JSONObject = Mapping[str, Any]
T = TypeVar("T")


class NodeKind(str, Enum):
    DATASET = "DATASET"
    RUN = "RUN"
    MODEL = "MODEL"
    EVALUATION = "EVALUATION"
    BLOB = "BLOB"


class EdgeType(str, Enum):
    USED = "USED"
    GENERATED_BY = "GENERATED_BY"
    DERIVED_FROM = "DERIVED_FROM"
    EVALUATES = "EVALUATES"
    ON = "ON"
    HAS_FILE = "HAS_FILE"


class Direction(str, Enum):
    UPSTREAM = "UPSTREAM"
    DOWNSTREAM = "DOWNSTREAM"
    BOTH = "BOTH"

    def walks(self) -> tuple[Direction, ...]:
        """The one-way walks that answer this direction (BOTH: up, then down)."""
        return (Direction.UPSTREAM, Direction.DOWNSTREAM) if self is Direction.BOTH else (self,)


class PathDirection(str, Enum):
    """Which way a path may go from its source: UPSTREAM along the edges (the target is
    an ancestor), DOWNSTREAM against them (a descendant), ANY tries UPSTREAM first."""

    UPSTREAM = "UPSTREAM"
    DOWNSTREAM = "DOWNSTREAM"
    ANY = "ANY"

    def walks(self) -> tuple[Direction, ...]:
        if self is PathDirection.ANY:
            return (Direction.UPSTREAM, Direction.DOWNSTREAM)
        return (Direction(self.value),)


class RunStatus(str, Enum):
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"


class BlobStatus(str, Enum):
    PENDING = "PENDING"
    VERIFIED = "VERIFIED"
    CORRUPT = "CORRUPT"
    MISSING = "MISSING"


class ModelStatus(str, Enum):
    DRAFT = "DRAFT"
    TRAINING = "TRAINING"
    COMPLETED = "COMPLETED"
    DEPLOYED = "DEPLOYED"
    DEPRECATED = "DEPRECATED"
    ARCHIVED = "ARCHIVED"


VERSIONED_KINDS = frozenset({NodeKind.DATASET, NodeKind.MODEL})

# Which kinds an edge may join: (source kinds, target kinds). Edges point from the
# derived thing to what it came from (W3C PROV direction).
EDGE_RULES: Mapping[EdgeType, tuple[frozenset[NodeKind], frozenset[NodeKind]]] = {
    EdgeType.USED: (
        frozenset({NodeKind.RUN}),
        frozenset({NodeKind.DATASET, NodeKind.MODEL, NodeKind.BLOB}),
    ),
    EdgeType.GENERATED_BY: (
        frozenset({NodeKind.DATASET, NodeKind.MODEL, NodeKind.EVALUATION}),
        frozenset({NodeKind.RUN}),
    ),
    EdgeType.DERIVED_FROM: (
        frozenset({NodeKind.MODEL, NodeKind.DATASET}),
        frozenset({NodeKind.MODEL, NodeKind.DATASET}),
    ),
    EdgeType.EVALUATES: (frozenset({NodeKind.EVALUATION}), frozenset({NodeKind.MODEL})),
    EdgeType.ON: (frozenset({NodeKind.EVALUATION}), frozenset({NodeKind.DATASET})),
    EdgeType.HAS_FILE: (
        frozenset({NodeKind.DATASET, NodeKind.MODEL, NodeKind.EVALUATION, NodeKind.RUN}),
        frozenset({NodeKind.BLOB}),
    ),
}


@dataclass(frozen=True)
class Node:
    """One node of the provenance graph, of any kind.

    ``props`` holds the kind-specific fields (a Run's ``status`` and ``params``, a Blob's
    ``size`` and ``status``, a Dataset's ``manifest_digest`` …).
    """

    id: str
    kind: NodeKind
    project: str
    name: str
    created_at: datetime
    version: str | None = None
    tags: tuple[str, ...] = ()
    metadata: JSONObject = field(default_factory=dict)
    props: JSONObject = field(default_factory=dict)


@dataclass(frozen=True)
class FileRef:
    """A file an artifact names: its path inside the artifact, its bytes' digest and size."""

    path: str
    digest: Digest
    size: int
    role: str | None = None


@dataclass(frozen=True)
class FileEntry:
    """A stored HAS_FILE edge joined with its Blob's current state."""

    node_id: str
    path: str
    role: str | None
    digest: Digest
    size: int
    status: BlobStatus


@dataclass(frozen=True)
class EdgeSpec:
    """An edge from a node being created (or an existing ``source``) to ``target``."""

    type: EdgeType
    target: str
    role: str | None = None


@dataclass(frozen=True)
class NewNode:
    """Everything needed to create a node atomically with its outgoing edges and files.

    ``version`` None on a versioned kind asks the store to allocate the next ``vN``.
    ``id`` None asks the store for a fresh ULID; a given id makes the write idempotent.
    """

    kind: NodeKind
    project: str
    name: str
    version: str | None = None
    id: str | None = None
    tags: tuple[str, ...] = ()
    metadata: JSONObject = field(default_factory=dict)
    props: JSONObject = field(default_factory=dict)
    edges: tuple[EdgeSpec, ...] = ()
    files: tuple[FileRef, ...] = ()


class Edge(NamedTuple):
    """An edge, from the derived thing to its origin; ``role`` is a USED role or a
    HAS_FILE path. A named tuple: lineage answers hold ~100,000 of them."""

    source: str
    target: str
    type: EdgeType
    role: str | None = None


class Hop(NamedTuple):
    """A node reached by a traversal and its shortest distance from the start."""

    node: Node
    depth: int


class HopRef(NamedTuple):
    """A hop without the node's fields: its id, kind and shortest depth (the answer to a
    traversal that asks only for ids, which the stores give without decoding nodes)."""

    id: str
    kind: NodeKind
    depth: int


@dataclass(frozen=True)
class Subgraph:
    """Nodes and edges. A lineage answer holds every edge between two of its nodes and
    the direction asked; a path answer holds its nodes in order from source to target,
    the edges between consecutive ones (each as stored: derived thing → origin), and the
    way it went (UPSTREAM or DOWNSTREAM)."""

    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    direction: Direction | None = None


@dataclass(frozen=True)
class NodeFilter:
    """Filters of a node listing; None means "any". ``projects`` bounds the listing to
    those projects (a reader's readable ones; empty: nothing), on top of ``project``."""

    project: str | None = None
    name: str | None = None
    tag: str | None = None
    status: str | None = None
    projects: frozenset[str] | None = None


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a listing: ``end_cursor`` is passed as ``after`` to get the next."""

    items: Sequence[T]
    has_next: bool
    end_cursor: str | None
