"""A 300 MB blob through the real app: streamed in, read back identical, and a wrong
digest for the same bytes leaves nothing behind."""

from __future__ import annotations

import hashlib
from typing import Iterator

import pytest

from .support import TestClient, services

SIZE = 300 * 1000 * 1000
CHUNK = 1024 * 1024


def pattern(size: int) -> Iterator[bytes]:
    """Deterministic, non-repeating-per-chunk bytes, without holding them all."""
    block = hashlib.sha256(b"seed").digest() * (CHUNK // 32)
    for offset in range(0, size, CHUNK):
        yield (offset.to_bytes(8, "big") + block)[: min(CHUNK, size - offset)]


def digest_of(chunks: Iterator[bytes]) -> tuple[str, int]:
    hasher, size = hashlib.sha256(), 0
    for chunk in chunks:
        hasher.update(chunk)
        size += len(chunk)
    return hasher.hexdigest(), size


@pytest.mark.timeout(300)
def test_300_mb_round_trip_and_wrong_digest(client: TestClient) -> None:
    digest, _ = digest_of(pattern(SIZE))
    answer = client.put(f"/blobs/sha256/{digest}", content=pattern(SIZE))
    assert answer.status_code == 201, answer.text
    with client.stream("GET", f"/blobs/sha256/{digest}") as response:
        assert response.status_code == 200
        assert digest_of(response.iter_bytes()) == (digest, SIZE)

    wrong = hashlib.sha256(b"not these bytes").hexdigest()
    refused = client.put(f"/blobs/sha256/{wrong}", content=pattern(SIZE))
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "BAD_INPUT"
    assert client.head(f"/blobs/sha256/{wrong}").status_code == 404
    store = services(client).content.store

    async def keys() -> list[str]:
        return [info.key async for info in store.list()]

    assert client.portal.call(keys) == [f"sha256/{digest[:2]}/{digest[2:4]}/{digest}"]  # type: ignore[union-attr]
    nodes = client.portal.call(services(client).graph.get_nodes, [f"sha256:{wrong}"])  # type: ignore[union-attr]
    assert nodes == {}
