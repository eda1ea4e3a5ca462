"""Metric history types: points in, history pages and per-key summaries out."""

from __future__ import annotations

from datetime import datetime, timezone

import strawberry

from provgraph import metrics
from provgraph.errors import BadInput
from provgraph.model import Page
from provgraph.schema.connection import PageInfo
from provgraph.schema.scalars import Long


@strawberry.input(description="One metric value at a step; `timestamp` is seconds since the epoch.")
class MetricPointInput:
    key: str
    value: float
    step: Long
    timestamp: float | None = None

    def to_point(self) -> metrics.MetricPoint:
        return metrics.MetricPoint(self.key, self.value, int(self.step), self.timestamp)


@strawberry.type(description="One logged metric value.")
class MetricPoint:
    key: str
    value: float
    step: Long
    timestamp: datetime | None

    @classmethod
    def from_point(cls, point: metrics.MetricPoint) -> MetricPoint:
        stamp = None if point.timestamp is None else datetime.fromtimestamp(point.timestamp, timezone.utc)
        return cls(key=point.key, value=point.value, step=Long(point.step), timestamp=stamp)


@strawberry.type(description="A metric's history in brief: last value and extremes with their steps.")
class MetricSummary:
    key: str
    count: int
    last: float
    last_step: Long
    min: float
    min_step: Long = strawberry.field(description="Earliest step of the minimum (best for a loss).")
    max: float
    max_step: Long = strawberry.field(description="Earliest step of the maximum (best for an accuracy).")

    @classmethod
    def from_summary(cls, s: metrics.MetricSummary) -> MetricSummary:
        return cls(key=s.key, count=s.count, last=s.last, last_step=Long(s.last_step), min=s.min,
                   min_step=Long(s.min_step), max=s.max, max_step=Long(s.max_step))


@strawberry.type(description="One page of a metric's history, in step order.")
class MetricHistory:
    points: list[MetricPoint]
    page_info: PageInfo

    @classmethod
    def from_page(cls, page: Page[metrics.MetricPoint]) -> MetricHistory:
        return cls(
            points=[MetricPoint.from_point(p) for p in page.items],
            page_info=PageInfo(has_next_page=page.has_next, end_cursor=page.end_cursor),
        )


def history_page_size(first: int | None) -> int:
    size = 1000 if first is None else first
    if not 1 <= size <= metrics.MAX_HISTORY_PAGE:
        raise BadInput(f"first={size} is out of range: use 1..{metrics.MAX_HISTORY_PAGE}")
    return size
