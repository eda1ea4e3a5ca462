"""Run search on SQLite: the ``run_values`` index and filters compiled to parametrised SQL.

``run_values`` holds one row per (run, field, value) (``provgraph.run_values``), indexed
by (key, value, id). A value is REAL or TEXT, and SQLite orders every number before every
text, so one index range serves a typed comparison (``value < ''`` keeps numbers, ``value
>= ''`` texts) and one index walk a sorted section. A filter compiles to a compound
SELECT of run ids (``INTERSECT`` for AND, ``UNION`` for OR, ``EXCEPT`` for ``!=``); only
placeholders carry values, and the SQL text comes from the fixed fragments below.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any, Sequence

from provgraph import run_values
from provgraph.graph.rows import node_from_row
from provgraph.graph.sqlite_schema import NODE_COLUMNS
from provgraph.metrics import MetricPoint
from provgraph.model import Node, Page
from provgraph.search import And, Compare, Expr, Hit, Op, Or, Position, Rank, Sort, Value, page_plan, page_result, residual, section_bounds

Args = list[Any]
# Windows of a section checked run by run, one after the other, before the filter's id set is built.
WINDOWS = (256, 768, 2048, 4096)
_TYPED = {True: "value < ''", False: "value >= ''"}  # keyed by "is the literal a number"
_RANK_BOUND = {Rank.NUMBER: "s.value < ''", Rank.STRING: "s.value >= ''"}


# -- index upkeep (inside the caller's write transaction) ----------------------------

def index_run(conn: sqlite3.Connection, node: Node) -> None:
    """Replace the record fields of run ``node``; final metrics drop their history rows."""
    conn.execute("DELETE FROM run_values WHERE id = ? AND pos IS NULL", (node.id,))
    conn.executemany("DELETE FROM run_values WHERE id = ? AND key = ? AND pos IS NOT NULL",
                     [(node.id, key) for key in run_values.final_metric_keys(node)])
    conn.executemany("INSERT OR IGNORE INTO run_values(id, key, value) VALUES (?, ?, ?)",
                     [(node.id, key, value) for key, value in run_values.record_values(node)])


def index_points(conn: sqlite3.Connection, run_id: str, batch: str, points: Sequence[MetricPoint]) -> None:
    """Move each key's history row to the batch's last point when that point is newer
    (keys the final metrics set keep their final value)."""
    lasts = [(run_id, key, pos, value) for key, (pos, value) in run_values.batch_lasts(batch, points).items()]
    conn.executemany("DELETE FROM run_values WHERE id = ? AND key = ? AND pos < ?",
                     [(r, k, p) for r, k, p, _ in lasts])
    conn.executemany(
        "INSERT INTO run_values(id, key, value, pos) SELECT ?1, ?2, ?4, ?3 "
        "WHERE NOT EXISTS (SELECT 1 FROM run_values WHERE id = ?1 AND key = ?2)", lasts)


def backfill(conn: sqlite3.Connection) -> None:
    """Index every stored run (the schema v5 migration)."""
    runs = conn.execute(f"SELECT {NODE_COLUMNS} FROM nodes n WHERE n.kind = 'RUN'").fetchall()
    for row in runs:
        index_run(conn, node_from_row(row))
    lasts = conn.execute(
        "SELECT n.id, p.key, p.step, p.batch, p.idx, p.value FROM (SELECT *, ROW_NUMBER() OVER ("
        "PARTITION BY run, key ORDER BY step DESC, batch DESC, idx DESC) AS rn FROM metric_points) p "
        "JOIN nodes n ON n.seq = p.run WHERE p.rn = 1").fetchall()
    conn.executemany(
        "INSERT INTO run_values(id, key, value, pos) SELECT ?1, ?2, ?4, ?3 "
        "WHERE NOT EXISTS (SELECT 1 FROM run_values WHERE id = ?1 AND key = ?2)",
        [(run_id, f"metrics.{key}", run_values.position_text((step, batch, idx)), value)
         for run_id, key, step, batch, idx, value in lasts])


# -- filters ----------------------------------------------------------------------------

def run_ids(expr: Expr, args: Args) -> str:
    """A SELECT of the ids of the runs ``expr`` holds for; appends its values to ``args``."""
    if isinstance(expr, Compare):
        return _compare(expr, args)
    joiner = " INTERSECT " if isinstance(expr, And) else " UNION "
    return joiner.join(_member(part, args) for part in expr.parts)


def _member(expr: Expr, args: Args) -> str:
    """A term of a compound SELECT: a plain comparison as is, anything compound wrapped
    (compound operators share one precedence), keeping SQLite's parser stack shallow."""
    if isinstance(expr, Compare) and expr.op is not Op.NE:
        return _compare(expr, args)
    return f"SELECT id FROM ({run_ids(expr, args)})"


def _compare(cmp: Compare, args: Args) -> str:
    typed = _TYPED[isinstance(cmp.value, float)]
    if cmp.op is Op.NE:
        args += [cmp.field, cmp.value]
        return ("SELECT id FROM nodes WHERE kind = 'RUN' EXCEPT "
                f"SELECT id FROM run_values WHERE key = ? AND value = ? AND {typed}")
    args += [cmp.field, cmp.value]
    return f"SELECT id FROM run_values WHERE key = ? AND value {cmp.op.value} ? AND {typed}"


# -- pages ------------------------------------------------------------------------------

def page(conn: sqlite3.Connection, where: Expr | None, sort: Sort, first: int, after: str | None) -> Page[Hit]:
    found: list[Position] = []
    for rank, bound in page_plan(sort, after):
        rows = _section(conn, where, sort, rank, bound, first + 1 - len(found))
        found += [Position(rank, value, run_id) for run_id, value in rows]
        if len(found) > first:
            break
    ids = [p.id for p in found[:first]]
    nodes = {row[1]: node_from_row(row) for row in conn.execute(
        f"SELECT {NODE_COLUMNS} FROM nodes n WHERE n.id IN (SELECT value FROM json_each(?))", (json.dumps(ids),))}
    return page_result(found, first, nodes)


def _section(conn: sqlite3.Connection, where: Expr | None, sort: Sort, rank: Rank, bound: Position | None,
             limit: int) -> list[tuple[str, Value | None]]:
    """The next ``limit`` matches of one section. A filter is first checked run by run
    on windows of the section (cheap when matches are dense); when they hold too few, the
    rest comes from the filter's id set (cost bounded by the matching rows)."""
    bounds = section_bounds(where, sort, rank)
    if bounds is None:
        return []
    check = residual(where, bounds) if where is not None else None
    if check is None:
        return _fetch(conn, *_walk(sort, rank, bound, bounds, limit))
    found: list[tuple[str, Value | None]] = []
    for size in WINDOWS:
        window = _window(conn, check, sort, rank, bound, bounds, size)
        found += [(i, v) for i, v, ok in window if ok]
        if len(found) >= limit or len(window) < size:
            return found[:limit]
        bound = Position(rank, window[-1][1], window[-1][0])
    return found + _fetch(conn, *_walk(sort, rank, bound, bounds, limit - len(found), where))


def _window(conn: sqlite3.Connection, where: Expr, sort: Sort, rank: Rank, bound: Position | None,
            bounds: list[Compare], size: int) -> list[tuple[str, Value | None, bool]]:
    """The next ``size`` runs of the section, in order, each with whether ``where`` holds."""
    args: Args = []
    check = holds(where, "w.id", args)
    sql, walk_args = _walk(sort, rank, bound, bounds, size)
    order = "w.id" if rank is Rank.MISSING else f"w.value{_dir(sort)}, w.id"
    return conn.execute(f"SELECT w.id, w.value, {check} FROM ({sql}) w ORDER BY {order}{_dir(sort)}",
                        [*args, *walk_args]).fetchall()


def _dir(sort: Sort) -> str:
    return " DESC" if sort.descending else ""


def _fetch(conn: sqlite3.Connection, sql: str, args: Args) -> list[tuple[str, Value | None]]:
    return [(r[0], r[1]) for r in conn.execute(sql, args)]


def _walk(sort: Sort, rank: Rank, bound: Position | None, bounds: list[Compare], limit: int,
          where: Expr | None = None) -> tuple[str, Args]:
    """SQL of a section in answer order after ``bound``, limited; ``where`` as an id set."""
    args: Args = []
    after = "<" if sort.descending else ">"
    if rank is Rank.MISSING:
        sql = "SELECT n.id, NULL AS value FROM nodes n WHERE n.kind = 'RUN'"
        if sort.field is not None:
            sql += " AND NOT EXISTS (SELECT 1 FROM run_values s WHERE s.id = n.id AND s.key = ?)"
            args.append(sort.field)
        if bound is not None:
            sql += f" AND n.id {after} ?"
            args.append(bound.id)
        if where is not None:
            sql += f" AND n.id IN ({run_ids(where, args)})"
        return f"{sql} ORDER BY n.id{_dir(sort)} LIMIT ?", [*args, limit]
    sql = f"SELECT s.id, s.value FROM run_values s WHERE s.key = ? AND {_RANK_BOUND[rank]}"
    args.append(sort.field)
    for compare in bounds:
        sql += f" AND s.value {compare.op.value} ?"
        args.append(compare.value)
    if bound is not None:
        sql += f" AND (s.value, s.id) {after} (?, ?)"
        args += [bound.value, bound.id]
    if where is not None:
        sql += f" AND s.id IN ({run_ids(where, args)})"
    return f"{sql} ORDER BY s.value{_dir(sort)}, s.id{_dir(sort)} LIMIT ?", [*args, limit]


def holds(expr: Expr, column: str, args: Args) -> str:
    """A predicate on the run id in ``column`` that is true when ``expr`` holds for it."""
    if isinstance(expr, (And, Or)):
        joiner = " AND " if isinstance(expr, And) else " OR "
        return "(" + joiner.join(holds(part, column, args) for part in expr.parts) + ")"
    op = "=" if expr.op is Op.NE else expr.op.value
    args += [expr.field, expr.value]
    found = (f"EXISTS (SELECT 1 FROM run_values v WHERE v.id = {column} AND v.key = ? AND v.value {op} ? "
             f"AND v.{_TYPED[isinstance(expr.value, float)]})")
    return f"NOT {found}" if expr.op is Op.NE else found
