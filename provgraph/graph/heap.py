"""Keeping Python's cyclic garbage collector off the long-lived objects of the traversal
index (its adjacency lists and decoded-node cache: hundreds of thousands of objects).

Every full collection walks every tracked object. A 20,000-node traversal allocates
~100,000 objects, which sets off full collections that walk the whole index each time:
measured, they tripled the time of such a traversal through the service. Once the index
has grown by ``GROWTH`` objects, ``grew`` settles the heap: it collects the young
generations (the objects made since the last settle, not the whole heap) and freezes
what is left (``gc.freeze``, a constant-time move: the collector ignores frozen objects,
reference counting still frees them). At most every ``FULL_INTERVAL_S`` a settle is a
full one instead: it unfreezes and collects everything first, so a cycle that became
garbage after an earlier freeze is collected then, not kept forever.
"""

from __future__ import annotations

import gc
import threading
import time

GROWTH = 20_000  # tracked objects added to long-lived structures before a settle
FULL_INTERVAL_S = 60.0  # the least time between two full settles

_lock = threading.Lock()
_grown = 0
_last_full = float("-inf")


def grew(objects: int) -> bool:
    """Count ``objects`` new long-lived tracked objects; settle the heap when enough have
    accumulated. True when it did."""
    global _grown, _last_full
    with _lock:
        _grown += objects
        if _grown < GROWTH:
            return False
        _grown = 0
        now = time.monotonic()
        full = now - _last_full >= FULL_INTERVAL_S
        if full:
            _last_full = now
    if full:
        gc.unfreeze()
        gc.collect()
    else:
        gc.collect(1)
    gc.freeze()
    return True
