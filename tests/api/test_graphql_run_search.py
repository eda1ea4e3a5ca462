"""``runs(filter:, orderBy:)`` over HTTP: answers, pages, the older arguments, and BAD_INPUT."""

from __future__ import annotations

from typing import Any

import pytest

from provgraph.auth import Grant

from .conftest import ClientFactory
from .support import TestClient, data, error

START = """mutation($name: String!, $params: JSON, $tags: [String!], $project: String) {
  startRun(name: $name, params: $params, tags: $tags, project: $project) { id } }"""
FINISH = "mutation($id: ID!, $metrics: JSON) { finishRun(id: $id, status: COMPLETED, metrics: $metrics) { id } }"
SEARCH = """query($filter: String, $orderBy: String, $first: Int, $after: String, $project: String, $tag: String) {
  runs(filter: $filter, orderBy: $orderBy, first: $first, after: $after, project: $project, tag: $tag) {
    edges { cursor node { id name metrics params } } pageInfo { hasNextPage endCursor } } }"""
LIST = "{ runs(first: 100) { edges { node { id status metrics } } } }"


def run(client: TestClient, name: str, lr: float, loss: float | None, tags: list[str] | None = None,
        project: str = "default") -> str:
    run_id: str = data(client, START, {"name": name, "params": {"lr": lr}, "tags": tags or [],
                                       "project": project})["startRun"]["id"]
    if loss is not None:
        data(client, FINISH, {"id": run_id, "metrics": {"loss": loss}})
    return run_id


def names(client: TestClient, first: int = 100, **variables: Any) -> list[str]:
    """Every page of a search, following endCursor, as run names."""
    found: list[str] = []
    after = None
    while True:
        page = data(client, SEARCH, {"first": first, "after": after, **variables})["runs"]
        found += [e["node"]["name"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return found
        after = page["pageInfo"]["endCursor"]
        assert after == page["edges"][-1]["cursor"]


@pytest.fixture
def runs(client: TestClient) -> TestClient:
    run(client, "a", 0.001, 0.1, ["base"])
    run(client, "b", 0.01, 0.15)
    run(client, "c", 0.001, 0.3, ["base"], project="other")
    run(client, "d", 0.001, None)
    run(client, "e", 0.001, 0.15)
    return client


def test_filter_and_sort(runs: TestClient) -> None:
    assert names(runs, filter="metrics.loss < 0.2 AND params.lr = 0.001") == ["e", "a"]  # newest first
    assert names(runs, filter="metrics.loss < 0.2 AND params.lr = 0.001", orderBy="metrics.loss") == ["a", "e"]
    # Ties (b and e at 0.15) by id in the sort's direction; d has no loss and comes last.
    assert names(runs, orderBy="-metrics.loss", first=2) == ["c", "e", "b", "a", "d"]
    assert names(runs, orderBy="metrics.loss", first=1) == ["a", "b", "e", "c", "d"]
    assert names(runs, filter='tags = "base" OR (params.lr > 0.005 AND status = "COMPLETED")',
                 orderBy="name") == ["a", "b", "c"]
    assert names(runs, filter="metrics.loss != 0.15", orderBy="name") == ["a", "c", "d"]


def test_older_arguments_join_the_filter(runs: TestClient) -> None:
    assert names(runs, filter="params.lr = 0.001", project="other") == ["c"]
    assert names(runs, filter="metrics.loss >= 0", tag="base", orderBy="-metrics.loss") == ["c", "a"]
    assert names(runs, orderBy="name", project="default") == ["a", "b", "d", "e"]


def test_any_edge_cursor_resumes_after_it(runs: TestClient) -> None:
    page = data(runs, SEARCH, {"orderBy": "metrics.loss", "first": 5})["runs"]
    assert [e["node"]["name"] for e in page["edges"]] == ["a", "b", "e", "c", "d"]
    after_b = page["edges"][1]["cursor"]
    rest = data(runs, SEARCH, {"orderBy": "metrics.loss", "first": 10, "after": after_b})["runs"]
    assert [e["node"]["name"] for e in rest["edges"]] == ["e", "c", "d"]
    assert rest["pageInfo"] == {"hasNextPage": False, "endCursor": rest["edges"][-1]["cursor"]}


@pytest.mark.parametrize("variables, message", [
    ({"filter": "metrics.loss < "}, "filter: 'metrics.loss < ' ends too early: expected a number or a quoted string"),
    ({"filter": "metrics.loss < 0.2 AND AND"},
     "filter: unexpected 'AND' at column 24: expected '(' or a field (params.KEY, metrics.KEY, status, name, "
     "project, kind, tags)"),
    ({"filter": "metrics.loss ~ 1"}, "filter: unexpected character '~' at column 14"),
    ({"filter": "loss < 1"}, "filter: unknown field 'loss' at column 1: use params.KEY, metrics.KEY, status, "
                             "name, project, kind, tags"),
    ({"filter": 'metrics.loss < "low"'}, "filter: metrics.loss compares with numbers, not the string 'low' (column 16)"),
    ({"filter": 'status = "DONE"'}, "filter: status is one of RUNNING, COMPLETED, FAILED, not 'DONE' (column 10)"),
    ({"filter": "   "}, "filter is empty: write a comparison such as metrics.loss < 0.2, or leave it out"),
    ({"orderBy": "tags"}, "orderBy: cannot sort by 'tags' (column 1): use params.KEY, metrics.KEY, status, name, "
                          "project, kind, created_at"),
    ({"orderBy": "metrics.loss desc"},
     "orderBy 'metrics.loss desc' is not a sort key: write FIELD (ascending) or -FIELD (descending), FIELD being "
     "params.KEY, metrics.KEY, status, name, project, kind, created_at"),
    ({"orderBy": "name", "after": "bm9wZQ"}, "malformed runs cursor 'bm9wZQ': pass a previous page's endCursor"),
    ({"filter": "metrics.loss > 0", "first": 0}, "first=0 is out of range: use 1..1000"),
])
def test_bad_search_is_bad_input_and_writes_nothing(runs: TestClient, variables: dict[str, Any],
                                                    message: str) -> None:
    before = data(runs, LIST)
    assert error(runs, SEARCH, variables) == ("BAD_INPUT", message)
    assert data(runs, LIST) == before


def test_filter_over_the_limits_is_bad_input(runs: TestClient) -> None:
    text = " OR ".join(["metrics.loss < 1"] * 300)
    assert error(runs, SEARCH, {"filter": text}) == (
        "BAD_INPUT", f"filter is {len(text)} characters; the limit is 4000")
    text = " OR ".join(["metrics.loss < 1"] * 33)
    assert error(runs, SEARCH, {"filter": text}) == ("BAD_INPUT", "filter has 33 comparisons; the limit is 32")


def test_search_shows_the_projects_a_token_may_read(make_client: ClientFactory) -> None:
    client = make_client(auth_tokens={"admin": Grant(), "reader": Grant.parse("read:a")})
    for project, name, loss in (("a", "a1", 0.1), ("b", "b1", 0.05), ("a", "a2", 0.3)):
        run_id = data(client, START, {"name": name, "project": project}, "admin")["startRun"]["id"]
        data(client, FINISH, {"id": run_id, "metrics": {"loss": loss}}, "admin")

    def found(token: str, **variables: Any) -> list[str]:
        page = data(client, SEARCH, {"first": 10, **variables}, token)["runs"]
        return [e["node"]["name"] for e in page["edges"]]

    assert found("admin", filter="metrics.loss < 1", orderBy="metrics.loss") == ["b1", "a1", "a2"]
    assert found("reader", filter="metrics.loss < 1", orderBy="metrics.loss") == ["a1", "a2"]
    assert found("reader", filter='project = "b"') == []
    assert found("reader", orderBy="name", project="b") == []
