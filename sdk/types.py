"""Typed, frozen results of the SDK: artifacts, hops, lineage graphs, files, metrics."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

# The fields every query asks for: one fragment for every node kind. Status fields are
# aliased because GraphQL forbids one response name with two enum types.
NODE_FIELDS = """
fragment N on Node { id kind project name createdAt tags metadata
  ... on Dataset { version manifestDigest fileCount totalBytes stats source }
  ... on Model { version modelStatus: status aliases metrics description deployedIn deployedAt }
  ... on Run { runKind runStatus: status params metrics provenance startedAt endedAt durationS error }
  ... on Evaluation { metrics params }
  ... on Blob { digest size blobStatus: status verifiedAt }
}"""


@dataclass(frozen=True)
class Artifact:
    """A node of the provenance graph; ``ref`` is how to name it to the SDK and CLI."""

    id: str
    kind: str
    project: str
    name: str
    created_at: str
    tags: tuple[str, ...] = ()
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @property
    def ref(self) -> str:
        return self.id

    @property
    def label(self) -> str:
        """How people name it: ``mamba:v2``, ``train (run 01H…)``, ``sha256:ab12…``."""
        return self.name


@dataclass(frozen=True)
class _Versioned(Artifact):
    version: str | None = None

    @property
    def ref(self) -> str:
        return f"{self.project}/{self.name}:{self.version}" if self.version else self.id

    @property
    def label(self) -> str:
        return f"{self.name}:{self.version}" if self.version else self.name


@dataclass(frozen=True)
class Dataset(_Versioned):
    manifest_digest: str = ""
    file_count: int = 0
    total_bytes: int = 0
    stats: Mapping[str, Any] = field(default_factory=dict)
    source: str | None = None


@dataclass(frozen=True)
class Model(_Versioned):
    status: str = "COMPLETED"
    aliases: tuple[str, ...] = ()
    metrics: Mapping[str, Any] = field(default_factory=dict)
    description: str | None = None
    deployed_in: tuple[str, ...] = ()
    deployed_at: str | None = None


@dataclass(frozen=True)
class RunRecord(Artifact):
    """A recorded run (the live one you log to is ``provgraph.sdk.Run``)."""

    status: str = "RUNNING"
    run_kind: str = "training"
    params: Mapping[str, Any] = field(default_factory=dict)
    metrics: Mapping[str, Any] = field(default_factory=dict)
    provenance: Mapping[str, Any] = field(default_factory=dict)
    started_at: str | None = None
    ended_at: str | None = None
    duration_s: float | None = None
    error: str | None = None

    @property
    def label(self) -> str:
        return f"{self.name} ({self.id[-6:]})"


@dataclass(frozen=True)
class Evaluation(Artifact):
    metrics: Mapping[str, Any] = field(default_factory=dict)
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Blob(Artifact):
    digest: str = ""
    size: int = 0
    status: str = "PENDING"
    verified_at: str | None = None

    @property
    def label(self) -> str:
        return f"sha256:{self.digest[:12]}"


@dataclass(frozen=True)
class Hop:
    """A node reached by a traversal, at its shortest distance from the start."""

    node: Artifact
    depth: int


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    type: str
    role: str | None = None


@dataclass(frozen=True)
class Lineage:
    """Nodes and edges (each from the derived thing to its origin). A lineage holds every
    edge between two of its nodes; a path holds its nodes in order from source to target,
    and ``direction`` says whether it went UPSTREAM (along the edges) or DOWNSTREAM."""

    nodes: tuple[Artifact, ...]
    edges: tuple[Edge, ...]
    direction: str | None = None

    def node(self, node_id: str) -> Artifact:
        return next(n for n in self.nodes if n.id == node_id)


@dataclass(frozen=True)
class FileInfo:
    path: str
    role: str | None
    digest: str
    size: int
    status: str


@dataclass(frozen=True)
class MetricPoint:
    key: str
    value: float
    step: int
    timestamp: str | None = None


def artifact(data: Mapping[str, Any]) -> Artifact:
    """The typed artifact of one GraphQL node (fields of ``NODE_FIELDS``)."""
    base = dict(id=data["id"], kind=data["kind"], project=data["project"], name=data["name"],
                created_at=data["createdAt"], tags=tuple(data.get("tags") or ()), metadata=data.get("metadata") or {})
    kind = data["kind"]
    if kind == "DATASET":
        return Dataset(**base, version=data["version"], manifest_digest=data["manifestDigest"],
                       file_count=data["fileCount"], total_bytes=int(data["totalBytes"]),
                       stats=data.get("stats") or {}, source=data.get("source"))
    if kind == "MODEL":
        return Model(**base, version=data["version"], status=data["modelStatus"], aliases=tuple(data["aliases"]),
                     metrics=data.get("metrics") or {}, description=data.get("description"),
                     deployed_in=tuple(data.get("deployedIn") or ()), deployed_at=data.get("deployedAt"))
    if kind == "RUN":
        return RunRecord(**base, status=data["runStatus"], run_kind=data["runKind"], params=data["params"],
                         metrics=data["metrics"], provenance=data["provenance"], started_at=data["startedAt"],
                         ended_at=data["endedAt"], duration_s=data["durationS"], error=data["error"])
    if kind == "EVALUATION":
        return Evaluation(**base, metrics=data["metrics"], params=data["params"])
    return Blob(**base, digest=data["digest"], size=int(data["size"]), status=data["blobStatus"],
                verified_at=data.get("verifiedAt"))
