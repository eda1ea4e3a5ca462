"""Shards of the digest space, verdicts of a check, the bandwidth throttle."""

from __future__ import annotations

import hashlib
import time
from datetime import datetime, timezone

import pytest

from provgraph.blobs.throttle import Throttle
from provgraph.checks import Shard, worst
from provgraph.digest import Digest
from provgraph.errors import BadInput, ConfigError
from provgraph.model import BlobStatus
from provgraph.verify import verdict

P, V, C, M = BlobStatus.PENDING, BlobStatus.VERIFIED, BlobStatus.CORRUPT, BlobStatus.MISSING
D = Digest(hashlib.sha256(b"x").hexdigest())
OTHER = Digest(hashlib.sha256(b"y").hexdigest())
AT = datetime(2026, 1, 1, tzinfo=timezone.utc)


@pytest.mark.parametrize("count", [1, 2, 3, 7, 16, 1000])
def test_shards_tile_the_digest_space(count: int) -> None:
    shards = [Shard(i, count) for i in range(count)]
    assert shards[0].low == "00000000" and shards[-1].high == "g"
    assert all(a.high == b.low for a, b in zip(shards, shards[1:]))
    digests = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(2000)]
    assert all(sum(s.contains(d) for s in shards) == 1 for d in digests + ["0" * 64, "f" * 64])


def test_shard_parsing() -> None:
    assert Shard.parse(" 3/8 ") == Shard(3, 8) and str(Shard(3, 8)) == "3/8"
    for bad in ("8/8", "1", "a/b", "-1/2", "0/0"):
        with pytest.raises(BadInput, match="invalid shard"):
            Shard.parse(bad)


@pytest.mark.parametrize("previous, size, actual, quick, status, detail", [
    (V, 5, D, False, V, "valid, hash matches registry"),
    (P, 5, D, False, V, "valid, hash matches registry"),
    (V, None, None, False, M, f"no bytes at {D.key}"),
    (P, None, None, False, P, f"no bytes at {D.key} yet"),
    (C, None, None, True, M, f"no bytes at {D.key}"),
    (V, 5, OTHER, False, C, f"bytes hash to {OTHER.hex}, registry says {D.hex} (5 bytes)"),
    (V, 4, D, False, C, "bytes are 4 bytes long, registry says 5"),
    (V, 4, None, True, C, "bytes are 4 bytes long, registry says 5"),
    (V, 5, None, True, V, "size matches registry (quick check: not hashed)"),
    (C, 5, None, True, C, "size matches registry (quick check: not hashed)"),
    (M, 5, None, True, P, "bytes are back with the registered size; not hashed yet"),
])
def test_verdicts(previous: BlobStatus, size: int | None, actual: Digest | None, quick: bool,
                  status: BlobStatus, detail: str) -> None:
    result = verdict(D, 5, previous, size, actual, AT, quick)
    assert (result.status, result.detail) == (status, detail)
    assert result.matched == (status is V and not quick)


def test_worst_status() -> None:
    assert worst([V, P, V]) is P and worst([M, C]) is C and worst([]) is None


def test_throttle_paces_to_the_rate() -> None:
    throttle = Throttle(4 * 1024 * 1024)
    start = time.monotonic()
    for _ in range(8):
        throttle.take_sync(1024 * 1024)
    assert 1.6 <= time.monotonic() - start <= 2.5  # 2 s of bytes, less the 0.25 s burst
    assert not Throttle(0).limited


def test_worker_settings_from_the_environment() -> None:
    from provgraph.config import Settings

    settings = Settings.from_env({"PROVGRAPH_WEBHOOK_URL": "https://hooks.example/T0/secret",
                                  "PROVGRAPH_STUCK_RUN_HOURS": "6", "PROVGRAPH_ORPHAN_GRACE_HOURS": "0.5",
                                  "PROVGRAPH_WORKER_BANDWIDTH": "1048576"})
    assert (settings.stuck_run_hours, settings.orphan_grace_hours, settings.worker_bandwidth) == (6.0, 0.5, 1 << 20)
    assert settings.webhook_url == "https://hooks.example/T0/secret" and "secret" not in repr(settings.webhook_url)
    assert Settings.from_env({}).webhook_url is None
    with pytest.raises(ConfigError, match=r"^PROVGRAPH_STUCK_RUN_HOURS='soon' is not a number$"):
        Settings.from_env({"PROVGRAPH_STUCK_RUN_HOURS": "soon"})
