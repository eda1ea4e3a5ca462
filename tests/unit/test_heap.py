"""The traversal index's heap policy: collect once, then freeze, when it has grown."""

from __future__ import annotations

import gc
import weakref
from typing import Iterator

import pytest

from provgraph.graph import heap


@pytest.fixture(autouse=True)
def _fresh_policy(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(heap, "_grown", 0)
    monkeypatch.setattr(heap, "_last_full", float("-inf"))
    yield
    gc.unfreeze()


def test_a_settle_waits_for_growth_then_freezes_what_lives() -> None:
    gc.unfreeze()
    assert heap.grew(heap.GROWTH - 1) is False and gc.get_freeze_count() == 0
    kept = [[i] for i in range(1000)]
    assert heap.grew(1) is True
    assert gc.get_freeze_count() >= len(kept)
    more = [[i] for i in range(1000)]
    frozen = gc.get_freeze_count()
    assert heap.grew(heap.GROWTH) is True  # soon after the last one: a young-generation settle
    assert gc.get_freeze_count() >= frozen + len(more)


def test_a_young_settle_keeps_earlier_frozen_garbage_until_a_full_one() -> None:
    class Cell:
        other: object = None

    a, b = Cell(), Cell()
    a.other, b.other = b, a
    alive = weakref.ref(a)
    heap.grew(heap.GROWTH)  # the first settle is a full one; it freezes the cycle
    del a, b
    heap.grew(heap.GROWTH)  # a young settle: the frozen cycle is not looked at
    assert alive() is not None
    heap._last_full -= heap.FULL_INTERVAL_S
    heap.grew(heap.GROWTH)
    assert alive() is None


def test_a_settle_collects_cycles_that_died_after_an_earlier_freeze() -> None:
    class Cell:
        other: object = None

    a, b = Cell(), Cell()
    a.other, b.other = b, a
    heap.grew(heap.GROWTH)
    frozen = gc.get_freeze_count()
    assert frozen > 0
    del a, b  # a cycle among frozen objects: no reference count reaches zero
    heap._last_full -= heap.FULL_INTERVAL_S
    assert heap.grew(heap.GROWTH)
    assert not any(isinstance(o, Cell) for o in gc.get_objects())
