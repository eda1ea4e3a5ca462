"""Row ↔ value conversion shared by the graph backends (the traversal hot path).

A node row is (seq, id, kind, project, name, version, created_at, status, size,
verified_at, doc); ``doc`` is JSON {"t": tags, "m": metadata, "p": props}.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Sequence

import orjson

from provgraph.digest import Digest
from provgraph.model import BlobStatus, Edge, EdgeType, FileEntry, Node, NodeKind

HISTORY_LIMIT = 20
_KINDS = {k.value: k for k in NodeKind}
_EDGE_TYPES = {t.value: t for t in EdgeType}
_fromiso = datetime.fromisoformat
_loads = orjson.loads
_new = object.__new__


def node_from_row(row: Sequence[Any]) -> Node:
    _, id_, kind, project, name, version, created, status, size, verified, doc = row
    data = _loads(doc)
    props = data.get("p", {})
    if kind == "BLOB":
        props["digest"] = id_[7:]
        props["size"] = size
        props["verified_at"] = verified
    if status is not None:
        props["status"] = status
    # Traversals build thousands of nodes: fill the frozen dataclass's __dict__ directly
    # instead of paying its per-field object.__setattr__ in __init__.
    node = _new(Node)
    node.__dict__.update(
        id=id_, kind=_KINDS[kind], project=project, name=name, created_at=_fromiso(created),
        version=version, tags=tuple(data.get("t", ())), metadata=data.get("m", {}), props=props,
    )
    return node


def doc_of(tags: Sequence[str], metadata: Any, props: Any) -> str:
    return json.dumps({"t": list(tags), "m": metadata, "p": props}, separators=(",", ":"))


def edge_from_row(src: str, dst: str, type_: str, role: str | None, path: str | None) -> Edge:
    return Edge(src, dst, _EDGE_TYPES[type_], path if type_ == "HAS_FILE" else role)


def edge_order(edge: Edge) -> tuple[str, str, str, str]:
    """The order of a lineage answer's edges: by source, target, type, role."""
    return (edge.source, edge.target, edge.type.value, edge.role or "")


def file_from_row(row: Sequence[Any]) -> FileEntry:
    node_id, path, role, blob_id, size, status = row
    return FileEntry(node_id, path, role, Digest(blob_id[7:]), size, BlobStatus(status))


def split_props(props: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    """Separate the ``status`` column from the props kept in the JSON doc."""
    rest = dict(props)
    status = rest.pop("status", None)
    return status, rest
