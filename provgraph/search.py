"""Run search: the filter grammar, its typed syntax tree, sort keys and page cursors.

A filter is comparisons joined by ``AND``/``OR`` (``AND`` binds tighter) with
parentheses: ``metrics.loss < 0.2 AND (params.lr = 0.001 OR tags = "baseline")``.
The left side of a comparison is a field: ``params.KEY``, ``metrics.KEY`` (the run's
final metric, else the last logged value), ``status``, ``name``, ``project``, ``kind``
or ``tags``; the right side a number, a quoted string, ``true`` or ``false``
(booleans are the numbers 1 and 0). ``lark`` parses it (LALR); the backends compile the
tree to parametrised SQL or Cypher, so no value is ever spliced into a query.

Semantics shared by every backend: a comparison holds when the run has the field with a
value of the literal's type that compares so (numbers numerically, strings by code
point); ``!=`` is the negation of ``=`` (a run without the field matches it); ``tags =
"x"`` holds when "x" is one of the run's tags.
"""

from __future__ import annotations

import base64
import enum
import functools
import json
from dataclasses import dataclass
from typing import Mapping, Union

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from provgraph.errors import BadInput
from provgraph.model import Node, Page

MAX_FILTER = 4000
# Neo4j plans a query per filter shape: a 64-way OR took seconds to plan on the test server.
MAX_COMPARISONS = 32
MAX_NESTING = 8  # SQL and Cypher parsers have stacks too: far deeper than any filter a person writes
PLAIN_FIELDS = ("status", "name", "project", "kind", "tags")
SORT_FIELDS = ("status", "name", "project", "kind", "created_at")
STATUSES = ("RUNNING", "COMPLETED", "FAILED")
Value = Union[float, str]
_ESCAPES = {"n": "\n", "t": "\t"}

GRAMMAR = r"""
?filter: disjunction
?disjunction: conjunction (_OR conjunction)*
?conjunction: _atom (_AND _atom)*
_atom: comparison | "(" disjunction ")"
comparison: field OP literal
order: SIGN? field
field: QUALIFIED | QUOTED_KEY | NAME
?literal: NUMBER -> number
    | STRING -> string
    | TRUE -> true
    | FALSE -> false

_AND.2: /and\b/i
_OR.2: /or\b/i
TRUE.2: /true\b/i
FALSE.2: /false\b/i
QUALIFIED.3: /(params|metrics)\.[A-Za-z0-9_.\/:@-]+/
QUOTED_KEY.3: /(params|metrics)\.`[^`]+`/
NAME: /(?!(and|or|true|false)\b)[A-Za-z_][A-Za-z0-9_]*/i
OP: "<=" | ">=" | "!=" | "=" | "<" | ">"
SIGN: "-" | "+"
NUMBER: /[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?/
STRING: /"([^"\\]|\\.)*"/ | /'([^'\\]|\\.)*'/
%import common.WS
%ignore WS
"""


@functools.cache
def _parser() -> Lark:
    """Built on first use (tens of ms), so importing the SDK stays quick."""
    return Lark(GRAMMAR, start=["filter", "order"], parser="lalr", propagate_positions=True)


_A_FIELD = "a field (params.KEY, metrics.KEY, status, name, project, kind, tags)"
_EXPECTED = {  # the grammar's terminals as a person names them in "expected …"
    "OP": "a comparison operator (= != < <= > >=)", "NUMBER": "a number", "STRING": "a quoted string",
    "QUALIFIED": _A_FIELD, "QUOTED_KEY": _A_FIELD, "NAME": _A_FIELD, "LPAR": "'('", "RPAR": "')'",
    "_AND": "AND", "_OR": "OR", "$END": "AND, OR or the end of the filter",
}


class Op(enum.Enum):
    EQ = "="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="


@dataclass(frozen=True)
class Compare:
    """``field op value``; ``field`` is the index key (``params.lr``, ``metrics.loss``, ``status``)."""

    field: str
    op: Op
    value: Value


@dataclass(frozen=True)
class And:
    parts: tuple[Expr, ...]


@dataclass(frozen=True)
class Or:
    parts: tuple[Expr, ...]


Expr = Union[Compare, And, Or]


@dataclass(frozen=True)
class Sort:
    """Order of a search: by ``field`` (None: creation, i.e. id), descending or not;
    ties by id in the same direction, runs without the field last."""

    field: str | None = None
    descending: bool = True


NEWEST_FIRST = Sort()


def _field_name(token: Token) -> str:
    text = str(token)
    if "`" in text:
        prefix, _, rest = text.partition(".")
        return f"{prefix}.{rest.strip('`')}"
    return text


@v_args(inline=True)
class _Tree(Transformer[Token, object]):
    def field(self, token: Token) -> tuple[str, Token]:
        return _field_name(token), token

    def number(self, token: Token) -> tuple[Value, Token]:
        return float(token), token

    def string(self, token: Token) -> tuple[Value, Token]:
        return _unescape(token[1:-1]), token

    def true(self, token: Token) -> tuple[Value, Token]:
        return 1.0, token

    def false(self, token: Token) -> tuple[Value, Token]:
        return 0.0, token

    def comparison(self, field: tuple[str, Token], op: Token, literal: tuple[Value, Token]) -> Compare:
        name, at = field
        value, where = literal
        if "." not in name and name not in PLAIN_FIELDS:
            raise BadInput(f"filter: unknown field {name!r} at column {at.column}: use params.KEY, "
                           "metrics.KEY, " + ", ".join(PLAIN_FIELDS))
        _check_types(name, Op(str(op)), value, at.column or 0, where.column or 0)
        return Compare(name, Op(str(op)), value)

    def conjunction(self, *parts: Expr) -> And:
        return And(tuple(p for part in parts for p in (part.parts if isinstance(part, And) else (part,))))

    def disjunction(self, *parts: Expr) -> Or:
        return Or(tuple(p for part in parts for p in (part.parts if isinstance(part, Or) else (part,))))

    def order(self, *parts: Token | tuple[str, Token]) -> Sort:
        sign = parts[0] if len(parts) == 2 else None
        last = parts[-1]
        assert isinstance(last, tuple)
        name, at = last
        if "." not in name and name not in SORT_FIELDS:
            raise BadInput(f"orderBy: cannot sort by {name!r} (column {at.column}): use params.KEY, "
                           "metrics.KEY, " + ", ".join(SORT_FIELDS))
        return Sort(None if name == "created_at" else name, str(sign) == "-")


def _unescape(body: str) -> str:
    """A quoted string's text: backslash escapes ``\\n``, ``\\t``; any other escaped
    character stands for itself (``\\"``, ``\\'``, ``\\\\``)."""
    out: list[str] = []
    chars = iter(body)
    for char in chars:
        if char == "\\":
            char = next(chars)  # the grammar never ends a string on a lone backslash
            char = _ESCAPES.get(char, char)
        out.append(char)
    return "".join(out)


def _check_types(name: str, op: Op, value: Value, at: int, where: int) -> None:
    if name.startswith("metrics.") and isinstance(value, str):
        raise BadInput(f"filter: {name} compares with numbers, not the string {value!r} (column {where})")
    if name in PLAIN_FIELDS and not isinstance(value, str):
        raise BadInput(f"filter: {name} compares with quoted strings, not {_show(value)} (column {where})")
    if name == "status" and value not in STATUSES:
        raise BadInput(f"filter: status is one of {', '.join(STATUSES)}, not {value!r} (column {where})")
    if name == "tags" and op not in (Op.EQ, Op.NE):
        raise BadInput(f"filter: tags takes = or != (has / has not the tag), not {op.value} (column {at})")


def _show(value: Value) -> str:
    return repr(value) if isinstance(value, str) else f"{value:g}"


def _syntax_error(text: str, exc: UnexpectedInput, what: str) -> BadInput:
    column = getattr(exc, "column", None)
    if isinstance(exc, UnexpectedEOF) or column is None or column < 1:
        return BadInput(f"{what}: {text!r} ends too early: expected {_expected(exc)}")
    if isinstance(exc, UnexpectedCharacters):
        found = text[exc.pos_in_stream] if exc.pos_in_stream is not None else "?"
        return BadInput(f"{what}: unexpected character {found!r} at column {column}")
    token = exc.token if isinstance(exc, UnexpectedToken) else None
    if token is not None and token.type == "$END":
        return BadInput(f"{what}: {text!r} ends too early: expected {_expected(exc)}")
    return BadInput(f"{what}: unexpected {str(token)!r} at column {column}: expected {_expected(exc)}")


def _expected(exc: UnexpectedInput) -> str:
    names = sorted(getattr(exc, "expected", None) or getattr(exc, "allowed", None) or ())
    shown = list(dict.fromkeys(_EXPECTED.get(n, n) for n in names if n in _EXPECTED))
    return " or ".join(shown) if shown else "more input"


def _parse(text: str, start: str, what: str) -> object:
    if len(text) > MAX_FILTER:
        raise BadInput(f"{what} is {len(text)} characters; the limit is {MAX_FILTER}")
    try:
        tree = _parser().parse(text, start=start)
    except UnexpectedInput as exc:
        raise _syntax_error(text, exc, what) from None
    try:
        return _Tree().transform(tree)
    except VisitError as exc:
        if isinstance(exc.orig_exc, BadInput):
            raise exc.orig_exc from None
        raise


def parse_filter(text: str) -> Expr:
    """The syntax tree of a filter; ``BadInput`` naming the column of what is wrong."""
    if not text.strip():
        raise BadInput("filter is empty: write a comparison such as metrics.loss < 0.2, or leave it out")
    tree = _parse(text, "filter", "filter")
    assert isinstance(tree, (Compare, And, Or))
    expr: Expr = tree if isinstance(tree, (And, Or)) else And((tree,))
    if (levels := depth(expr)) > MAX_NESTING:
        raise BadInput(f"filter nests AND and OR {levels} levels deep; the limit is {MAX_NESTING}")
    if (count := len(comparisons(expr))) > MAX_COMPARISONS:
        raise BadInput(f"filter has {count} comparisons; the limit is {MAX_COMPARISONS}")
    return expr


def comparisons(expr: Expr) -> list[Compare]:
    return [expr] if isinstance(expr, Compare) else [c for part in expr.parts for c in comparisons(part)]


def depth(expr: Expr) -> int:
    """Levels of AND/OR in a tree (a comparison: 0)."""
    return 0 if isinstance(expr, Compare) else 1 + max(depth(part) for part in expr.parts)


def parse_order(text: str) -> Sort:
    """``metrics.loss`` (ascending), ``-metrics.loss`` (descending), ``name``, ``-created_at``…"""
    try:
        sort = _parse(text.strip(), "order", "orderBy")
    except BadInput as exc:
        if exc.message.startswith("orderBy: cannot"):
            raise
        raise BadInput(f"orderBy {text!r} is not a sort key: write FIELD (ascending) or -FIELD (descending), "
                       "FIELD being params.KEY, metrics.KEY, " + ", ".join(SORT_FIELDS)) from None
    assert isinstance(sort, Sort)
    return sort


# -- pages ---------------------------------------------------------------------------

class Rank(enum.IntEnum):
    """The sections of a sorted answer: runs whose field is a number, a string, or missing."""

    NUMBER = 0
    STRING = 1
    MISSING = 2


@dataclass(frozen=True)
class Position:
    """Where a run sits in a sorted answer: its section, its sort value and id."""

    rank: Rank
    value: Value | None
    id: str


def sections(sort: Sort) -> tuple[Rank, ...]:
    """Sections in answer order: ascending numbers then strings, descending the reverse;
    missing last either way. Without a sort field every run is in MISSING (by id)."""
    if sort.field is None:
        return (Rank.MISSING,)
    return (Rank.STRING, Rank.NUMBER, Rank.MISSING) if sort.descending else (Rank.NUMBER, Rank.STRING, Rank.MISSING)


def conjuncts(expr: Expr) -> list[Expr]:
    """The parts of nested ANDs, flattened (an OR or a comparison is one part)."""
    if isinstance(expr, And):
        return [part for inner in expr.parts for part in conjuncts(inner)]
    return [expr]


def section_bounds(where: Expr | None, sort: Sort, rank: Rank) -> list[Compare] | None:
    """Comparisons of the sort field that every answer satisfies (top-level AND parts),
    usable as index bounds of the ``rank`` section; None when no run of that section can
    match (a number section under a string comparison of the field, or runs missing it)."""
    if sort.field is None or where is None:
        return []
    bounds = [p for p in conjuncts(where) if isinstance(p, Compare) and p.field == sort.field and p.op is not Op.NE]
    if bounds and rank is Rank.MISSING:
        return None
    wanted = float if rank is Rank.NUMBER else str
    return None if any(not isinstance(b.value, wanted) for b in bounds) else bounds


def residual(where: Expr, bounds: list[Compare]) -> Expr | None:
    """``where`` without the top-level comparisons a section's bounds already enforce
    (None: nothing is left to check)."""
    rest = [part for part in conjuncts(where) if part not in bounds]
    return None if not rest else And(tuple(rest))


def cursor_of(position: Position) -> str:
    raw = json.dumps([int(position.rank), position.value, position.id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def parse_cursor(text: str) -> Position:
    """The position a search cursor names; ``BadInput`` for anything else."""
    try:
        rank, value, id_ = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        position = Position(Rank(rank), value, id_)
    except (ValueError, TypeError):
        raise BadInput(f"malformed runs cursor {text!r}: pass a previous page's endCursor") from None
    if not isinstance(position.id, str) or not _value_fits(position):
        raise BadInput(f"malformed runs cursor {text!r}: pass a previous page's endCursor")
    return position


def _value_fits(position: Position) -> bool:
    kind = {Rank.NUMBER: (int, float), Rank.STRING: (str,), Rank.MISSING: (type(None),)}[position.rank]
    return isinstance(position.value, kind) and not isinstance(position.value, bool)


def page_plan(sort: Sort, after: str | None) -> list[tuple[Rank, Position | None]]:
    """The sections a page reads, in order, each with the position to start after."""
    ranks = sections(sort)
    if after is None:
        return [(rank, None) for rank in ranks]
    start = parse_cursor(after)
    if start.rank not in ranks:
        raise BadInput(f"runs cursor {after!r} belongs to another orderBy: pass a previous page's endCursor")
    later = ranks[ranks.index(start.rank) + 1:]
    return [(start.rank, start), *[(rank, None) for rank in later]]


@dataclass(frozen=True)
class Hit:
    """A run of a search answer and the cursor that resumes after it."""

    node: Node
    cursor: str


def page_result(found: list[Position], first: int, nodes: Mapping[str, Node]) -> Page[Hit]:
    """The page of the first ``first`` positions (``found`` holds one more when there is a next)."""
    shown = [p for p in found[:first] if p.id in nodes]
    hits = [Hit(nodes[p.id], cursor_of(p)) for p in shown]
    return Page(hits, len(found) > first, hits[-1].cursor if hits else None)
