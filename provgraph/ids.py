"""Node ids: ULIDs, sortable by creation time."""

from __future__ import annotations

import re
from datetime import datetime, timezone

from ulid import ULID

_ULID = re.compile(r"[0-9A-HJKMNP-TV-Z]{26}")


def new_id() -> str:
    return str(ULID())


def is_ulid(value: str) -> bool:
    return bool(_ULID.fullmatch(value))


def utcnow() -> datetime:
    return datetime.now(timezone.utc)
