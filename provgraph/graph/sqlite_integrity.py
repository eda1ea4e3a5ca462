"""Integrity queries of the SQLite graph store: blobs due for a check, check results,
orphans, impact walks and lineage validation. Reads take a ``Reader``; writes a
connection inside the store's ``BEGIN IMMEDIATE`` transaction."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any, Sequence

from provgraph.checks import CheckResult, Shard
from provgraph.digest import Digest
from provgraph.graph.bfs import adjacency, shortest_depths
from provgraph.graph.rows import HISTORY_LIMIT, doc_of, edge_from_row, node_from_row
from provgraph.graph.sqlite_reads import Reader
from provgraph.graph.sqlite_schema import NODE_COLUMNS
from provgraph.model import BlobStatus, Direction, Edge, EdgeType, Node, NodeKind, Subgraph

_IN_SHARD = "n.id >= ? AND n.id < ?"
# Named indexes: without them the planner sorts the whole shard for every batch.
_DUE = (f"SELECT {NODE_COLUMNS} FROM nodes n INDEXED BY {{index}} WHERE n.kind = 'BLOB' AND {{status}} "
        f"AND n.checked_at < ? AND {_IN_SHARD} ORDER BY n.checked_at, n.id LIMIT ?")


def _bounds(shard: Shard) -> tuple[str, str]:
    return f"sha256:{shard.low}", f"sha256:{shard.high}"


def _iso(at: datetime) -> str:
    return at.isoformat(timespec="microseconds")


def blobs_due(
    reader: Reader, shard: Shard, pending_before: datetime, checked_before: datetime, limit: int
) -> list[Node]:
    pending = _DUE.format(index="blobs_pending", status="n.status = 'PENDING'")
    found = reader.conn.execute(pending, [_iso(pending_before), *_bounds(shard), limit]).fetchall()
    if len(found) < limit:
        others = _DUE.format(index="blobs_checked", status="n.status != 'PENDING'")
        found += reader.conn.execute(others, [_iso(checked_before), *_bounds(shard), limit - len(found)]).fetchall()
    return [node_from_row(row) for row in found]


def list_blobs(reader: Reader, shard: Shard, after: str | None, limit: int) -> list[tuple[Node, int]]:
    rows = reader.conn.execute(
        f"SELECT {NODE_COLUMNS}, (SELECT COUNT(*) FROM edges e WHERE e.dst = n.seq) FROM nodes n "
        f"WHERE n.kind = 'BLOB' AND n.id > ? AND {_IN_SHARD} ORDER BY n.id LIMIT ?",
        [after or "", *_bounds(shard), limit],
    )
    return [(node_from_row(row[:-1]), row[-1]) for row in rows]


def record_checks(conn: sqlite3.Connection, checks: Sequence[CheckResult]) -> list[Node]:
    ids = list({c.digest.node_id: None for c in checks})
    current: dict[str, tuple[Node, str]] = {
        row[1]: (node_from_row(row[:-1]), row[-1]) for row in conn.execute(
            f"SELECT {NODE_COLUMNS}, n.checked_at FROM nodes n "
            "WHERE n.kind = 'BLOB' AND n.id IN (SELECT value FROM json_each(?))", (json.dumps(ids),))
    }
    updated: list[str] = []
    for check in checks:
        node_id = check.digest.node_id
        if node_id not in current or _iso(check.at) < current[node_id][1]:
            continue  # unknown digest, or a newer verdict was recorded meanwhile
        node, checked = current[node_id]
        props = dict(node.props)
        history = [check.history_entry(), *props.pop("history", [])][:HISTORY_LIMIT]
        verified = _iso(check.at) if check.matched else props.get("verified_at")
        checked = checked if check.quick else _iso(check.at)
        for column in ("digest", "size", "status", "verified_at"):
            props.pop(column, None)
        doc = doc_of(node.tags, node.metadata, {**props, "history": history})
        conn.execute("UPDATE nodes SET status = ?, verified_at = ?, checked_at = ?, doc = ? WHERE id = ?",
                     (check.status.value, verified, checked, doc, node_id))
        current[node_id] = (node_from_row(conn.execute(
            f"SELECT {NODE_COLUMNS} FROM nodes n WHERE n.id = ?", (node_id,)).fetchone()), checked)
        updated.append(node_id)
    return [current[i][0] for i in dict.fromkeys(updated)]


def delete_unreferenced_blobs(conn: sqlite3.Connection, digests: Sequence[Digest]) -> list[Digest]:
    ids = json.dumps([d.node_id for d in digests])
    conn.execute("DELETE FROM nodes WHERE kind = 'BLOB' AND id IN (SELECT value FROM json_each(?)) "
                 "AND NOT EXISTS (SELECT 1 FROM edges e WHERE e.dst = nodes.seq)", (ids,))
    kept = {row[0] for row in conn.execute(
        "SELECT id FROM nodes WHERE id IN (SELECT value FROM json_each(?))", (ids,))}
    return [d for d in digests if d.node_id not in kept]


def lineage_many(reader: Reader, start: Sequence[str], direction: Direction) -> Subgraph:
    if direction is Direction.BOTH:
        raise ValueError("lineage_many walks one direction")
    upstream = direction is Direction.UPSTREAM
    starts = reader.seqs(start)
    rows = reader._walk(starts, upstream, None, full=True)
    depths = shortest_depths(starts, adjacency((r[0], r[1]) for r in rows), None)
    nodes = reader.nodes_by_seq(list(depths))
    edges: dict[Edge, None] = {}
    for a, b, type_, role, path in rows:
        src, dst = (a, b) if upstream else (b, a)
        edges[edge_from_row(nodes[src].id, nodes[dst].id, type_, role, path)] = None
    return Subgraph(tuple(sorted(nodes.values(), key=lambda n: n.id)), tuple(edges))


def file_status_counts(reader: Reader, node_ids: Sequence[str]) -> dict[str, dict[BlobStatus, int]]:
    counts: dict[str, dict[BlobStatus, int]] = {i: {} for i in node_ids}
    rows = reader.conn.execute(
        "SELECT a.id, b.status, COUNT(*) FROM nodes a JOIN edges e ON e.src = a.seq AND e.type = 'HAS_FILE' "
        "JOIN nodes b ON b.seq = e.dst WHERE a.id IN (SELECT value FROM json_each(?)) GROUP BY a.id, b.status",
        (json.dumps(list(node_ids)),),
    )
    for node_id, status, count in rows:
        counts[node_id][BlobStatus(status)] = count
    return counts


def edge_pairs(reader: Reader, type: EdgeType) -> list[tuple[str, str]]:
    rows = reader.conn.execute(
        "SELECT s.id, d.id FROM edges e JOIN nodes s ON s.seq = e.src JOIN nodes d ON d.seq = e.dst "
        "WHERE e.type = ?", (type.value,))
    return [(a, b) for a, b in rows]


def dangling_edges(reader: Reader, limit: int) -> list[Edge]:
    # Edges join nodes by integer key without a foreign key, so a node row deleted by
    # hand (or by a bug) leaves its edges behind; Neo4j cannot have these.
    rows = reader.conn.execute(
        "SELECT coalesce(s.id, '#' || e.src), coalesce(d.id, '#' || e.dst), e.type, e.role, e.path "
        "FROM edges e LEFT JOIN nodes s ON s.seq = e.src LEFT JOIN nodes d ON d.seq = e.dst "
        "WHERE s.seq IS NULL OR d.seq IS NULL LIMIT ?", (limit,))
    return [edge_from_row(*row) for row in rows]


def nodes_without_files(reader: Reader, kinds: Sequence[NodeKind], limit: int) -> list[Node]:
    args: list[Any] = [json.dumps([k.value for k in kinds]), limit]
    rows = reader.conn.execute(
        f"SELECT {NODE_COLUMNS} FROM nodes n WHERE n.kind IN (SELECT value FROM json_each(?)) "
        "AND NOT EXISTS (SELECT 1 FROM edges e WHERE e.src = n.seq AND e.type = 'HAS_FILE') "
        "ORDER BY n.id LIMIT ?", args)
    return [node_from_row(row) for row in rows]
