"""PROVGRAPH_AUTH_TOKENS scopes, and the walks that keep a reader inside them."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from provgraph.auth import Auth, Grant
from provgraph.config import parse_tokens
from provgraph.errors import ConfigError, Forbidden
from provgraph.model import Direction, Edge, EdgeType, Node, NodeKind, Subgraph
from provgraph.visibility import EVERYTHING, ReadScope

EVERY = None


@pytest.mark.parametrize(("raw", "write", "read"), [
    ("", EVERY, EVERY),
    ("*", EVERY, EVERY),
    ("a", {"a"}, {"a"}),
    ("a|b", {"a", "b"}, {"a", "b"}),
    ("write:a", {"a"}, {"a"}),
    ("read:a", set(), {"a"}),
    ("a|read:b", {"a"}, {"a", "b"}),
    ("a|read:*", {"a"}, EVERY),
    ("read:*", set(), EVERY),
    ("read:a|*", EVERY, EVERY),
])
def test_grants_parse_read_and_write_scopes(raw: str, write: set[str] | None, read: set[str] | None) -> None:
    grant = Grant.parse(raw)
    assert grant.write == (None if write is None else frozenset(write))
    assert grant.read == (None if read is None else frozenset(read))


@pytest.mark.parametrize("raw", ["a|", "read:", "a||b", "write:"])
def test_an_empty_project_in_a_grant_is_a_config_error(raw: str) -> None:
    with pytest.raises(ConfigError, match="PROVGRAPH_AUTH_TOKENS has an empty project in"):
        Grant.parse(raw)


def test_tokens_variable_names_each_tokens_grant() -> None:
    tokens = parse_tokens("root, ci=a|read:*, viewer=read:a|read:b")
    assert [(str(t), g) for t, g in tokens.items()] == [
        ("root", Grant()),
        ("ci", Grant(frozenset({"a"}), None)),
        ("viewer", Grant(frozenset(), frozenset({"a", "b"}))),
    ]
    with pytest.raises(ConfigError, match="an entry with an empty token"):
        parse_tokens("=a")


def test_principals_carry_both_scopes() -> None:
    auth = Auth({"t-ci": Grant.parse("a|read:b"), "t-view": Grant.parse("read:a"), "t-all": None,
                 "t-short": frozenset({"c"})})
    ci = auth.authenticate("Bearer t-ci")
    assert ci.reads.reads("b") and not ci.reads.reads("c")
    ci.check_write("a")
    with pytest.raises(Forbidden, match="may not write project 'b'; it may write: a"):
        ci.check_write("b")
    viewer = auth.authenticate("Bearer t-view")
    with pytest.raises(Forbidden, match="it may write: no project"):
        viewer.check_write("a")
    with pytest.raises(Forbidden, match="this token may only read"):
        viewer.check_upload()
    assert auth.authenticate("Bearer t-all").reads is not None and auth.authenticate("Bearer t-all").reads.everything
    short = auth.authenticate("Bearer t-short")  # a set of projects: each read and written
    assert short.write == frozenset({"c"}) and short.reads == ReadScope(frozenset({"c"}))


def node(project: str, name: str, kind: NodeKind = NodeKind.DATASET) -> Node:
    return Node(id=f"{project}/{name}", kind=kind, project=project, name=name,
                created_at=datetime(2026, 1, 1, tzinfo=timezone.utc))


def derived(source: str, target: str) -> Edge:
    return Edge(source, target, EdgeType.DERIVED_FROM)


# a/top ← b/mid ← a/low, and a/top ← a/x ← a/y ← a/low: a/low is 2 up through b, 3 around it
NODES = tuple(node(*n.split("/")) for n in ("a/top", "b/mid", "a/x", "a/y", "a/low"))
EDGES = (derived("a/top", "b/mid"), derived("b/mid", "a/low"), derived("a/top", "a/x"),
         derived("a/x", "a/y"), derived("a/y", "a/low"))
GRAPH = Subgraph(NODES, EDGES, Direction.UPSTREAM)


def test_walks_go_around_unreadable_nodes() -> None:
    only_a = ReadScope(frozenset({"a"}))
    assert EVERYTHING.walk(GRAPH, "a/top", Direction.UPSTREAM, None) == {
        "a/top": 0, "b/mid": 1, "a/x": 1, "a/y": 2, "a/low": 2}
    assert only_a.walk(GRAPH, "a/top", Direction.UPSTREAM, None) == {"a/top": 0, "a/x": 1, "a/y": 2, "a/low": 3}
    assert only_a.walk(GRAPH, "a/top", Direction.UPSTREAM, 2) == {"a/top": 0, "a/x": 1, "a/y": 2}
    assert only_a.walk(GRAPH, "a/low", Direction.DOWNSTREAM, None) == {"a/low": 0, "a/y": 1, "a/x": 2, "a/top": 3}
    assert [(h.node.id, h.depth) for h in only_a.hops(GRAPH, "a/top", Direction.UPSTREAM, None, None)] == [
        ("a/x", 1), ("a/y", 2), ("a/low", 3)]
    with pytest.raises(ValueError):
        only_a.walk(GRAPH, "a/top", Direction.BOTH, None)


def test_lineage_and_paths_within_readable_nodes() -> None:
    only_a = ReadScope(frozenset({"a"}))
    cut = only_a.lineage(GRAPH, "a/top", Direction.UPSTREAM, None)
    assert [n.id for n in cut.nodes] == ["a/top", "a/x", "a/y", "a/low"]
    assert cut.edges == (derived("a/top", "a/x"), derived("a/x", "a/y"), derived("a/y", "a/low"))
    path = only_a.path(GRAPH, "a/top", "a/low", Direction.UPSTREAM)
    assert path is not None and [n.id for n in path.nodes] == ["a/top", "a/x", "a/y", "a/low"]
    assert path.edges == cut.edges and path.direction is Direction.UPSTREAM
    down = only_a.path(GRAPH, "a/low", "a/top", Direction.DOWNSTREAM)
    assert down is not None and [n.id for n in down.nodes] == ["a/low", "a/y", "a/x", "a/top"]
    assert down.edges == (derived("a/y", "a/low"), derived("a/x", "a/y"), derived("a/top", "a/x"))
    shortest = EVERYTHING.path(GRAPH, "a/top", "a/low", Direction.UPSTREAM)
    assert shortest is not None and [n.id for n in shortest.nodes] == ["a/top", "b/mid", "a/low"]
    assert ReadScope(frozenset({"b"})).path(GRAPH, "b/mid", "a/top", Direction.UPSTREAM) is None


def test_blobs_are_readable_through_a_readable_file() -> None:
    scope = ReadScope(frozenset({"a"}))
    assert scope.sees(node("", "sha256:x", NodeKind.BLOB))
    assert scope.sees_blob(["b", "a"]) and not scope.sees_blob(["b"]) and not scope.sees_blob([])
    assert EVERYTHING.sees_blob([])
    assert scope.listing(None) == frozenset({"a"}) and scope.listing("b") == frozenset()
    assert EVERYTHING.listing(None) is None and EVERYTHING.listing("b") == frozenset({"b"})
