"""Relay connections: listings and dataset files, page by page."""

from __future__ import annotations

import hashlib
from typing import Any

from .support import TestClient, data

MODELS = """query($first: Int, $after: String, $name: String, $tag: String, $status: ModelStatus) {
  models(first: $first, after: $after, name: $name, tag: $tag, status: $status) {
    edges { cursor node { id version } } pageInfo { hasNextPage endCursor } } }"""
REGISTER = "mutation($name: String!, $tags: [String!], $status: ModelStatus) { registerModel(name: $name, tags: $tags, status: $status) { id } }"


def pages(client: TestClient, query: str, field: str, first: int, **variables: Any) -> list[dict[str, Any]]:
    """Every page of ``field``, following ``endCursor`` until ``hasNextPage`` is false."""
    result, after = [], None
    while True:
        page = data(client, query, {"first": first, "after": after, **variables})[field]
        result.append(page)
        if not page["pageInfo"]["hasNextPage"]:
            return result
        after = page["pageInfo"]["endCursor"]
        assert after == page["edges"][-1]["cursor"]


def test_models_page_by_three(client: TestClient) -> None:
    created = [data(client, REGISTER, {"name": "m"})["registerModel"]["id"] for _ in range(7)]
    result = pages(client, MODELS, "models", 3)
    assert [len(p["edges"]) for p in result] == [3, 3, 1]
    assert [p["pageInfo"]["hasNextPage"] for p in result] == [True, True, False]
    ids = [e["node"]["id"] for p in result for e in p["edges"]]
    assert ids == created[::-1]  # newest first, each once
    versions = [e["node"]["version"] for p in result for e in p["edges"]]
    assert versions == [f"v{i}" for i in range(7, 0, -1)]


def test_any_edge_cursor_resumes_after_it(client: TestClient) -> None:
    created = [data(client, REGISTER, {"name": "m"})["registerModel"]["id"] for _ in range(4)]
    first = data(client, MODELS, {"first": 4})["models"]
    second_cursor = first["edges"][1]["cursor"]
    rest = data(client, MODELS, {"first": 10, "after": second_cursor})["models"]
    assert [e["node"]["id"] for e in rest["edges"]] == created[1::-1]
    assert rest["pageInfo"] == {"hasNextPage": False, "endCursor": created[0]}


def test_listing_filters(client: TestClient) -> None:
    data(client, REGISTER, {"name": "a", "tags": ["prod"]})
    b = data(client, REGISTER, {"name": "b", "status": "TRAINING"})["registerModel"]["id"]
    c = data(client, REGISTER, {"name": "b", "tags": ["prod"]})["registerModel"]["id"]

    def ids(**where: Any) -> list[str]:
        return [e["node"]["id"] for e in data(client, MODELS, {"first": 50, **where})["models"]["edges"]]

    assert ids(name="b") == [c, b]
    assert len(ids(tag="prod")) == 2 and c in ids(tag="prod")
    assert ids(status="TRAINING") == [b]
    assert ids(name="zzz") == []


def test_empty_listing(client: TestClient) -> None:
    assert data(client, MODELS, {}) == {"models": {"edges": [], "pageInfo": {"hasNextPage": False, "endCursor": None}}}
    for field in ("datasets", "runs", "evaluations"):
        query = "{ %s { edges { cursor } pageInfo { hasNextPage } } }" % field
        assert data(client, query) == {field: {"edges": [], "pageInfo": {"hasNextPage": False}}}


FILES = """query($id: ID!, $first: Int, $after: String) { node(id: $id) { ... on Dataset {
  files(first: $first, after: $after) { edges { cursor node { path digest size } } pageInfo { hasNextPage endCursor } } } } }"""


def test_dataset_files_page_by_path(client: TestClient) -> None:
    paths = ["e.bin", "a.bin", "d/x.bin", "c.bin", "b.bin"]
    files = [{"path": p, "digest": hashlib.sha256(p.encode()).hexdigest(), "size": i} for i, p in enumerate(paths)]
    query = "mutation($files: [FileInput!]!) { registerDataset(name: \"d\", files: $files) { id fileCount } }"
    dataset = data(client, query, {"files": files})["registerDataset"]
    assert dataset["fileCount"] == 5

    result, after = [], None
    while True:
        page = data(client, FILES, {"id": dataset["id"], "first": 2, "after": after})["node"]["files"]
        result.append([e["node"]["path"] for e in page["edges"]])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert result == [["a.bin", "b.bin"], ["c.bin", "d/x.bin"], ["e.bin"]]
    whole = data(client, FILES, {"id": dataset["id"]})["node"]["files"]["edges"]
    assert [e["cursor"] for e in whole] == sorted(paths)
    assert {e["node"]["path"]: e["node"]["size"] for e in whole} == {f["path"]: f["size"] for f in files}
