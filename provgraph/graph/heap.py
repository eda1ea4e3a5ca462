"""Keeping Python's cyclic garbage collector off the long-lived objects of the traversal
index (its adjacency lists and decoded-node cache: hundreds of thousands of objects).

Every full collection walks every tracked object. A 20,000-node traversal allocates
~100,000 objects, which sets off full collections that walk the whole index each time:
measured, they tripled the time of such a traversal through the service. Once the index
has grown by ``GROWTH`` objects, ``grew`` collects once and freezes what is left
(``gc.freeze``: the collector ignores frozen objects, reference counting still frees
them). Each such settle first unfreezes and collects everything, so a cycle that became
garbage after an earlier freeze is collected then, not kept forever; settles are at
least ``MIN_INTERVAL_S`` apart.
"""

from __future__ import annotations

import gc
import threading
import time

GROWTH = 20_000  # tracked objects added to long-lived structures before a settle
MIN_INTERVAL_S = 1.0

_lock = threading.Lock()
_grown = 0
_last = float("-inf")


def grew(objects: int) -> bool:
    """Count ``objects`` new long-lived tracked objects (0: just check); settle the heap
    when enough have accumulated and the last settle is old enough. True when it did."""
    global _grown, _last
    with _lock:
        _grown += objects
        now = time.monotonic()
        if _grown < GROWTH or now - _last < MIN_INTERVAL_S:
            return False
        _grown, _last = 0, now
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    return True
