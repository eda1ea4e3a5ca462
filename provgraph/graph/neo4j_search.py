"""Run search on Neo4j: ``(:RunValue)`` index nodes and filters compiled to parametrised Cypher.

A run's searchable fields (``provgraph.run_values``) are ``(:RunValue {run, key, num|str})``
nodes, numbers in ``num`` and strings in ``str``, under range indexes on (key, num) and
(key, str), so a comparison is one index seek and a sorted section one index-ordered
scan. Like metric chunks they name their run by id and have no relationship, so
traversals never see them. A metric taken from the history carries ``pos`` (the
position of its point) and ``last`` (run and key, unique), so concurrent appends keep
one row per key. A filter compiles to a subquery of run ids: an AND drives from its
most selective-looking part and checks the others with ``EXISTS``; an OR is a UNION.
Values travel only as parameters; the query text comes from the fragments below.
"""

from __future__ import annotations

import json
from typing import Any, Sequence

from neo4j import AsyncManagedTransaction

from provgraph import run_values
from provgraph.graph import neo4j_cypher as q
from provgraph.graph.rows import node_from_row
from provgraph.metrics import MetricPoint
from provgraph.model import Node, NodeKind, Page
from provgraph.search import And, Compare, Expr, Hit, Op, Or, Position, Rank, Sort, Value, page_plan, page_result, residual, section_bounds

SCHEMA = (
    # The run id is part of the sort indexes so ties (many runs with one lr) come in order too.
    "CREATE INDEX run_value_by_num IF NOT EXISTS FOR (v:RunValue) ON (v.key, v.num, v.run)",
    "CREATE INDEX run_value_by_str IF NOT EXISTS FOR (v:RunValue) ON (v.key, v.str, v.run)",
    "CREATE INDEX run_value_run IF NOT EXISTS FOR (v:RunValue) ON (v.run, v.key)",
    "CREATE CONSTRAINT run_value_last IF NOT EXISTS FOR (v:RunValue) REQUIRE v.last IS UNIQUE",
)
BACKFILL_BATCH = 500
# Windows of a section checked run by run, one after the other, before the filter's id set is built.
WINDOWS = (256, 768, 2048, 4096)

DROP_RECORD = "MATCH (v:RunValue {run: $id}) WHERE v.pos IS NULL OR v.key IN $final DELETE v"
CREATE_VALUES = "UNWIND $values AS x CREATE (v:RunValue) SET v = x"
MARK_INDEXED = "UNWIND $ids AS i MATCH (n:Node {id: i}) SET n.searchable = true"
# Set once every stored run is indexed (new runs are indexed as they are written), so a
# start-up does not scan every run again to find none.
BACKFILLED = "MATCH (m:SchemaMark {name: 'run-search'}) RETURN count(m) > 0"
MARK_BACKFILLED = "MERGE (:SchemaMark {name: 'run-search'})"
UNINDEXED = f"MATCH (n:Run) WHERE n.searchable IS NULL RETURN {q.cols()} LIMIT $limit"
RUN_CHUNKS = "UNWIND $ids AS i MATCH (c:MetricChunk {run: i}) RETURN c.run, c.batch, c.data"
MOVE_LASTS = """
UNWIND $lasts AS l
OPTIONAL MATCH (f:RunValue {run: l.run, key: l.key}) WHERE f.pos IS NULL
WITH l, f WHERE f IS NULL
MERGE (v:RunValue {last: l.last})
ON CREATE SET v.run = l.run, v.key = l.key, v.num = l.num, v.pos = l.pos
WITH v, l WHERE v.pos < l.pos
SET v.num = l.num, v.pos = l.pos
"""
_PROP = {True: "num", False: "str"}  # keyed by "is the value a number"
_RANK_PROP = {Rank.NUMBER: "num", Rank.STRING: "str"}
_CYPHER_OP = {Op.EQ: "=", Op.NE: "<>", Op.LT: "<", Op.LE: "<=", Op.GT: ">", Op.GE: ">="}


async def rows(tx: AsyncManagedTransaction, query: str, **params: Any) -> list[list[Any]]:
    values: list[list[Any]] = await (await tx.run(query, params)).values()
    return values


# -- index upkeep (inside the caller's write transaction) ----------------------------

def value_props(run_id: str, field: str, value: Value) -> dict[str, Any]:
    return {"run": run_id, "key": field, _PROP[isinstance(value, float)]: value}


def new_run_values(nodes: Sequence[Node]) -> list[dict[str, Any]]:
    """The RunValue nodes of freshly created runs."""
    return [value_props(n.id, field, value) for n in nodes for field, value in run_values.record_values(n)]


async def index_new_runs(tx: AsyncManagedTransaction, nodes: Sequence[Node]) -> None:
    """Index runs that have no RunValue yet (created with ``searchable`` set)."""
    runs = [n for n in nodes if n.kind is NodeKind.RUN]
    if runs:
        await (await tx.run(CREATE_VALUES, values=new_run_values(runs))).consume()


async def index_run(tx: AsyncManagedTransaction, node: Node) -> None:
    """Replace the record fields of run ``node``; final metrics drop their history rows."""
    await (await tx.run(DROP_RECORD, id=node.id, final=run_values.final_metric_keys(node))).consume()
    await index_new_runs(tx, [node])


def _last_rows(run_id: str, lasts: dict[str, tuple[str, float]]) -> list[dict[str, Any]]:
    return [{"run": run_id, "key": key, "last": f"{run_id}\x1f{key}", "pos": pos, "num": value}
            for key, (pos, value) in lasts.items()]


async def index_points(tx: AsyncManagedTransaction, run_id: str, batch: str, points: Sequence[MetricPoint]) -> None:
    lasts = _last_rows(run_id, run_values.batch_lasts(batch, points))
    if lasts:
        await (await tx.run(MOVE_LASTS, lasts=lasts)).consume()


async def backfill_batch(tx: AsyncManagedTransaction) -> int:
    """Index up to ``BACKFILL_BATCH`` runs stored before run search existed; how many."""
    nodes = [node_from_row(r) for r in await rows(tx, UNINDEXED, limit=BACKFILL_BATCH)]
    if not nodes:
        return 0
    await index_new_runs(tx, nodes)
    await (await tx.run(MARK_INDEXED, ids=[n.id for n in nodes])).consume()
    stored: dict[str, list[tuple[str, int, str, int, float]]] = {}
    for run_id, batch, data in await rows(tx, RUN_CHUNKS, ids=[n.id for n in nodes]):
        for key, points in json.loads(data).items():
            stored.setdefault(run_id, []).extend((key, step, batch, idx, value) for step, idx, value, _ in points)
    lasts = [row for run_id, found in stored.items() for row in _last_rows(run_id, run_values.history_lasts(found))]
    if lasts:
        await (await tx.run(MOVE_LASTS, lasts=lasts)).consume()
    return len(nodes)


# -- filters ----------------------------------------------------------------------------

class _Params:
    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def add(self, value: Any) -> str:
        name = f"p{len(self.values)}"
        self.values[name] = value
        return f"${name}"


def run_ids(expr: Expr, params: _Params) -> str:
    """A query returning ``rid``: the ids of the runs ``expr`` holds for (maybe repeated)."""
    if isinstance(expr, Compare):
        return _compare(expr, params)
    if isinstance(expr, Or):
        return " UNION ".join(_branch(part, params) for part in expr.parts)
    driver = min(expr.parts, key=_cost)
    rest = [p for p in expr.parts if p is not driver]
    check = " AND ".join(_holds(p, params) for p in rest)
    body = f"CALL () {{ {run_ids(driver, params)} }} WITH DISTINCT rid"
    return f"{body} WHERE {check} RETURN rid" if rest else f"{body} RETURN rid"


def _cost(expr: Expr) -> int:
    """Which part of an AND drives it: an equality first, a range next, a NOT last."""
    if isinstance(expr, Compare):
        return {Op.EQ: 0, Op.NE: 3}.get(expr.op, 1)
    return 2


def _branch(expr: Expr, params: _Params) -> str:
    return _compare(expr, params) if isinstance(expr, Compare) else f"CALL () {{ {run_ids(expr, params)} }} RETURN rid"


def _compare(cmp: Compare, params: _Params) -> str:
    prop = _PROP[isinstance(cmp.value, float)]
    key, value = params.add(cmp.field), params.add(cmp.value)
    if cmp.op is Op.NE:
        return (f"MATCH (r:Run) WHERE NOT EXISTS {{ MATCH (v:RunValue {{run: r.id, key: {key}}}) "
                f"WHERE v.{prop} = {value} }} RETURN r.id AS rid")
    return f"MATCH (v:RunValue) WHERE v.key = {key} AND v.{prop} {_CYPHER_OP[cmp.op]} {value} RETURN v.run AS rid"


def _holds(expr: Expr, params: _Params) -> str:
    """A predicate on ``rid`` that is true when ``expr`` holds for that run."""
    if isinstance(expr, (And, Or)):
        joiner = " AND " if isinstance(expr, And) else " OR "
        return "(" + joiner.join(_holds(p, params) for p in expr.parts) + ")"
    prop = _PROP[isinstance(expr.value, float)]
    key, value = params.add(expr.field), params.add(expr.value)
    op = "=" if expr.op is Op.NE else _CYPHER_OP[expr.op]
    found = f"EXISTS {{ MATCH (v:RunValue {{run: rid, key: {key}}}) WHERE v.{prop} {op} {value} }}"
    return f"NOT {found}" if expr.op is Op.NE else found


# -- pages ------------------------------------------------------------------------------

async def page(tx: AsyncManagedTransaction, where: Expr | None, sort: Sort, first: int,
               after: str | None) -> Page[Hit]:
    found: list[Position] = []
    for rank, bound in page_plan(sort, after):
        section = await _section(tx, where, sort, rank, bound, first + 1 - len(found))
        found += [Position(rank, value, run_id) for run_id, value in section]
        if len(found) > first:
            break
    ids = [p.id for p in found[:first]]
    nodes = {n.id: n for n in map(node_from_row, (await rows(tx, q.NODES_BY_IDS, ids=ids))[0][0])}
    return page_result(found, first, nodes)


async def _section(tx: AsyncManagedTransaction, where: Expr | None, sort: Sort, rank: Rank,
                   bound: Position | None, limit: int) -> list[tuple[str, Value | None]]:
    """The next ``limit`` matches of one section: a filter is checked run by run on a
    window of the section first, and only when that holds too few does its id set bound
    the rest (as on SQLite, ``sqlite_search._section``)."""
    bounds = section_bounds(where, sort, rank)
    if bounds is None:
        return []
    check = residual(where, bounds) if where is not None else None
    if check is None:
        return await _walk(tx, sort, rank, bound, bounds, limit)
    found: list[tuple[str, Value | None]] = []
    for size in WINDOWS:
        hits, seen, last = await _window(tx, check, sort, rank, bound, bounds, size)
        found += hits
        if len(found) >= limit or seen < size:
            return found[:limit]
        bound = Position(rank, last[1], last[0])
    return found + await _walk(tx, sort, rank, bound, bounds, limit - len(found), where)


def _parts(rank: Rank, bound: Position | None) -> tuple[str, ...]:
    """How to resume after ``bound`` with index seeks: the rest of its tie group (same
    value, later ids: one seek on the composite index), then strictly later values. One
    range with an OR would scan the whole tie group first (20,000 runs share an lr)."""
    return ("all",) if bound is None or rank is Rank.MISSING else ("tie", "rest")


async def _window(tx: AsyncManagedTransaction, where: Expr, sort: Sort, rank: Rank, bound: Position | None,
                  bounds: list[Compare], size: int) -> tuple[list[tuple[str, Value | None]], int, list[Any]]:
    """Of the next ``size`` runs of the section: those ``where`` holds for (in order), how
    many were seen, and the last one seen. The check is a WHERE, so Neo4j runs the
    cheapest part first and the others only on the runs that pass it."""
    found: list[tuple[str, Value | None]] = []
    seen, last = 0, [None, None]
    for part in _parts(rank, bound):
        params = _Params()
        walk = _walk_query(sort, rank, bound, bounds, size - seen, None, params, part)
        # One record for the whole window: the async driver pays ~60 µs per record.
        query = (f"CALL () {{ {walk} }} WITH collect([rid, sv]) AS window "
                 f"CALL (window) {{ UNWIND window AS w WITH w[0] AS rid, w[1] AS sv WHERE {_holds(where, params)} "
                 f"RETURN collect([rid, sv]) AS hits }} RETURN hits, size(window), window[-1]")
        hits, count, end = (await rows(tx, query, **params.values))[0]
        found += _ordered([(h[0], h[1]) for h in hits], rank, sort)
        seen, last = seen + count, end if count else last
        if seen >= size:
            break
    return found, seen, last


def _ordered(found: list[tuple[str, Value | None]], rank: Rank, sort: Sort) -> list[tuple[str, Value | None]]:
    return sorted(found, key=lambda r: (r[0],) if rank is Rank.MISSING else (r[1], r[0]), reverse=sort.descending)


async def _walk(tx: AsyncManagedTransaction, sort: Sort, rank: Rank, bound: Position | None,
                bounds: list[Compare], limit: int, where: Expr | None = None) -> list[tuple[str, Value | None]]:
    found: list[tuple[str, Value | None]] = []
    for part in _parts(rank, bound) if where is None else ("all",):
        params = _Params()
        walk = _walk_query(sort, rank, bound, bounds, limit - len(found), where, params, part)
        rows_ = (await rows(tx, f"CALL () {{ {walk} }} RETURN collect([rid, sv])", **params.values))[0][0]
        found += _ordered([(r[0], r[1]) for r in rows_], rank, sort)
        if len(found) >= limit:
            break
    return found


def _walk_query(sort: Sort, rank: Rank, bound: Position | None, bounds: list[Compare], limit: int,
                where: Expr | None, params: _Params, part: str = "all") -> str:
    """A section in answer order after ``bound`` as ``rid, sv`` rows, limited; ``where``
    (when given) as a subquery of ids; ``part`` as ``_parts`` says. Unfiltered, the order
    comes from an index (the ORDER BY names the indexed properties, so Neo4j reads them in
    order and stops)."""
    d = " DESC" if sort.descending else ""
    after = "<" if sort.descending else ">"
    source = f"CALL () {{ {run_ids(where, params)} }} WITH DISTINCT rid" if where is not None else None
    limit_ = params.add(limit)
    if rank is Rank.MISSING:
        run = "rid" if source else "r.id"
        checks = [] if bound is None else [f"{run} {after} {params.add(bound.id)}"]
        if sort.field is not None:
            checks.append(f"NOT EXISTS {{ MATCH (s:RunValue {{run: {run}, key: {params.add(sort.field)}}}) }}")
        if source:
            where_ = f" WHERE {' AND '.join(checks)}" if checks else ""
            return f"{source} WITH rid{where_} RETURN rid, null AS sv ORDER BY rid{d} LIMIT {limit_}"
        return (f"MATCH (r:Node) WHERE r.id IS NOT NULL AND r:Run{''.join(' AND ' + c for c in checks)} "
                f"WITH r ORDER BY r.id{d} LIMIT {limit_} RETURN r.id AS rid, null AS sv")
    prop = _RANK_PROP[rank]
    key = params.add(sort.field)
    conditions = [f"s.{prop} IS NOT NULL", "s.run IS NOT NULL"]
    conditions += [f"s.{prop} {_CYPHER_OP[c.op]} {params.add(c.value)}" for c in bounds]
    if bound is not None:
        value, id_ = params.add(bound.value), params.add(bound.id)
        conditions += {"tie": [f"s.{prop} = {value}", f"s.run {after} {id_}"],
                       "rest": [f"s.{prop} {after} {value}"],
                       "all": [f"s.{prop} {after}= {value}", f"(s.{prop} {after} {value} OR s.run {after} {id_})"]}[part]
    if source:
        return (f"{source} MATCH (s:RunValue {{run: rid, key: {key}}}) WHERE {' AND '.join(conditions)} "
                f"WITH rid, s.{prop} AS sv ORDER BY sv{d}, rid{d} LIMIT {limit_} RETURN rid, sv")
    return (f"MATCH (s:RunValue) WHERE s.key = {key} AND {' AND '.join(conditions)} "
            f"WITH s ORDER BY s.key{d}, s.{prop}{d}, s.run{d} LIMIT {limit_} RETURN s.run AS rid, s.{prop} AS sv")
