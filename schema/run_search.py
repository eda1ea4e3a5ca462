"""The search form of ``runs``: a ``filter`` in the run-search grammar and an ``orderBy``.

The older exact-match arguments (project, name, tag, status) join the filter as ANDed
comparisons, so every combination means the same on every backend; so do the projects
the principal may read (``provgraph.visibility``).
"""

from __future__ import annotations

from provgraph.model import Page, RunStatus
from provgraph.schema.connection import DEFAULT_PAGE, Connection, connection, page_size
from provgraph.schema.context import Info
from provgraph.schema.run import Run
from provgraph.search import NEWEST_FIRST, And, Compare, Expr, Hit, Op, Or, parse_filter, parse_order

FILTER_HELP = (
    'Run search: comparisons of params.KEY, metrics.KEY (final, else last logged value), status, name, '
    'project, kind or tags with = != < <= > >=, joined by AND / OR and parentheses, e.g. '
    '`metrics.loss < 0.2 AND params.lr = 0.001` (README "Search runs").'
)
ORDER_HELP = (
    "Sort field: params.KEY, metrics.KEY, name, status, project, kind or created_at; a leading `-` "
    "sorts descending. Ties by id; runs without the field last. Default: newest first."
)


def where_of(filter: str | None, project: str | None, name: str | None, tag: str | None,
             status: RunStatus | None) -> Expr | None:
    """The filter with the exact-match arguments ANDed in; None when there is none."""
    exact: list[Expr] = [Compare(field, Op.EQ, value) for field, value in
             (("project", project), ("name", name), ("tags", tag), ("status", status.value if status else None))
             if value is not None]
    parts: list[Expr] = [*exact, parse_filter(filter)] if filter is not None else exact
    return And(tuple(parts)) if parts else None


async def search_runs(info: Info, first: int | None, after: str | None, where: Expr | None,
                      order_by: str | None, project: str | None) -> Connection[Run]:
    """A page of the search, within the projects the principal may read (``project``: the
    one the request asked for, if any)."""
    sort = parse_order(order_by) if order_by is not None else NEWEST_FIRST
    size = page_size(first, DEFAULT_PAGE)
    readable = info.context.reads.listing(project)
    page: Page[Hit]
    if readable is not None and not readable:
        page = Page([], False, None)
    else:
        page = await info.context.graph.search_runs(_within(where, readable), sort, size, after)
    return connection(page, lambda hit: Run.from_node(hit.node), lambda hit: hit.cursor)


def _within(where: Expr | None, readable: frozenset[str] | None) -> Expr | None:
    if readable is None:
        return where
    visible = Or(tuple(Compare("project", Op.EQ, p) for p in sorted(readable)))
    return And((visible,) if where is None else (visible, where))
