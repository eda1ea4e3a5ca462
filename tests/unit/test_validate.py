"""Input checks shared by every entry point: exact messages for each refusal."""

from __future__ import annotations

import pytest

from provgraph import validate
from provgraph.errors import BadInput

A, B = "a" * 64, "b" * 64


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([("x", A, 1, None), ("x", B, 1, None)], "duplicate file path 'x'"),
        ([("x", A, 1, None), ("y", A, 2, None)], "file 'y' claims size 2 but 'x' has the same digest with size 1"),
        ([("x", A, -1, None)], "size of 'x' -1 is negative"),
        ([("/abs", A, 1, None)], "invalid file path '/abs': paths are relative, without '..'"),
        ([("a/../b", A, 1, None)], "invalid file path 'a/../b': paths are relative, without '..'"),
        ([("x", "ABC", 1, None)], "malformed digest 'ABC': expected 64 lowercase hex characters (SHA-256)"),
        ([("x", A, 1, None), ("y", B, 1, None)], "too many files: more than 1"),
    ],
)
def test_bad_files_are_refused(entries: list[tuple[str, str, int, str | None]], message: str) -> None:
    with pytest.raises(BadInput) as err:
        validate.files(entries, max_files=1)
    assert err.value.message == message


def test_same_digest_same_size_twice_is_fine() -> None:
    refs = validate.files([("x", A, 3, None), ("y", A, 3, "copy")], max_files=10)
    assert [(r.path, r.role) for r in refs] == [("x", None), ("y", "copy")]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([1, 2], "metadata must be a JSON object, got list"),
        ("text", "metadata must be a JSON object, got str"),
        ({"x": float("nan")}, "metadata is not valid JSON: Out of range float values are not JSON compliant"),
        ({"x": "y" * 100}, "metadata is 108 bytes of JSON; the limit is 64"),
    ],
)
def test_bad_json_objects(value: object, message: str) -> None:
    with pytest.raises(BadInput) as err:
        validate.json_object(value, "metadata", 64)
    assert err.value.message == message


def test_depth_range() -> None:
    assert validate.depth(None) is None and validate.depth(1) == 1
    for bad in (0, -3, validate.MAX_DEPTH + 1):
        with pytest.raises(BadInput) as err:
            validate.depth(bad)
        assert err.value.message == f"maxDepth {bad} is out of range: use 1..{validate.MAX_DEPTH}, or omit it"
