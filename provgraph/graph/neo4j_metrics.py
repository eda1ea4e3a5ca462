"""Metric history in Neo4j: points stored in ``(:MetricChunk)`` nodes of up to 20,000 points.

One node per point would make a 100,000-step run 100,000 nodes; a chunk holds its points
as compact JSON (``{key: [[step, index, value, timestamp], …]}``) plus each key's step
range, so a history page loads only the chunks that can hold it. Chunks carry the run id
as a property (no relationship), so traversals never see them. A batch's chunks are
written in one transaction: a replayed batch finds them and writes nothing.
"""

from __future__ import annotations

import json
import time
from typing import Any, Sequence

from neo4j import AsyncManagedTransaction

from provgraph.errors import Conflict, NotFound
from provgraph.graph import neo4j_search
from provgraph.graph.neo4j_writes import rows
from provgraph.metrics import MetricPoint, MetricSummary, Position, cursor_of, parse_cursor, summarize
from provgraph.model import Page

CHUNK_POINTS = 20_000
Positioned = tuple[Position, MetricPoint]

RUN_EXISTS = "MATCH (r:Run {id: $id}) RETURN r.id"
BATCH_RUN = "MATCH (c:MetricChunk {batch: $batch}) RETURN c.run LIMIT 1"
CREATE_CHUNKS = "UNWIND $chunks AS c CREATE (m:MetricChunk) SET m = c"
CHUNK_RANGES = "MATCH (c:MetricChunk {run: $run}) WHERE $key IN c.keys RETURN c.id, c.batch, c.steps"
CHUNK_DATA = "UNWIND $ids AS i MATCH (c:MetricChunk {id: i}) RETURN c.batch, c.data"
RUN_DATA = "MATCH (c:MetricChunk {run: $run}) RETURN c.batch, c.data"


async def _require_run(tx: AsyncManagedTransaction, run_id: str) -> None:
    if not await rows(tx, RUN_EXISTS, id=run_id):
        raise NotFound(f"no run with id {run_id!r}")


def _chunk(run_id: str, batch: str, number: int, start: int, points: Sequence[MetricPoint]) -> dict[str, Any]:
    now = time.time()
    data: dict[str, list[list[Any]]] = {}
    for offset, point in enumerate(points):
        stamp = now if point.timestamp is None else point.timestamp
        data.setdefault(point.key, []).append([point.step, start + offset, point.value, stamp])
    steps = {key: [min(p[0] for p in pts), max(p[0] for p in pts)] for key, pts in data.items()}
    return {"id": f"{batch}/{number}", "batch": batch, "run": run_id, "keys": sorted(data),
            "steps": json.dumps(steps), "data": json.dumps(data, separators=(",", ":"))}


async def append(tx: AsyncManagedTransaction, run_id: str, batch: str, points: Sequence[MetricPoint]) -> int:
    await _require_run(tx, run_id)
    stored = await rows(tx, BATCH_RUN, batch=batch)
    if stored:
        if stored[0][0] != run_id:
            raise Conflict(f"metric batch {batch} was already stored for another run")
        return 0
    chunks = [_chunk(run_id, batch, n, start, points[start:start + CHUNK_POINTS])
              for n, start in enumerate(range(0, len(points), CHUNK_POINTS))]
    if chunks:
        await (await tx.run(CREATE_CHUNKS, chunks=chunks)).consume()
    await neo4j_search.index_points(tx, run_id, batch, points)
    return len(points)


def _points(batch: str, data: str, key: str | None = None) -> list[Positioned]:
    decoded: dict[str, list[list[Any]]] = json.loads(data)
    found: list[Positioned] = []
    for name, points in decoded.items():
        if key is None or name == key:
            found += [((step, batch, idx), MetricPoint(name, value, step, ts)) for step, idx, value, ts in points]
    return found


async def history(
    tx: AsyncManagedTransaction, run_id: str, key: str, first: int, after: str | None
) -> Page[MetricPoint]:
    await _require_run(tx, run_id)
    start: Position | None = parse_cursor(after) if after is not None else None
    ranges = []
    for chunk_id, _, steps in await rows(tx, CHUNK_RANGES, run=run_id, key=key):
        low, high = json.loads(steps)[key]
        if start is None or high >= start[0]:
            ranges.append((low, chunk_id))
    found = await _gather(tx, sorted(ranges), key, start, first + 1)
    items = found[:first]
    end = cursor_of(items[-1][0]) if items else None
    return Page([p for _, p in items], len(found) > first, end)


async def _gather(
    tx: AsyncManagedTransaction, ranges: list[tuple[int, str]], key: str, start: Position | None, want: int
) -> list[Positioned]:
    """The first ``want`` points after ``start``, loading chunks by their lowest step
    until no unloaded chunk can hold an earlier point."""
    found: list[Positioned] = []
    for low, chunk_id in ranges:
        if len(found) >= want and low > found[want - 1][0][0]:
            break
        for batch, data in await rows(tx, CHUNK_DATA, ids=[chunk_id]):
            found += [p for p in _points(batch, data, key) if start is None or p[0] > start]
        found.sort(key=lambda p: p[0])
    return found[:want]


async def summary(tx: AsyncManagedTransaction, run_id: str) -> list[MetricSummary]:
    await _require_run(tx, run_id)
    positioned: list[Positioned] = []
    for batch, data in await rows(tx, RUN_DATA, run=run_id):
        positioned += _points(batch, data)
    return summarize(positioned)
