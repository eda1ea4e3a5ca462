"""The content layer's batching: chunks of any size regrouped without losing or
reordering a byte, each view valid while the upload thread still works on it."""

from __future__ import annotations

import asyncio
import os
from typing import AsyncIterator

import pytest

from provgraph.blobs import content


async def _chunks(parts: list[bytes]) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


async def _collect(parts: list[bytes]) -> list[bytes]:
    # Copy each view only when the next-but-one arrives: the caller is one batch behind.
    seen: list[memoryview] = []
    kept: list[bytes] = []
    async for view in content._batched(_chunks(parts)):
        seen.append(view)
        if len(seen) >= 2:
            kept.append(bytes(seen[-2]))
    if seen:
        kept.append(bytes(seen[-1]))
    return kept


@pytest.mark.parametrize("sizes", [[], [1], [content.BATCH], [content.BATCH + 1], [7] * 1000,
                                   [content.BATCH * 2 + 3, 5, content.BATCH - 5]])
def test_batches_keep_every_byte_in_order(sizes: list[int]) -> None:
    parts = [os.urandom(size) for size in sizes]
    batches = asyncio.run(_collect(parts))
    assert b"".join(batches) == b"".join(parts)
    assert all(len(b) == content.BATCH for b in batches[:-1])

