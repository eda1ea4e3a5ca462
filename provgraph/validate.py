"""Checks on user input, shared by every entry point and every backend."""

from __future__ import annotations

import json
import math
import re
from typing import Any, Iterable, Mapping, Sequence

from provgraph.digest import Digest
from provgraph.errors import BadInput
from provgraph.model import FileRef

MAX_DEPTH = 1_000_000
MAX_PAGE = 1000
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]{0,199}")
_VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+\-]{0,63}")
_TAG = re.compile(r"[^\x00-\x1f,]{1,100}")


def name(value: str, what: str = "name") -> str:
    if not _NAME.fullmatch(value):
        raise BadInput(
            f"invalid {what} {value!r}: use 1-200 letters, digits, '_', '.', '-' "
            "(no ':', '@' or '/', which refs use), starting with a letter, digit or '_'"
        )
    return value


def version(value: str | None) -> str | None:
    if value is None:
        return None
    if value == "latest" or not _VERSION.fullmatch(value):
        raise BadInput(
            f"invalid version {value!r}: use 1-64 letters, digits, '.', '_', '+', '-' "
            "(e.g. v3 or 1.2.0); 'latest' is reserved"
        )
    return value


def tags(values: Sequence[str] | None) -> tuple[str, ...]:
    if not values:
        return ()
    if len(values) > 100:
        raise BadInput(f"too many tags: {len(values)} (at most 100)")
    for tag in values:
        if not _TAG.fullmatch(tag):
            raise BadInput(f"invalid tag {tag!r}: 1-100 characters, no commas or control characters")
    return tuple(dict.fromkeys(values))


def json_object(value: Any, what: str, max_bytes: int) -> dict[str, Any]:
    """A JSON object of at most ``max_bytes`` once encoded; None becomes ``{}``."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise BadInput(f"{what} must be a JSON object, got {type(value).__name__}")
    try:
        encoded = json.dumps(value, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise BadInput(f"{what} is not valid JSON: {exc}") from None
    if len(encoded) > max_bytes:
        raise BadInput(f"{what} is {len(encoded)} bytes of JSON; the limit is {max_bytes}")
    return dict(value)


def metrics(value: Any, max_bytes: int) -> dict[str, Any]:
    """Metrics: a JSON object whose values are finite numbers (or nested objects of them)."""
    result = json_object(value, "metrics", max_bytes)
    _check_numbers(result, "metrics")
    return result


def _check_numbers(value: Mapping[str, Any], where: str) -> None:
    for key, item in value.items():
        if isinstance(item, Mapping):
            _check_numbers(item, f"{where}.{key}")
        elif isinstance(item, bool) or not isinstance(item, (int, float)) or not math.isfinite(item):
            raise BadInput(f"{where}.{key} must be a finite number, got {item!r}")


def depth(value: int | None) -> int | None:
    if value is not None and not 1 <= value <= MAX_DEPTH:
        raise BadInput(f"maxDepth {value} is out of range: use 1..{MAX_DEPTH}, or omit it")
    return value


def page_size(value: int) -> int:
    if not 1 <= value <= MAX_PAGE:
        raise BadInput(f"first={value} is out of range: use 1..{MAX_PAGE}")
    return value


def size(value: int, what: str = "size") -> int:
    if value < 0:
        raise BadInput(f"{what} {value} is negative")
    return value


def path(value: str) -> str:
    if not value or len(value) > 4096 or "\x00" in value:
        raise BadInput(f"invalid file path {value!r}: 1-4096 characters, no NUL")
    if value.startswith("/") or ".." in value.split("/"):
        raise BadInput(f"invalid file path {value!r}: paths are relative, without '..'")
    return value


def files(entries: Iterable[tuple[str, str, int, str | None]], max_files: int) -> tuple[FileRef, ...]:
    """Validate (path, digest, size, role) entries: unique paths, well-formed digests, one
    size per digest."""
    refs: list[FileRef] = []
    seen: set[str] = set()
    sizes: dict[Digest, FileRef] = {}
    for file_path, digest, file_size, role in entries:
        path(file_path)
        if file_path in seen:
            raise BadInput(f"duplicate file path {file_path!r}")
        seen.add(file_path)
        if role is not None:
            name(role, "file role")
        ref = FileRef(file_path, Digest.parse(digest), size(file_size, f"size of {file_path!r}"), role)
        first = sizes.setdefault(ref.digest, ref)
        if first.size != ref.size:
            raise BadInput(f"file {ref.path!r} claims size {ref.size} but {first.path!r} has the same "
                           f"digest with size {first.size}")
        refs.append(ref)
        if len(refs) > max_files:
            raise BadInput(f"too many files: more than {max_files}")
    return tuple(refs)
