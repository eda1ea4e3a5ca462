"""The ``BlobStore`` contract, run against every backend of the ``blob_store`` fixture."""

from __future__ import annotations

import os

import pytest

from provgraph.blobs import BlobStore
from provgraph.errors import BadInput, NotFound

pytestmark = pytest.mark.anyio

KEY = "sha256/ab/cd/object"
DATA = b"0123456789" * 10


async def put(store: BlobStore, key: str, data: bytes) -> None:
    writer = await store.writer(key)
    await writer.write(data)
    await writer.commit()


async def read_all(store: BlobStore, key: str, start: int = 0, end: int | None = None) -> bytes:
    return b"".join([chunk async for chunk in store.read(key, start, end)])


async def keys(store: BlobStore, prefix: str = "") -> list[str]:
    return [info.key async for info in store.list(prefix)]


async def test_head_of_absent_key_is_none(blob_store: BlobStore) -> None:
    assert await blob_store.head(KEY) is None


async def test_committed_write_is_visible_and_reads_back(blob_store: BlobStore) -> None:
    await put(blob_store, KEY, DATA)
    info = await blob_store.head(KEY)
    assert info is not None
    assert (info.key, info.size) == (KEY, len(DATA))
    assert await read_all(blob_store, KEY) == DATA


async def test_staged_write_is_invisible_until_commit(blob_store: BlobStore) -> None:
    writer = await blob_store.writer(KEY)
    await writer.write(DATA)
    assert await blob_store.head(KEY) is None
    assert await keys(blob_store) == []
    await writer.commit()
    assert await keys(blob_store) == [KEY]


async def test_abort_leaves_nothing(blob_store: BlobStore) -> None:
    writer = await blob_store.writer(KEY)
    await writer.write(DATA)
    await writer.abort()
    await writer.abort()  # safe twice
    assert await blob_store.head(KEY) is None
    assert await keys(blob_store) == []


async def test_first_write_wins(blob_store: BlobStore) -> None:
    first, second = await blob_store.writer(KEY), await blob_store.writer(KEY)
    await first.write(b"first")
    await second.write(b"second write")
    await first.commit()
    await second.commit()
    info = await blob_store.head(KEY)
    assert info is not None and info.size == 5
    assert await read_all(blob_store, KEY) == b"first"
    assert await keys(blob_store) == [KEY]


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (10, 20, DATA[10:20]),
        (0, 1, DATA[:1]),
        (95, None, DATA[95:]),
        (0, len(DATA), DATA),
        (40, 40, b""),
        (90, 1000, DATA[90:]),
    ],
)
async def test_ranged_reads(blob_store: BlobStore, start: int, end: int | None, expected: bytes) -> None:
    await put(blob_store, KEY, DATA)
    assert await read_all(blob_store, KEY, start, end) == expected


async def test_read_of_absent_key_is_not_found(blob_store: BlobStore) -> None:
    with pytest.raises(NotFound):
        await read_all(blob_store, KEY)


async def test_delete_says_whether_something_was_removed(blob_store: BlobStore) -> None:
    await put(blob_store, KEY, DATA)
    assert await blob_store.delete(KEY) is True
    assert await blob_store.head(KEY) is None
    assert await blob_store.delete(KEY) is False


async def test_list_filters_by_prefix_in_key_order(blob_store: BlobStore) -> None:
    for key in ["b/2", "a/z", "b/10", "a-b", "a/a/x", "c"]:
        await put(blob_store, key, key.encode())
    assert await keys(blob_store) == ["a-b", "a/a/x", "a/z", "b/10", "b/2", "c"]
    assert await keys(blob_store, "a/") == ["a/a/x", "a/z"]
    assert await keys(blob_store, "b/1") == ["b/10"]
    assert await keys(blob_store, "zzz") == []
    sizes = {info.key: info.size async for info in blob_store.list("b")}
    assert sizes == {"b/2": 3, "b/10": 4}


async def test_quarantine_moves_the_object_aside(blob_store: BlobStore) -> None:
    await put(blob_store, KEY, DATA)
    new_key = await blob_store.quarantine(KEY)
    assert new_key is not None and new_key != KEY
    assert await blob_store.head(KEY) is None
    assert await keys(blob_store) == []
    kept = await blob_store.head(new_key)
    assert kept is not None and kept.size == len(DATA)
    assert await read_all(blob_store, new_key) == DATA


async def test_quarantine_of_absent_key_is_none(blob_store: BlobStore) -> None:
    assert await blob_store.quarantine(KEY) is None


async def test_multi_chunk_object_round_trips(blob_store: BlobStore) -> None:
    data = os.urandom(5 * 1024 * 1024 + 123)
    writer = await blob_store.writer(KEY)
    for offset in range(0, len(data), 64 * 1024):
        await writer.write(data[offset : offset + 64 * 1024])
    await writer.commit()
    info = await blob_store.head(KEY)
    assert info is not None and info.size == len(data)
    chunks = [chunk async for chunk in blob_store.read(KEY)]
    assert len(chunks) > 1
    assert b"".join(chunks) == data
    assert await read_all(blob_store, KEY, 3_000_000, 4_500_000) == data[3_000_000:4_500_000]


@pytest.mark.parametrize("key", ["", "../escape", "a/../../b", "/etc/passwd", "a//b", "a/./b", "a/"])
async def test_keys_that_are_not_relative_paths_are_refused(blob_store: BlobStore, key: str) -> None:
    with pytest.raises(BadInput, match="invalid blob key"):
        await blob_store.writer(key)
    with pytest.raises(BadInput, match="invalid blob key"):
        await blob_store.head(key)
