"""What run search indexes of a run: (field, value) pairs, defined once for every backend.

From the run's record: ``status``, ``name``, ``project``, ``kind``, each tag under
``tags``, and ``params.KEY`` / ``metrics.KEY`` for every leaf of the params and final
metrics (nested objects flatten to dotted keys: ``{"opt": {"lr": 1}}`` is ``params.opt.lr``).
Numbers and booleans (1, 0) are indexed as floats, strings up to ``MAX_TEXT`` characters as
text; lists, nulls and longer strings are not searchable. From the metric history: the
last logged value (``metricSummary.last``) of each key the final metrics do not name, so
a RUNNING run is searchable by its latest loss.
"""

from __future__ import annotations

import math
from typing import Any, Iterable, Mapping, Sequence

from provgraph.metrics import MetricPoint, Position
from provgraph.model import Node
from provgraph.search import Value

MAX_TEXT = 1000
_STEP_SHIFT = 2**63


def record_values(node: Node) -> list[tuple[str, Value]]:
    """The fields of a run's record, without duplicates."""
    props = node.props
    found: list[tuple[str, Value]] = [
        ("status", str(props.get("status", "RUNNING"))), ("name", node.name), ("project", node.project),
        ("kind", str(props.get("run_kind", "training"))),
    ]
    found += [("tags", tag) for tag in node.tags]
    found += flatten("params", props.get("params") or {})
    found += flatten("metrics", props.get("metrics") or {})
    return list(dict.fromkeys(found))


def final_metric_keys(node: Node) -> list[str]:
    """The ``metrics.KEY`` fields the run's final metrics set (they win over the history)."""
    return [key for key, _ in flatten("metrics", node.props.get("metrics") or {})]


def flatten(prefix: str, values: Mapping[str, Any]) -> list[tuple[str, Value]]:
    found: list[tuple[str, Value]] = []
    for key, value in values.items():
        field = f"{prefix}.{key}"
        if isinstance(value, Mapping):
            found += flatten(field, value)
        elif (scalar := searchable(value)) is not None:
            found.append((field, scalar))
    return found


def searchable(value: Any) -> Value | None:
    """The indexed form of a JSON value, or None when it is not searchable."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, str) and len(value) <= MAX_TEXT:
        return value
    return None


def position_text(position: Position) -> str:
    """A history position as text whose string order is the history order."""
    step, batch, index = position
    return f"{step + _STEP_SHIFT:020d}{batch}{index:010d}"


def batch_lasts(batch: str, points: Sequence[MetricPoint]) -> dict[str, tuple[str, float]]:
    """Per key, the position text and value of the batch's last point of that key."""
    last: dict[str, tuple[Position, float]] = {}
    for index, point in enumerate(points):
        position = (point.step, batch, index)
        if point.key not in last or position > last[point.key][0]:
            last[point.key] = (position, point.value)
    return {f"metrics.{key}": (position_text(pos), value) for key, (pos, value) in last.items()}


def history_lasts(rows: Iterable[tuple[str, int, str, int, float]]) -> dict[str, tuple[str, float]]:
    """``batch_lasts`` over stored points given as (key, step, batch, index, value)."""
    last: dict[str, tuple[str, float]] = {}
    for key, step, batch, index, value in rows:
        text = position_text((step, batch, index))
        field = f"metrics.{key}"
        if field not in last or text > last[field][0]:
            last[field] = (text, value)
    return last
