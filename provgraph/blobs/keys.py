"""Object keys every blob backend accepts, checked the same way everywhere."""

from __future__ import annotations

from datetime import datetime, timezone

from provgraph.errors import BadInput

TMP = "tmp"
QUARANTINE = "quarantine"


def check(key: str, writing: bool = False) -> list[str]:
    """The segments of a valid relative key; ``BadInput`` naming the key otherwise."""
    segments = key.split("/")
    if not key or key.startswith("/") or "\x00" in key or "\\" in key:
        raise BadInput(f"invalid blob key {key!r}: expected a relative path like 'a/b/c'")
    if any(s in ("", ".", "..") for s in segments):
        raise BadInput(f"invalid blob key {key!r}: empty, '.' and '..' segments are refused")
    if segments[0] == TMP or (writing and segments[0] == QUARANTINE):
        raise BadInput(f"invalid blob key {key!r}: '{segments[0]}/' is reserved")
    return segments


def quarantine_key(key: str) -> str:
    """Where a suspect object is kept as evidence: ``quarantine/<key>.<UTC timestamp>``."""
    return f"{QUARANTINE}/{key}.{datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%S%fZ')}"
