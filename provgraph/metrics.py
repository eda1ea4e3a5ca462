"""Metric history of runs: points, per-key summaries, cursors, and input checks.

A point is (key, step, value, timestamp). Points arrive in batches; a batch id makes an
append idempotent (a replayed batch writes nothing). History is ordered by
``(step, batch, index in batch)``, which is also its keyset cursor, so every backend pages
it identically. ``summarize`` is the one definition of last/min/max/best shared by all.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from provgraph.errors import BadInput
from provgraph.ids import is_ulid

MAX_POINTS_PER_BATCH = 100_000
MAX_HISTORY_PAGE = 10_000
_KEY = re.compile(r"[^\x00-\x1f]{1,250}")
_LONG = 2**63
# Ordering key of a stored point: (step, batch id, index in the batch).
Position = tuple[int, str, int]


@dataclass(frozen=True)
class MetricPoint:
    """One logged value: ``timestamp`` is seconds since the epoch (None: unknown)."""

    key: str
    value: float
    step: int
    timestamp: float | None = None


@dataclass(frozen=True)
class MetricSummary:
    """Per-key digest of a history: count, last value, and extremes with their steps
    (the best step is ``min_step`` for a loss, ``max_step`` for an accuracy)."""

    key: str
    count: int
    last: float
    last_step: int
    min: float
    min_step: int
    max: float
    max_step: int


def cursor_of(position: Position) -> str:
    step, batch, index = position
    return f"{step}:{batch}:{index}"


def parse_cursor(text: str) -> Position:
    """The position a history cursor names; ``BadInput`` for anything else."""
    parts = text.split(":")
    try:
        step, batch, index = int(parts[0]), parts[1], int(parts[2])
    except (ValueError, IndexError):
        raise BadInput(f"malformed metric history cursor {text!r}: pass a previous page's endCursor") from None
    if len(parts) != 3:
        raise BadInput(f"malformed metric history cursor {text!r}: pass a previous page's endCursor")
    return step, batch, index


def check_key(key: str) -> str:
    if not _KEY.fullmatch(key):
        raise BadInput(f"invalid metric key {key!r}: 1-250 characters, no control characters")
    return key


def check_batch(batch: str) -> str:
    if not is_ulid(batch):
        raise BadInput(f"invalid metric batch id {batch!r}: client-chosen batch ids are ULIDs")
    return batch


def check_points(points: Sequence[MetricPoint]) -> tuple[MetricPoint, ...]:
    """Points with valid keys, finite values and 64-bit steps, at most 100,000 per batch."""
    if len(points) > MAX_POINTS_PER_BATCH:
        raise BadInput(f"{len(points)} metric points in one batch; the limit is {MAX_POINTS_PER_BATCH}")
    keys: set[str] = set()
    for point in points:
        if point.key not in keys:
            keys.add(check_key(point.key))
        if not math.isfinite(point.value):
            raise BadInput(f"metric {point.key!r} at step {point.step}: value {point.value!r} is not finite")
        if not -_LONG <= point.step < _LONG:
            raise BadInput(f"metric {point.key!r}: step {point.step} is outside the 64-bit range")
    return tuple(points)


def points_from_series(series: object) -> list[MetricPoint]:
    """Points of the columnar form ``{key: {"steps": [...], "values": [...],
    "timestamps": [...] (optional)}}``, which costs far less to decode than one object
    per point. Shapes are checked here; values by ``check_points``."""
    if not isinstance(series, Mapping):
        raise BadInput("series must be a JSON object {key: {steps, values, timestamps?}}")
    points: list[MetricPoint] = []
    for key, column in series.items():
        steps, values, stamps = _columns(key, column)
        points += map(MetricPoint, [key] * len(steps), values, steps, stamps)
    return points


def _columns(key: str, column: object) -> tuple[list[int], list[float], list[float | None]]:
    if not isinstance(column, Mapping) or not isinstance(column.get("steps"), list) \
            or not isinstance(column.get("values"), list):
        raise BadInput(f"series[{key!r}] must be an object with lists 'steps' and 'values'")
    steps, values = column["steps"], column["values"]
    stamps = column.get("timestamps") or [None] * len(steps)
    if not len(steps) == len(values) == len(stamps):
        raise BadInput(f"series[{key!r}]: steps, values and timestamps differ in length")
    if not all(type(s) is int for s in steps):
        raise BadInput(f"series[{key!r}]: steps must be integers")
    if not all(type(v) in (int, float) for v in values):
        raise BadInput(f"series[{key!r}]: values must be numbers")
    if not all(t is None or type(t) in (int, float) for t in stamps):
        raise BadInput(f"series[{key!r}]: timestamps must be numbers (seconds since the epoch)")
    return steps, [float(v) for v in values], stamps


def summarize(rows: Iterable[tuple[Position, MetricPoint]]) -> list[MetricSummary]:
    """Summaries by key (sorted) of positioned points. Ties: the earliest step is the
    best one; the point with the greatest position is the last."""
    found: dict[str, _Acc] = {}
    for position, point in rows:
        acc = found.get(point.key)
        if acc is None:
            found[point.key] = _Acc(point, position)
        else:
            acc.add(point, position)
    return [acc.summary(key) for key, acc in sorted(found.items())]


class _Acc:
    """Running count, last point and extremes of one key."""

    def __init__(self, point: MetricPoint, position: Position) -> None:
        self.count = 1
        self.position, self.last = position, point.value
        self.low, self.low_step = point.value, point.step
        self.high, self.high_step = point.value, point.step

    def add(self, point: MetricPoint, position: Position) -> None:
        self.count += 1
        if position > self.position:
            self.position, self.last = position, point.value
        if (point.value, point.step) < (self.low, self.low_step):
            self.low, self.low_step = point.value, point.step
        if (point.value, -point.step) > (self.high, -self.high_step):
            self.high, self.high_step = point.value, point.step

    def summary(self, key: str) -> MetricSummary:
        return MetricSummary(key, self.count, self.last, self.position[0], self.low, self.low_step,
                             self.high, self.high_step)
