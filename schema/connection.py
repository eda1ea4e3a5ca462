"""Relay-style connections (``edges { cursor node } pageInfo { hasNextPage endCursor }``).

Cursors are the store's keyset cursors: a node's id in listings (newest first) and a
file's path in file listings (by path), so every edge has its own cursor.
"""

from __future__ import annotations

from typing import Callable, Generic, TypeVar

import strawberry

from provgraph import validate
from provgraph.model import Page

T = TypeVar("T")
S = TypeVar("S")

DEFAULT_PAGE = 50
DEFAULT_FILES_PAGE = 100


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None = strawberry.field(description="Pass as `after` for the next page.")


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo


def page_size(first: int | None, default: int) -> int:
    """``first`` (``default`` when null) checked against 1..1000 (``BAD_INPUT`` otherwise)."""
    return validate.page_size(default if first is None else first)


def connection(page: Page[S], convert: Callable[[S], T], cursor_of: Callable[[S], str]) -> Connection[T]:
    """A connection over one store page; ``cursor_of`` gives an item's keyset cursor."""
    edges = [Edge(cursor=cursor_of(item), node=convert(item)) for item in page.items]
    return Connection(
        edges=edges, page_info=PageInfo(has_next_page=page.has_next, end_cursor=page.end_cursor)
    )
