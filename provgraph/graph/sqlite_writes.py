"""Write transactions of the SQLite graph store. Each function runs inside one
``BEGIN IMMEDIATE`` transaction opened by the caller, so a failure writes nothing."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import datetime
from typing import Any, Mapping

from provgraph.digest import Digest
from provgraph.errors import BadInput, Conflict, Cycle, NotFound
from provgraph.graph import sqlite_search
from provgraph.graph.rows import HISTORY_LIMIT, doc_of, node_from_row, split_props
from provgraph.graph.sqlite_schema import NODE_COLUMNS
from provgraph.ids import new_id, utcnow
from provgraph.model import VERSIONED_KINDS, BlobStatus, Edge, EdgeSpec, NewNode, Node, NodeKind

_AUTO_VERSION = re.compile(r"v([1-9][0-9]{0,17})")


def fetch_node(conn: sqlite3.Connection, where: str, *args: Any) -> Node | None:
    row = conn.execute(f"SELECT {NODE_COLUMNS} FROM nodes n WHERE {where}", args).fetchone()
    return node_from_row(row) if row else None


def seqs_of(conn: sqlite3.Connection, ids: list[str]) -> dict[str, int]:
    rows = conn.execute(
        "SELECT id, seq FROM nodes WHERE id IN (SELECT value FROM json_each(?))", (json.dumps(ids),)
    )
    return dict(rows.fetchall())


def create_node(conn: sqlite3.Connection, spec: NewNode) -> Node:
    if spec.id is not None and (existing := fetch_node(conn, "n.id = ?", spec.id)):
        if existing.kind is not spec.kind:
            raise Conflict(f"id {spec.id} already names a {existing.kind.value.lower()}")
        return existing
    targets = seqs_of(conn, list({e.target for e in spec.edges}))
    for edge in spec.edges:
        if edge.target not in targets:
            raise NotFound(f"no node with id {edge.target!r}")
    version = _version(conn, spec) if spec.kind in VERSIONED_KINDS else None
    status, props = split_props(dict(spec.props))
    node_id = spec.id or new_id()
    seq: int = conn.execute(
        "INSERT INTO nodes(id, kind, project, name, version, created_at, status, doc) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (node_id, spec.kind.value, spec.project, spec.name, version, utcnow().isoformat(),
         status, doc_of(spec.tags, spec.metadata, props)),
    ).lastrowid  # type: ignore[assignment]  # always set after an INSERT
    conn.executemany(
        "INSERT INTO edges(src, dst, type, role) VALUES (?, ?, ?, ?)",
        [(seq, targets[e.target], e.type.value, e.role) for e in dict.fromkeys(spec.edges)],
    )
    if spec.files:
        _add_files(conn, seq, spec)
    node = fetch_node(conn, "n.seq = ?", seq)
    assert node is not None
    if node.kind is NodeKind.RUN:
        sqlite_search.index_run(conn, node)
    return node


def _version(conn: sqlite3.Connection, spec: NewNode) -> str:
    key = (spec.kind.value, spec.project, spec.name)
    row = conn.execute("SELECT last FROM versions WHERE kind=? AND project=? AND name=?", key).fetchone()
    last = row[0] if row else 0
    if spec.version is not None:
        if conn.execute(
            "SELECT 1 FROM nodes WHERE kind=? AND project=? AND name=? AND version=?", (*key, spec.version)
        ).fetchone():
            raise Conflict(
                f"{spec.kind.value.lower()} {spec.project}/{spec.name}:{spec.version} already exists"
            )
        match = _AUTO_VERSION.fullmatch(spec.version)
        if match and int(match.group(1)) > last:
            _set_last(conn, key, int(match.group(1)))
        return spec.version
    n = last + 1
    while conn.execute(
        "SELECT 1 FROM nodes WHERE kind=? AND project=? AND name=? AND version=?", (*key, f"v{n}")
    ).fetchone():
        n += 1
    _set_last(conn, key, n)
    return f"v{n}"


def _set_last(conn: sqlite3.Connection, key: tuple[str, str, str], last: int) -> None:
    conn.execute(
        "INSERT INTO versions(kind, project, name, last) VALUES (?, ?, ?, ?) "
        "ON CONFLICT(kind, project, name) DO UPDATE SET last = excluded.last",
        (*key, last),
    )


def _add_files(conn: sqlite3.Connection, seq: int, spec: NewNode) -> None:
    now = utcnow().isoformat()
    conn.executemany(
        "INSERT INTO nodes(id, kind, project, name, created_at, status, size, doc) "
        "VALUES (?, 'BLOB', '', ?, ?, 'PENDING', ?, '{}') ON CONFLICT(id) DO NOTHING",
        [(f.digest.node_id, f.digest.hex, now, f.size) for f in spec.files],
    )
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS incoming(path TEXT, blob TEXT, size INTEGER, role TEXT)")
    conn.execute("DELETE FROM incoming")
    conn.executemany(
        "INSERT INTO incoming VALUES (?, ?, ?, ?)",
        [(f.path, f.digest.node_id, f.size, f.role) for f in spec.files],
    )
    clash = conn.execute(
        "SELECT i.path, i.size, n.size, n.name FROM incoming i JOIN nodes n ON n.id = i.blob "
        "WHERE n.size != i.size LIMIT 1"
    ).fetchone()
    if clash:
        raise BadInput(
            f"file {clash[0]!r} claims size {clash[1]} but blob {clash[3]} is {clash[2]} bytes"
        )
    conn.execute(
        "INSERT INTO edges(src, dst, type, role, path) "
        "SELECT ?, n.seq, 'HAS_FILE', i.role, i.path FROM incoming i JOIN nodes n ON n.id = i.blob",
        (seq,),
    )
    conn.execute("DELETE FROM incoming")


def update_props(conn: sqlite3.Connection, node_id: str, kind: NodeKind, changes: Mapping[str, Any]) -> Node:
    node = fetch_node(conn, "n.id = ? AND n.kind = ?", node_id, kind.value)
    if node is None:
        raise NotFound(f"no {kind.value.lower()} with id {node_id!r}")
    status, props = split_props({**node.props, **changes})
    conn.execute(
        "UPDATE nodes SET status = ?, doc = ? WHERE id = ?",
        (status, doc_of(node.tags, node.metadata, props), node_id),
    )
    updated = fetch_node(conn, "n.id = ?", node_id)
    assert updated is not None
    if kind is NodeKind.RUN:
        sqlite_search.index_run(conn, updated)
    return updated


def set_alias(conn: sqlite3.Connection, node_id: str, alias: str) -> Node:
    node = fetch_node(conn, "n.id = ? AND n.kind = 'MODEL'", node_id)
    if node is None:
        raise NotFound(f"no model with id {node_id!r}")
    held = conn.execute(
        "SELECT n.id FROM aliases a JOIN nodes n ON n.seq = a.seq "
        "WHERE a.project = ? AND a.name = ? AND a.alias = ?",
        (node.project, node.name, alias),
    ).fetchone()
    if held and held[0] != node_id:
        previous = fetch_node(conn, "n.id = ?", held[0])
        assert previous is not None
        kept = [a for a in previous.props.get("aliases", []) if a != alias]
        update_props(conn, previous.id, NodeKind.MODEL, {"aliases": kept})
    conn.execute(
        "INSERT INTO aliases(project, name, alias, seq) SELECT ?, ?, ?, seq FROM nodes WHERE id = ? "
        "ON CONFLICT(project, name, alias) DO UPDATE SET seq = excluded.seq",
        (node.project, node.name, alias, node_id),
    )
    aliases = sorted({*node.props.get("aliases", []), alias})
    return update_props(conn, node_id, NodeKind.MODEL, {"aliases": aliases})


def add_edge(conn: sqlite3.Connection, source: str, edge: EdgeSpec) -> Edge:
    seqs = seqs_of(conn, [source, edge.target])
    for end in (source, edge.target):
        if end not in seqs:
            raise NotFound(f"no node with id {end!r}")
    src, dst = seqs[source], seqs[edge.target]
    if src == dst or _reaches(conn, dst, src):
        raise Cycle(
            f"{edge.type.value} from {source} to {edge.target} would close a cycle: "
            f"{edge.target} already derives from {source}"
        )
    exists = conn.execute(
        "SELECT 1 FROM edges WHERE src = ? AND dst = ? AND type = ? AND role IS ?",
        (src, dst, edge.type.value, edge.role),
    ).fetchone()
    if not exists:
        conn.execute(
            "INSERT INTO edges(src, dst, type, role) VALUES (?, ?, ?, ?)",
            (src, dst, edge.type.value, edge.role),
        )
    return Edge(source, edge.target, edge.type, edge.role)


def _reaches(conn: sqlite3.Connection, start: int, goal: int) -> bool:
    row = conn.execute(
        "WITH RECURSIVE walk(seq) AS (SELECT ? UNION "
        "SELECT e.dst FROM walk JOIN edges e ON e.src = walk.seq) "
        "SELECT 1 FROM walk WHERE seq = ? LIMIT 1",
        (start, goal),
    ).fetchone()
    return row is not None


def record_blob(
    conn: sqlite3.Connection, digest: Digest, size: int, status: BlobStatus, at: datetime, detail: str | None
) -> Node:
    node = fetch_node(conn, "n.id = ?", digest.node_id)
    check = {"status": status.value, "at": at.isoformat(), "size": size, "detail": detail}
    history = ([check] + list(node.props.get("history", [])) if node else [check])[:HISTORY_LIMIT]
    props = {k: v for k, v in (node.props if node else {}).items()
             if k not in ("digest", "size", "status", "verified_at")}
    doc = doc_of((), {}, {**props, "history": history})
    verified = at.isoformat() if status is BlobStatus.VERIFIED else (node.props.get("verified_at") if node else None)
    conn.execute(
        "INSERT INTO nodes(id, kind, project, name, created_at, status, size, verified_at, checked_at, doc) "
        "VALUES (?, 'BLOB', '', ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
        "status = excluded.status, size = excluded.size, verified_at = excluded.verified_at, "
        "checked_at = excluded.checked_at, doc = excluded.doc",
        (digest.node_id, digest.hex, at.isoformat(), status.value, size, verified,
         at.isoformat(timespec="microseconds"), doc),
    )
    result = fetch_node(conn, "n.id = ?", digest.node_id)
    assert result is not None
    return result
