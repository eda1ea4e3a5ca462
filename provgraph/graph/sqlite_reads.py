"""Read queries of the SQLite graph store, over one connection.

Traversals and lineage run on the in-memory ``traversal_index.TraversalIndex``. Path and the
integrity workers' multi-start lineage fetch the edges of the reachable part of the graph
with one recursive query that visits each node once (``UNION`` on the node alone).
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any, Collection, Sequence

from provgraph.errors import NotFound
from provgraph.graph.bfs import adjacency, shortest_path
from provgraph.graph.rows import edge_from_row, file_from_row, node_from_row
from provgraph.graph.sqlite_schema import NODE_COLUMNS
from provgraph.model import (
    BlobStatus,
    Direction,
    EdgeType,
    FileEntry,
    Node,
    NodeFilter,
    NodeKind,
    Page,
    PathDirection,
    Subgraph,
)

Row = tuple[Any, ...]
_FILE_COLUMNS = "a.id, e.path, e.role, b.id, b.size, b.status"


def _json(values: Sequence[Any]) -> str:
    return json.dumps(list(values))


class Reader:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    # -- nodes ----------------------------------------------------------------------

    def nodes_by_seq(self, seqs: Sequence[int], kinds: Sequence[NodeKind] | None = None) -> dict[int, Node]:
        sql = f"SELECT {NODE_COLUMNS} FROM json_each(?) j CROSS JOIN nodes n ON n.seq = j.value"
        args: list[Any] = [_json(seqs)]
        if kinds:
            sql += " AND n.kind IN (SELECT value FROM json_each(?))"
            args.append(_json([k.value for k in kinds]))
        return {row[0]: node_from_row(row) for row in self.conn.execute(sql, args)}

    def get_nodes(self, ids: list[str]) -> dict[str, Node]:
        rows = self.conn.execute(
            f"SELECT {NODE_COLUMNS} FROM nodes n WHERE n.id IN (SELECT value FROM json_each(?))", (_json(ids),)
        )
        return {row[1]: node_from_row(row) for row in rows}

    def seqs(self, ids: Sequence[str]) -> list[int]:
        found = dict(self.conn.execute(
            "SELECT id, seq FROM nodes WHERE id IN (SELECT value FROM json_each(?))", (_json(ids),)
        ).fetchall())
        for node_id in ids:
            if node_id not in found:
                raise NotFound(f"no node with id {node_id!r}")
        return [found[i] for i in ids]

    def find_versions(self, kinds: Sequence[NodeKind], project: str, name: str, selector: str) -> list[Node]:
        base = f"SELECT {NODE_COLUMNS} FROM nodes n WHERE n.kind = ? AND n.project = ? AND n.name = ?"
        found = []
        for kind in kinds:
            args: list[Any] = [kind.value, project, name]
            if selector == "latest":
                sql = base + " ORDER BY n.created_at DESC, n.seq DESC LIMIT 1"
            elif selector.startswith("@"):
                sql = base + " AND n.seq = (SELECT seq FROM aliases WHERE project = ? AND name = ? AND alias = ?)"
                args += [project, name, selector[1:]]
            else:
                sql = base + " AND n.version = ?"
                args.append(selector)
            row = self.conn.execute(sql, args).fetchone()
            if row:
                found.append(node_from_row(row))
        return found

    def list_nodes(self, kind: NodeKind, where: NodeFilter, first: int, after: str | None) -> Page[Node]:
        sql = f"SELECT {NODE_COLUMNS} FROM nodes n WHERE n.kind = ?"
        args: list[Any] = [kind.value]
        for column, value in (("project", where.project), ("name", where.name), ("status", where.status)):
            if value is not None:
                sql += f" AND n.{column} = ?"
                args.append(value)
        if where.tag is not None:
            sql += " AND EXISTS (SELECT 1 FROM json_each(n.doc, '$.t') WHERE value = ?)"
            args.append(where.tag)
        if where.projects is not None:
            sql += " AND n.project IN (SELECT value FROM json_each(?))"
            args.append(_json(sorted(where.projects)))
        if after is not None:
            sql += " AND n.id < ?"
            args.append(after)
        sql += " ORDER BY n.id DESC LIMIT ?"
        rows = self.conn.execute(sql, [*args, first + 1]).fetchall()
        items = [node_from_row(r) for r in rows[:first]]
        return Page(items, len(rows) > first, items[-1].id if items else None)

    # -- files ----------------------------------------------------------------------

    def list_files(self, node_id: str, first: int, after: str | None) -> Page[FileEntry]:
        (seq,) = self.seqs([node_id])
        sql = (f"SELECT {_FILE_COLUMNS} FROM edges e JOIN nodes a ON a.seq = e.src JOIN nodes b ON b.seq = e.dst "
               "WHERE e.src = ? AND e.type = 'HAS_FILE'")
        args: list[Any] = [seq]
        if after is not None:
            sql += " AND e.path > ?"
            args.append(after)
        rows = self.conn.execute(sql + " ORDER BY e.path LIMIT ?", [*args, first + 1]).fetchall()
        items = [file_from_row(r) for r in rows[:first]]
        return Page(items, len(rows) > first, items[-1].path if items else None)

    def files_of(self, node_ids: list[str], limit: int) -> dict[str, list[FileEntry]]:
        # One indexed LIMIT query per node inside one store call: SQLite has no LATERAL
        # join, and a window over a 100,000-file dataset would read every file.
        sql = (f"SELECT {_FILE_COLUMNS} FROM nodes a JOIN edges e ON e.src = a.seq AND e.type = 'HAS_FILE' "
               "JOIN nodes b ON b.seq = e.dst WHERE a.id = ? ORDER BY e.path LIMIT ?")
        return {i: [file_from_row(r) for r in self.conn.execute(sql, (i, limit))] for i in node_ids}

    # -- traversals -----------------------------------------------------------------

    def _walk(self, starts: list[int], upstream: bool, edge_types: Sequence[EdgeType] | None, full: bool) -> list[Row]:
        """Edges of the part of the graph reachable from ``starts``, oriented in the
        walk's direction: rows (from, to) or, when ``full``, (from, to, type, role, path).
        (Traversals and lineage use the in-memory ``TraversalIndex`` instead.)"""
        a, b = ("src", "dst") if upstream else ("dst", "src")
        types = ""
        args: list[Any] = []
        if edge_types:
            types = " AND e.type IN (SELECT value FROM json_each(?))"
            args.append(_json([t.value for t in edge_types]))
        columns = f"e.{a}, e.{b}" + (", e.type, e.role, e.path" if full else "")
        sql = (f"WITH RECURSIVE walk(seq) AS (SELECT value FROM json_each(?) UNION "
               f"SELECT e.{b} FROM walk JOIN edges e ON e.{a} = walk.seq{types}) "
               f"SELECT {columns} FROM walk JOIN edges e ON e.{a} = walk.seq{types}")
        return self.conn.execute(sql, [_json(starts), *args, *args]).fetchall()

    def path(self, source: str, target: str, direction: PathDirection) -> Subgraph | None:
        src, dst = self.seqs([source, target])
        for walk in direction.walks():
            rows = self._walk([src], walk is Direction.UPSTREAM, None, full=True)
            seqs = shortest_path(src, dst, adjacency((r[0], r[1]) for r in rows))
            if seqs is not None:
                return self._path_subgraph(seqs, rows, walk)
        return None

    def _path_subgraph(self, seqs: list[int], rows: list[Row], walk: Direction) -> Subgraph:
        nodes = self.nodes_by_seq(seqs)
        first_edge: dict[tuple[int, int], Row] = {}
        for row in rows:
            first_edge.setdefault((row[0], row[1]), row)
        edges = []
        for u, v in zip(seqs, seqs[1:]):
            _, _, type_, role, path = first_edge[(u, v)]
            a, b = (u, v) if walk is Direction.UPSTREAM else (v, u)
            edges.append(edge_from_row(nodes[a].id, nodes[b].id, type_, role, path))
        return Subgraph(tuple(nodes[s] for s in seqs), tuple(edges), walk)

    # -- blobs ----------------------------------------------------------------------

    def _blob_scope(self, projects: Collection[str] | None) -> tuple[str, list[Any]]:
        if projects is None:
            return "FROM nodes b WHERE b.kind = 'BLOB'", []
        return ("FROM nodes b WHERE b.kind = 'BLOB' AND EXISTS (SELECT 1 FROM edges e JOIN nodes a "
                "ON a.seq = e.src WHERE e.dst = b.seq AND e.type = 'HAS_FILE' "
                "AND a.project IN (SELECT value FROM json_each(?)))", [_json(sorted(projects))])

    def blob_projects(self, node_id: str) -> frozenset[str]:
        rows = self.conn.execute(
            "SELECT DISTINCT a.project FROM nodes b JOIN edges e ON e.dst = b.seq AND e.type = 'HAS_FILE' "
            "JOIN nodes a ON a.seq = e.src WHERE b.id = ?", (node_id,))
        return frozenset(project for (project,) in rows)

    def blob_counts(self, projects: Collection[str] | None) -> dict[BlobStatus, int]:
        scope, args = self._blob_scope(projects)
        counts = {status: 0 for status in BlobStatus}
        for status, count in self.conn.execute(f"SELECT b.status, COUNT(*) {scope} GROUP BY b.status", args):
            counts[BlobStatus(status)] = count
        return counts

    def blobs_with_status(self, statuses: Sequence[BlobStatus], projects: Collection[str] | None, limit: int) -> list[Node]:
        scope, args = self._blob_scope(projects)
        rows = self.conn.execute(
            f"SELECT {NODE_COLUMNS.replace('n.', 'b.')} {scope} AND b.status IN (SELECT value FROM json_each(?)) "
            "ORDER BY b.id LIMIT ?",
            [*args, _json([s.value for s in statuses]), limit],
        )
        return [node_from_row(r) for r in rows]
