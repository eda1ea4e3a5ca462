"""``ancestorsConnection`` / ``descendantsConnection``: a traversal page by page through the
real app, equal to the whole answer, resumable from any cursor, bad cursors refused."""

from __future__ import annotations

import random
from typing import Any

from provgraph.auth import Grant

from .support import TestClient, data, error

PAGE = """query($id: ID!, $first: Int, $after: String, $depth: Int, $kinds: [NodeKind!]) {
  %s(id: $id, first: $first, after: $after, maxDepth: $depth, kinds: $kinds) {
    edges { cursor depth node { id } } pageInfo { hasNextPage endCursor } } }"""
WHOLE = "query($id: ID!, $depth: Int, $kinds: [NodeKind!]) { %s(id: $id, maxDepth: $depth, kinds: $kinds) { depth node { id } } }"
MODEL = "mutation($p: String!, $parents: [ID!]) { registerModel(project: $p, name: \"m\", parents: $parents) { id } }"


def dag(client: TestClient, n: int, token: str | None = None, project_of: Any = lambda i: "default") -> list[str]:
    rng = random.Random(7)
    ids: list[str] = []
    for i in range(n):
        parents = rng.sample(ids, min(len(ids), 3))
        ids.append(data(client, MODEL, {"p": project_of(i), "parents": parents}, token)["registerModel"]["id"])
    return ids


def walk(client: TestClient, field: str, start: str, first: int, token: str | None = None,
         **variables: Any) -> list[list[tuple[int, str]]]:
    pages, after = [], None
    while True:
        page = data(client, PAGE % field, {"id": start, "first": first, "after": after, **variables}, token)[field]
        pages.append([(e["depth"], e["node"]["id"]) for e in page["edges"]])
        if page["edges"]:
            assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
        if not page["pageInfo"]["hasNextPage"]:
            return pages
        after = page["pageInfo"]["endCursor"]


def whole(client: TestClient, field: str, start: str, token: str | None = None, **variables: Any) -> list[tuple[int, str]]:
    return [(h["depth"], h["node"]["id"]) for h in data(client, WHOLE % field, {"id": start, **variables}, token)[field]]


def test_pages_cover_the_whole_answer_once_in_order(client: TestClient) -> None:
    ids = dag(client, 40)
    for field, plain, start in (("ancestorsConnection", "ancestors", ids[-1]),
                                ("descendantsConnection", "descendants", ids[0])):
        expected = whole(client, plain, start)
        assert len(expected) > 15
        pages = walk(client, field, start, 7)
        assert [hop for page in pages for hop in page] == expected
        assert all(len(p) == 7 for p in pages[:-1]) and 1 <= len(pages[-1]) <= 7
        assert walk(client, field, start, 1000) == [expected]
        bounded = walk(client, field, start, 5, depth=2, kinds=["MODEL"])
        assert [hop for page in bounded for hop in page] == whole(client, plain, start, depth=2, kinds=["MODEL"])


def test_any_cursor_resumes_after_its_hop(client: TestClient) -> None:
    ids = dag(client, 25)
    first = data(client, PAGE % "ancestorsConnection", {"id": ids[-1], "first": 10})["ancestorsConnection"]
    third = first["edges"][2]["cursor"]
    rest = data(client, PAGE % "ancestorsConnection", {"id": ids[-1], "first": 1000, "after": third})
    resumed = [(e["depth"], e["node"]["id"]) for e in rest["ancestorsConnection"]["edges"]]
    assert resumed == whole(client, "ancestors", ids[-1])[3:]


def test_bad_pages_are_refused(client: TestClient) -> None:
    ids = dag(client, 3)
    query = PAGE % "ancestorsConnection"
    assert error(client, query, {"id": ids[-1], "first": 0}) == ("BAD_INPUT", "first=0 is out of range: use 1..10000")
    assert error(client, query, {"id": ids[-1], "first": 10_001})[0] == "BAD_INPUT"
    assert error(client, query, {"id": ids[-1], "after": "not-a-cursor"}) == (
        "BAD_INPUT", "invalid cursor 'not-a-cursor': pass the endCursor of a previous page of the same traversal")
    missing = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
    assert error(client, query, {"id": missing}) == ("NOT_FOUND", f"no node with id {missing!r}")


def test_pages_of_a_scoped_token_stay_within_its_projects(make_client: Any) -> None:
    client = make_client(auth_tokens={"admin": None, "mine": Grant.parse("a")})
    ids = dag(client, 30, "admin", lambda i: "b" if i % 4 == 1 else "a")
    start = ids[-2]  # in project a
    expected = whole(client, "ancestors", start, "mine")
    every = whole(client, "ancestors", start, "admin")
    assert len(expected) < len(every)
    pages = walk(client, "ancestorsConnection", start, 4, "mine")
    assert [hop for page in pages for hop in page] == expected and len(pages) > 1
    assert walk(client, "ancestorsConnection", start, 1000, "admin") == [every]


def test_hops_asking_only_ids_and_kinds_match_the_full_answer(client: TestClient) -> None:
    ids = dag(client, 30)
    data(client, 'mutation($m: ID!) { recordEvaluation(model: $m, metrics: {acc: 1}) { id } }', {"m": ids[5]})
    for field, start in (("ancestors", ids[-1]), ("descendants", ids[0])):
        thin = f"query($id: ID!) {{ {field}(id: $id) {{ depth node {{ __typename id kind }} }} }}"
        full = f"query($id: ID!) {{ {field}(id: $id) {{ depth node {{ __typename id kind name project }} }} }}"
        fragment = f"query($id: ID!) {{ {field}(id: $id) {{ depth node {{ id kind ... on Model {{ version }} }} }} }}"
        answer = data(client, thin, {"id": start})[field]
        expected = [{"depth": h["depth"], "node": {k: h["node"][k] for k in ("__typename", "id", "kind")}}
                    for h in data(client, full, {"id": start})[field]]
        assert answer == expected and len(answer) > 10
        assert {h["node"]["__typename"] for h in answer} >= {"Model"}
        versions = data(client, fragment, {"id": start})[field]
        assert all(h["node"]["version"].startswith("v") for h in versions if h["node"]["kind"] == "MODEL")
