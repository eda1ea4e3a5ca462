"""Metric history in the SQLite graph: one row per point, clustered by (run, key, step).

The primary key is the history order, so a page is one index range scan; batch ids are
kept in their own table, which makes a replayed batch a no-op.
"""

from __future__ import annotations

import sqlite3
import time
from typing import Sequence

from provgraph.errors import Conflict, NotFound
from provgraph.graph import sqlite_search
from provgraph.metrics import MetricPoint, MetricSummary, Position, cursor_of, parse_cursor
from provgraph.model import Page


def _run_seq(conn: sqlite3.Connection, run_id: str) -> int:
    row = conn.execute("SELECT seq FROM nodes WHERE id = ? AND kind = 'RUN'", (run_id,)).fetchone()
    if row is None:
        raise NotFound(f"no run with id {run_id!r}")
    seq: int = row[0]
    return seq


def append(conn: sqlite3.Connection, run_id: str, batch: str, points: Sequence[MetricPoint]) -> int:
    seq = _run_seq(conn, run_id)
    stored = conn.execute("SELECT run FROM metric_batches WHERE batch = ?", (batch,)).fetchone()
    if stored is not None:
        if stored[0] != seq:
            raise Conflict(f"metric batch {batch} was already stored for another run")
        return 0
    conn.execute("INSERT INTO metric_batches(batch, run) VALUES (?, ?)", (batch, seq))
    now = time.time()
    conn.executemany(
        "INSERT INTO metric_points(run, key, step, batch, idx, value, ts) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(seq, p.key, p.step, batch, i, p.value, now if p.timestamp is None else p.timestamp)
         for i, p in enumerate(points)],
    )
    sqlite_search.index_points(conn, run_id, batch, points)
    return len(points)


def history(conn: sqlite3.Connection, run_id: str, key: str, first: int, after: str | None) -> Page[MetricPoint]:
    seq = _run_seq(conn, run_id)
    sql = "SELECT step, batch, idx, value, ts FROM metric_points WHERE run = ? AND key = ?"
    args: list[object] = [seq, key]
    if after is not None:
        sql += " AND (step, batch, idx) > (?, ?, ?)"
        args += list(parse_cursor(after))
    rows = conn.execute(sql + " ORDER BY step, batch, idx LIMIT ?", [*args, first + 1]).fetchall()
    shown = rows[:first]
    items = [MetricPoint(key, value, step, ts) for step, _, _, value, ts in shown]
    end: Position | None = (shown[-1][0], shown[-1][1], shown[-1][2]) if shown else None
    return Page(items, len(rows) > first, cursor_of(end) if end else None)


def summary(conn: sqlite3.Connection, run_id: str) -> list[MetricSummary]:
    seq = _run_seq(conn, run_id)
    keys = conn.execute(
        "SELECT key, COUNT(*) FROM metric_points WHERE run = ? GROUP BY key ORDER BY key", (seq,)
    ).fetchall()
    return [_summary(conn, seq, key, count) for key, count in keys]


def _summary(conn: sqlite3.Connection, seq: int, key: str, count: int) -> MetricSummary:
    where = "FROM metric_points WHERE run = ? AND key = ?"
    last_step, last = conn.execute(
        f"SELECT step, value {where} ORDER BY step DESC, batch DESC, idx DESC LIMIT 1", (seq, key)
    ).fetchone()
    low, low_step = conn.execute(f"SELECT value, step {where} ORDER BY value, step LIMIT 1", (seq, key)).fetchone()
    high, high_step = conn.execute(
        f"SELECT value, step {where} ORDER BY value DESC, step LIMIT 1", (seq, key)
    ).fetchone()
    return MetricSummary(key, count, last, last_step, low, low_step, high, high_step)
