"""The SQLite source of the traversal index (``traversal_index``).

Kept fresh by ``PRAGMA data_version`` on a connection of its own: the number changes
whenever another connection commits (this store's writer, or another process on the
same file), and is read once per traversal. A change is caught up incrementally: edges
are only ever inserted and a node's id and kind never change, so what is new has a rowid
(seq) above the last one seen; when a row count disagrees with that (rows were deleted,
such as unreferenced blobs) the index is rebuilt from scratch. Node seqs are the table's.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Callable

from provgraph.graph.traversal_index import EdgeRow, NodeRow, TraversalIndex

_NODES = "SELECT seq, id, kind FROM nodes WHERE seq > ? ORDER BY seq"
_EDGES = ("SELECT rowid, src, dst, type, CASE type WHEN 'HAS_FILE' THEN path ELSE role END "
          "FROM edges WHERE rowid > ? ORDER BY rowid")
_COUNTS = "SELECT (SELECT count(*) FROM nodes), (SELECT count(*) FROM edges)"


def sqlite_index(connect: Callable[[], sqlite3.Connection]) -> TraversalIndex:
    return TraversalIndex(SqliteSource(connect))


class SqliteSource:
    def __init__(self, connect: Callable[[], sqlite3.Connection]) -> None:
        self._connect = connect
        self._conn: sqlite3.Connection | None = None
        self._version: int | None = None
        self._restart()

    def _restart(self) -> None:
        self.last_seq = 0
        self.last_rowid = 0
        self.node_rows = 0
        self.edge_rows = 0  # rows read, dangling ones included

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        self._version = None
        self._restart()

    def refresh(self, index: TraversalIndex, rebuild: bool) -> None:
        if self._conn is None:
            self._conn = self._connect()
        conn = self._conn
        conn.execute("BEGIN")
        try:
            # Inside the read transaction: the version is that of the rows read below.
            version = conn.execute("PRAGMA data_version").fetchone()[0]
            if version != self._version or rebuild:
                self._catch_up(index, conn, rebuild)
                self._version = version
        finally:
            conn.execute("COMMIT")

    def _catch_up(self, index: TraversalIndex, conn: sqlite3.Connection, rebuild: bool) -> None:
        nodes: list[NodeRow] = conn.execute(_NODES, (self.last_seq,)).fetchall()
        edges: list[EdgeRow] = conn.execute(_EDGES, (self.last_rowid,)).fetchall()
        counts = conn.execute(_COUNTS).fetchone()
        reset = (rebuild or counts != (self.node_rows + len(nodes), self.edge_rows + len(edges))
                 or self._reused(index, conn, edges))
        if reset:
            self._restart()
            nodes = conn.execute(_NODES, (0,)).fetchall()
            edges = conn.execute(_EDGES, (0,)).fetchall()
        index.update(nodes, edges, reset)
        if nodes:
            self.node_rows += len(nodes)
            self.last_seq = nodes[-1][0]
        if edges:
            self.edge_rows += len(edges)
            self.last_rowid = edges[-1][0]

    def _reused(self, index: TraversalIndex, conn: sqlite3.Connection, edges: list[EdgeRow]) -> bool:
        """Whether a new edge ends at a seq the index knows under another id: SQLite gives
        a deleted last row's seq to the next node, and counts alone miss a deletion
        followed by such an insert."""
        known = {end for e in edges for end in (e[1], e[2]) if end <= self.last_seq}
        if not known:
            return False
        rows = conn.execute("SELECT seq, id FROM nodes WHERE seq IN (SELECT value FROM json_each(?))",
                            (json.dumps(sorted(known)),)).fetchall()
        return any(index.ids[seq] != id_ for seq, id_ in rows)
