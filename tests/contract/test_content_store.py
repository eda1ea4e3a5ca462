"""``ContentStore`` over every backend of the ``blob_store`` fixture."""

from __future__ import annotations

import hashlib
import re
from typing import AsyncIterator, cast

import pytest

from provgraph.blobs import BlobStore
from provgraph.blobs.content import ContentStore, PutResult
from provgraph.digest import Digest
from provgraph.errors import BadInput, NotFound

pytestmark = pytest.mark.anyio

DATA = b"provenance " * 1000
DIGEST = Digest(hashlib.sha256(DATA).hexdigest())
OTHER = Digest(hashlib.sha256(b"other bytes").hexdigest())


@pytest.fixture
def content(blob_store: BlobStore) -> ContentStore:
    return ContentStore(blob_store)


async def stream(data: bytes, size: int = 4096) -> AsyncIterator[bytes]:
    for offset in range(0, len(data), size):
        yield data[offset : offset + size]


async def keys(store: BlobStore) -> list[str]:
    return [info.key async for info in store.list()]


async def read_all(content: ContentStore, digest: Digest, start: int = 0, end: int | None = None) -> bytes:
    return b"".join([chunk async for chunk in content.read(digest, start, end)])


async def test_put_stores_once_then_reports_already_there(content: ContentStore) -> None:
    assert await content.put_stream(DIGEST, stream(DATA)) == PutResult(DIGEST, len(DATA), True)
    assert await content.put_stream(DIGEST, stream(DATA)) == PutResult(DIGEST, len(DATA), False)
    assert await content.stat(DIGEST) == len(DATA)
    assert await read_all(content, DIGEST) == DATA
    assert await keys(content.store) == [DIGEST.key]


async def test_wrong_bytes_are_refused_and_nothing_is_kept(content: ContentStore) -> None:
    message = f"bytes do not hash to {OTHER.hex}: got {DIGEST.hex}"
    with pytest.raises(BadInput, match=f"^{re.escape(message)}$"):
        await content.put_stream(OTHER, stream(DATA))
    assert await content.stat(OTHER) is None
    assert await keys(content.store) == []


async def test_wrong_bytes_are_refused_even_when_the_digest_is_stored(content: ContentStore) -> None:
    await content.put_stream(DIGEST, stream(DATA))
    with pytest.raises(BadInput, match=f"^bytes do not hash to {DIGEST.hex}: got "):
        await content.put_stream(DIGEST, stream(DATA + b"!"))
    assert await read_all(content, DIGEST) == DATA


async def test_size_other_than_expected_is_refused(content: ContentStore) -> None:
    message = f"bytes of {DIGEST.hex} are {len(DATA)} bytes long, not 5"
    with pytest.raises(BadInput, match=f"^{re.escape(message)}$"):
        await content.put_stream(DIGEST, stream(DATA), expected_size=5)
    assert await keys(content.store) == []


async def test_failing_stream_keeps_nothing(content: ContentStore) -> None:
    async def broken() -> AsyncIterator[bytes]:
        yield DATA[:100]
        raise ConnectionError("client went away")

    with pytest.raises(ConnectionError):
        await content.put_stream(DIGEST, broken())
    assert await keys(content.store) == []


@pytest.mark.parametrize("value", ["abc", "sha256:" + "A" * 64, "g" * 64, "md5:" + "a" * 64])
def test_malformed_digest_is_refused(value: str) -> None:
    message = f"malformed digest {value!r}: expected 64 lowercase hex characters (SHA-256)"
    with pytest.raises(BadInput, match=f"^{re.escape(message)}$"):
        Digest.parse(value)


async def test_rehash_matches_the_stored_bytes(content: ContentStore) -> None:
    big = bytes(range(256)) * 12_000  # several read chunks
    digest = Digest(hashlib.sha256(big).hexdigest())
    await content.put_stream(digest, stream(big, 65536))
    assert await content.rehash(digest) == (digest, len(big))


async def test_ranged_read(content: ContentStore) -> None:
    await content.put_stream(DIGEST, stream(DATA))
    assert await read_all(content, DIGEST, 11, 33) == DATA[11:33]
    with pytest.raises(BadInput, match=re.escape(f"invalid byte range [5, 4) of sha256:{DIGEST.hex}")):
        await read_all(content, DIGEST, 5, 4)


async def test_read_of_absent_digest_names_it(content: ContentStore) -> None:
    with pytest.raises(NotFound, match=f"^no blob sha256:{OTHER.hex}$"):
        await read_all(content, OTHER)


async def test_delete_and_quarantine(content: ContentStore) -> None:
    await content.put_stream(DIGEST, stream(DATA))
    moved = await content.quarantine(DIGEST)
    assert moved is not None
    assert await content.stat(DIGEST) is None
    assert await content.quarantine(DIGEST) is None
    await content.put_stream(DIGEST, stream(DATA))
    assert await content.delete(DIGEST) is True
    assert await content.delete(DIGEST) is False


class _Presigning:
    def presign_get(self, key: str, expires_s: int) -> str:
        return f"https://s3.example/{key}?expires={expires_s}"


def test_presigned_url_only_when_the_backend_offers_it() -> None:
    offering = ContentStore(cast(BlobStore, _Presigning()))
    assert offering.presign_get(DIGEST, 60) == f"https://s3.example/{DIGEST.key}?expires=60"
    assert ContentStore(cast(BlobStore, object())).presign_get(DIGEST, 60) is None
