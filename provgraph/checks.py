"""Values of integrity checking shared by the stores, the workers and the schema: shards
of the digest space, the result of checking one blob, and how bad each status is."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from provgraph.digest import Digest
from provgraph.errors import BadInput
from provgraph.model import BlobStatus

SHARD_SPACE = 1 << 32  # shards split the first 8 hex digits of the digest space
MAX_SHARDS = 1 << 16
BAD = frozenset({BlobStatus.CORRUPT, BlobStatus.MISSING})
# Worst first: an artifact's status is the worst of its files'.
SEVERITY = (BlobStatus.CORRUPT, BlobStatus.MISSING, BlobStatus.PENDING, BlobStatus.VERIFIED)
_SHARD = re.compile(r"(\d+)/(\d+)")


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` of ``count``: one contiguous range of the digest space.

    The ranges of ``0/N`` … ``N-1/N`` cover every digest exactly once, so N workers split
    the work with no overlap and no queue. SHA-256 is uniform, so the shards are even.
    """

    index: int = 0
    count: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.count <= MAX_SHARDS or not 0 <= self.index < self.count:
            raise BadInput(f"invalid shard {self.index}/{self.count}: expected I/N with 0 <= I < N <= {MAX_SHARDS}")

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``"I/N"`` (e.g. ``"0/4"``); ``BadInput`` naming the value otherwise."""
        match = _SHARD.fullmatch(text.strip())
        if match is None:
            raise BadInput(f"invalid shard {text!r}: expected I/N, e.g. 0/4")
        return cls(int(match[1]), int(match[2]))

    @property
    def low(self) -> str:
        """The smallest digest prefix in the shard (8 hex digits)."""
        return f"{self.index * SHARD_SPACE // self.count:08x}"

    @property
    def high(self) -> str:
        """Every digest of the shard sorts below this string ("g" above all hex)."""
        if self.index == self.count - 1:
            return "g"
        return f"{(self.index + 1) * SHARD_SPACE // self.count:08x}"

    def contains(self, hex_digest: str) -> bool:
        return self.low <= hex_digest < self.high

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


@dataclass(frozen=True)
class CheckResult:
    """The outcome of checking one blob's stored bytes against the registry.

    ``at`` is when the check started: a store records a result only if no newer check
    was recorded meanwhile. ``size`` is what was found at the key (None: absent),
    ``actual`` what the bytes hash to (full checks only).
    """

    digest: Digest
    status: BlobStatus
    previous: BlobStatus
    expected_size: int
    size: int | None
    actual: Digest | None
    at: datetime
    quick: bool = False
    detail: str = ""

    @property
    def matched(self) -> bool:
        """The bytes were hashed and are exactly what the registry names."""
        return self.actual == self.digest and self.size == self.expected_size

    @property
    def bad(self) -> bool:
        return self.status in BAD

    @property
    def changed(self) -> bool:
        return self.status is not self.previous

    def history_entry(self) -> dict[str, object]:
        """The entry a store appends to the Blob's bounded check history."""
        return {"status": self.status.value, "at": self.at.isoformat(timespec="microseconds"),
                "size": self.size, "detail": self.detail, "quick": self.quick}


def worst(statuses: Iterable[BlobStatus]) -> BlobStatus | None:
    """The most severe of ``statuses`` (CORRUPT > MISSING > PENDING > VERIFIED), or None."""
    present = set(statuses)
    return next((s for s in SEVERITY if s in present), None)
