"""Pages of a traversal answer: keyset cursors over its (depth, id) order.

A traversal answers hops ordered by depth, then id; a cursor names the last hop of a
page, and the next page starts after it. Cursors are opaque to clients (base64url of
``depth:id``), and a changed graph between two pages moves nothing already returned.
"""

from __future__ import annotations

import base64
import binascii
from bisect import bisect_right
from typing import Sequence

from provgraph.errors import BadInput
from provgraph.model import HopRef, Page

DEFAULT_PAGE = 1000
MAX_PAGE = 10_000


def page_size(first: int | None) -> int:
    """``first`` (``DEFAULT_PAGE`` when null) checked against 1..MAX_PAGE."""
    size = DEFAULT_PAGE if first is None else first
    if not 1 <= size <= MAX_PAGE:
        raise BadInput(f"first={size} is out of range: use 1..{MAX_PAGE}")
    return size


def cursor_of(hop: HopRef) -> str:
    return base64.urlsafe_b64encode(f"{hop.depth}:{hop.id}".encode()).decode().rstrip("=")


def parse_cursor(cursor: str | None) -> tuple[int, str] | None:
    """The (depth, id) a cursor names; ``BadInput`` for anything ``cursor_of`` did not make."""
    if cursor is None:
        return None
    try:
        depth, sep, node_id = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().partition(":")
        if sep and node_id and depth.isdigit() and cursor_of(HopRef(node_id, None, int(depth))) == cursor:  # type: ignore[arg-type]
            return int(depth), node_id
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise BadInput(f"invalid cursor {cursor!r}: pass the endCursor of a previous page of the same traversal")


def page_after(refs: Sequence[HopRef], first: int, after: tuple[int, str] | None) -> Page[HopRef]:
    """The ``first`` hops of ``refs`` (in depth, id order) that come after ``after``."""
    start = 0 if after is None else bisect_right(refs, after, key=lambda h: (h.depth, h.id))
    items = list(refs[start:start + first])
    return Page(items, start + first < len(refs), cursor_of(items[-1]) if items else None)
