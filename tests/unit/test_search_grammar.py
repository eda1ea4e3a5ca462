"""The run-search grammar: what parses into which tree, and the exact errors of what does not."""

from __future__ import annotations

import pytest

from provgraph.errors import BadInput
from provgraph.search import (
    And, Compare, Op, Or, Position, Rank, Sort, parse_cursor, parse_filter, parse_order, cursor_of, residual,
    section_bounds,
)

FIELDS = "params.KEY, metrics.KEY, status, name, project, kind, tags"
A_FIELD = f"a field ({FIELDS})"


@pytest.mark.parametrize("text, tree", [
    ("metrics.loss < 0.2 AND params.lr = 0.001",
     And((Compare("metrics.loss", Op.LT, 0.2), Compare("params.lr", Op.EQ, 0.001)))),
    ("metrics.loss<0.2", And((Compare("metrics.loss", Op.LT, 0.2),))),
    # AND binds tighter than OR; keywords in any case.
    ("params.a = 1 or params.b = 2 AND params.c = 3",
     Or((Compare("params.a", Op.EQ, 1.0), And((Compare("params.b", Op.EQ, 2.0), Compare("params.c", Op.EQ, 3.0)))))),
    ("(params.a = 1 Or params.b >= -2.5e1) and name != 'x'",
     And((Or((Compare("params.a", Op.EQ, 1.0), Compare("params.b", Op.GE, -25.0))), Compare("name", Op.NE, "x")))),
    ('status = "FAILED" AND tags = "base" AND kind = "eval" AND project = "p"',
     And((Compare("status", Op.EQ, "FAILED"), Compare("tags", Op.EQ, "base"), Compare("kind", Op.EQ, "eval"),
          Compare("project", Op.EQ, "p")))),
    ("params.opt.beta1 <= .9 AND metrics.val/loss > 1 AND params.`batch size` != 32",
     And((Compare("params.opt.beta1", Op.LE, 0.9), Compare("metrics.val/loss", Op.GT, 1.0),
          Compare("params.batch size", Op.NE, 32.0)))),
    ("params.amp = true OR params.amp = FALSE", Or((Compare("params.amp", Op.EQ, 1.0), Compare("params.amp", Op.EQ, 0.0)))),
    (r"""name = 'it\'s' OR name = "say \"hi\"\n" OR name = 'a\\b'""",
     Or((Compare("name", Op.EQ, "it's"), Compare("name", Op.EQ, 'say "hi"\n'), Compare("name", Op.EQ, "a\\b")))),
    ("params.and = 1", And((Compare("params.and", Op.EQ, 1.0),))),
    # Nested parts of one kind join their parent: nesting counts only where AND and OR alternate.
    ("params.a = 1 AND (params.b = 2 AND (params.c = 3))",
     And((Compare("params.a", Op.EQ, 1.0), Compare("params.b", Op.EQ, 2.0), Compare("params.c", Op.EQ, 3.0)))),
])
def test_filters_parse_into_their_tree(text: str, tree: object) -> None:
    assert parse_filter(text) == tree


@pytest.mark.parametrize("text, message", [
    ("", "filter is empty: write a comparison such as metrics.loss < 0.2, or leave it out"),
    ("metrics.loss", "filter: 'metrics.loss' ends too early: expected a comparison operator (= != < <= > >=)"),
    ("metrics.loss <", "filter: 'metrics.loss <' ends too early: expected a number or a quoted string"),
    ("metrics.loss < 0.2 AND", f"filter: 'metrics.loss < 0.2 AND' ends too early: expected '(' or {A_FIELD}"),
    ("(metrics.a = 1", "filter: '(metrics.a = 1' ends too early: expected ')'"),
    ("metrics.a = 1)", "filter: unexpected ')' at column 14: expected AND, OR or the end of the filter"),
    ("params.lr == 1", "filter: unexpected '=' at column 12: expected a number or a quoted string"),
    ("params.lr = 1 params.b = 2", "filter: unexpected 'params.b' at column 15: expected ')' or AND or OR"),
    ("params.lr = 1 AND OR params.b = 2", f"filter: unexpected 'OR' at column 19: expected '(' or {A_FIELD}"),
    ("metrics.loss ~ 1", "filter: unexpected character '~' at column 14"),
    ("params. = 1", "filter: unexpected character '.' at column 7"),
    ("name = 'open", "filter: unexpected character \"'\" at column 8"),
    ("loss < 1", f"filter: unknown field 'loss' at column 1: use {FIELDS}"),
    ("Status = 'RUNNING'", f"filter: unknown field 'Status' at column 1: use {FIELDS}"),
    ("metrics.loss < 'low'", "filter: metrics.loss compares with numbers, not the string 'low' (column 16)"),
    ("name = 3", "filter: name compares with quoted strings, not 3 (column 8)"),
    ("status = 'DONE'", "filter: status is one of RUNNING, COMPLETED, FAILED, not 'DONE' (column 10)"),
    ("tags > 'a'", "filter: tags takes = or != (has / has not the tag), not > (column 1)"),
])
def test_bad_filters_name_what_is_wrong_and_where(text: str, message: str) -> None:
    with pytest.raises(BadInput) as caught:
        parse_filter(text)
    assert caught.value.message == message


def test_a_filter_over_the_limit_is_refused() -> None:
    with pytest.raises(BadInput) as caught:
        parse_filter("params.a = 1 OR " * 300 + "params.a = 2")
    assert caught.value.message == "filter is 4812 characters; the limit is 4000"
    with pytest.raises(BadInput) as caught:  # within the length, every rule still applies
        parse_filter("params.a = 1 OR " * 240 + "params.a = 2")
    assert caught.value.message == "filter has 241 comparisons; the limit is 32"


@pytest.mark.parametrize("text, sort", [
    ("metrics.loss", Sort("metrics.loss", False)), ("-metrics.loss", Sort("metrics.loss", True)),
    ("+params.lr", Sort("params.lr", False)), (" - name ", Sort("name", True)), ("status", Sort("status", False)),
    ("created_at", Sort(None, False)), ("-created_at", Sort(None, True)), ("params.`a b`", Sort("params.a b", False)),
])
def test_orders_parse(text: str, sort: Sort) -> None:
    assert parse_order(text) == sort


@pytest.mark.parametrize("text, message", [
    ("tags", "orderBy: cannot sort by 'tags' (column 1): use params.KEY, metrics.KEY, status, name, project, kind, "
             "created_at"),
    ("loss", "orderBy: cannot sort by 'loss' (column 1): use params.KEY, metrics.KEY, status, name, project, kind, "
             "created_at"),
    ("metrics.loss desc", "orderBy 'metrics.loss desc' is not a sort key: write FIELD (ascending) or -FIELD "
                          "(descending), FIELD being params.KEY, metrics.KEY, status, name, project, kind, created_at"),
    ("", "orderBy '' is not a sort key: write FIELD (ascending) or -FIELD (descending), FIELD being params.KEY, "
         "metrics.KEY, status, name, project, kind, created_at"),
])
def test_bad_orders_are_bad_input(text: str, message: str) -> None:
    with pytest.raises(BadInput) as caught:
        parse_order(text)
    assert caught.value.message == message


def test_cursors_round_trip_and_garbage_is_refused() -> None:
    for position in (Position(Rank.NUMBER, 0.5, "a"), Position(Rank.STRING, "x", "b"), Position(Rank.MISSING, None, "c")):
        assert parse_cursor(cursor_of(position)) == position
    for bad in ("", "bm9wZQ", cursor_of(Position(Rank.NUMBER, "text", "a")), cursor_of(Position(Rank.MISSING, 1.0, "a"))):
        with pytest.raises(BadInput) as caught:
            parse_cursor(bad)
        assert caught.value.message == f"malformed runs cursor {bad!r}: pass a previous page's endCursor"


def test_sort_field_comparisons_bound_their_section() -> None:
    where = parse_filter("metrics.loss < 0.2 AND (params.lr = 1 OR name = 'a') AND metrics.loss != 0.1")
    loss = Sort("metrics.loss", True)
    assert section_bounds(where, loss, Rank.NUMBER) == [Compare("metrics.loss", Op.LT, 0.2)]
    assert section_bounds(where, loss, Rank.STRING) is None  # a number comparison: no string can match
    assert section_bounds(where, loss, Rank.MISSING) is None  # nor a run without the field
    assert section_bounds(where, Sort("name", False), Rank.MISSING) == []  # an OR bounds nothing
    assert residual(where, [Compare("metrics.loss", Op.LT, 0.2)]) == And(
        (Or((Compare("params.lr", Op.EQ, 1.0), Compare("name", Op.EQ, "a"))), Compare("metrics.loss", Op.NE, 0.1)))
    assert residual(parse_filter("metrics.loss < 0.2"), [Compare("metrics.loss", Op.LT, 0.2)]) is None


def nested(levels: int) -> str:
    """A filter whose AND and OR alternate ``levels`` times."""
    text = "params.a = 0"
    for i in range(1, levels + 1):
        text = f"(params.a = {i} {'OR' if i % 2 else 'AND'} {text})"
    return text


def test_nesting_is_limited() -> None:
    assert parse_filter(nested(8)) is not None
    with pytest.raises(BadInput) as caught:
        parse_filter(nested(9))
    assert caught.value.message == "filter nests AND and OR 9 levels deep; the limit is 8"


def test_comparisons_are_limited() -> None:
    assert parse_filter(" OR ".join(f"params.a = {i}" for i in range(32))) is not None
    with pytest.raises(BadInput) as caught:
        parse_filter(" OR ".join(f"params.a = {i}" for i in range(33)))
    assert caught.value.message == "filter has 33 comparisons; the limit is 32"
