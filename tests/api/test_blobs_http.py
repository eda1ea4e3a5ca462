"""``/blobs/sha256/{digest}`` through the real Starlette app."""

from __future__ import annotations

import hashlib
from typing import cast

import pytest

from provgraph.blobs import BlobStore
from provgraph.digest import Digest
from provgraph.model import Node

from .conftest import ClientFactory
from .support import TestClient, services

DATA = bytes(range(256)) * 40  # 10240 bytes
HEX = hashlib.sha256(DATA).hexdigest()
URL = f"/blobs/sha256/{HEX}"

def stored_keys(client: TestClient) -> list[str]:
    async def collect(store: BlobStore) -> list[str]:
        return [info.key async for info in store.list()]

    assert client.portal is not None
    return client.portal.call(collect, services(client).content.store)


def blob_node(client: TestClient, hex_digest: str) -> Node | None:
    assert client.portal is not None
    found = client.portal.call(services(client).graph.get_nodes, [f"sha256:{hex_digest}"])
    return found.get(f"sha256:{hex_digest}")


def bad_input(message: str) -> dict[str, dict[str, str]]:
    return {"error": {"code": "BAD_INPUT", "message": message}}


def test_put_stores_then_answers_already_there(client: TestClient) -> None:
    first = client.put(URL, content=DATA)
    assert (first.status_code, first.json()) == (201, {"digest": HEX, "size": len(DATA), "created": True})
    again = client.put(URL, content=DATA)
    assert (again.status_code, again.json()) == (200, {"digest": HEX, "size": len(DATA), "created": False})
    assert stored_keys(client) == [Digest(HEX).key]


def test_put_records_a_verified_blob_node(client: TestClient) -> None:
    client.put(URL, content=DATA)
    node = blob_node(client, HEX)
    assert node is not None
    assert (node.props["status"], node.props["size"]) == ("VERIFIED", len(DATA))


def test_streamed_upload_reads_back_identical(client: TestClient) -> None:
    big = bytes(range(256)) * 12_000  # about 3 MB, in 64 KiB request chunks
    hex_digest = hashlib.sha256(big).hexdigest()
    chunks = (big[i : i + 65536] for i in range(0, len(big), 65536))
    assert client.put(f"/blobs/sha256/{hex_digest}", content=chunks).status_code == 201
    got = client.get(f"/blobs/sha256/{hex_digest}")
    assert got.status_code == 200
    assert got.content == big
    assert got.headers["content-type"] == "application/octet-stream"
    assert got.headers["etag"] == f'"{hex_digest}"'


def test_head_answers_size(client: TestClient) -> None:
    client.put(URL, content=DATA)
    head = client.head(URL)
    assert head.status_code == 200
    assert head.headers["content-length"] == str(len(DATA))
    assert head.headers["etag"] == f'"{HEX}"'
    assert head.headers["accept-ranges"] == "bytes"
    assert head.content == b""


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=0-99", 0, 100),
        ("bytes=10000-", 10000, 10240),
        ("bytes=10239-10239", 10239, 10240),
        ("bytes=-40", 10200, 10240),
        ("bytes=5000-999999", 5000, 10240),
        ("bytes=-99999", 0, 10240),
    ],
)
def test_get_range(client: TestClient, header: str, start: int, end: int) -> None:
    client.put(URL, content=DATA)
    got = client.get(URL, headers={"Range": header})
    assert got.status_code == 206
    assert got.content == DATA[start:end]
    assert got.headers["content-range"] == f"bytes {start}-{end - 1}/{len(DATA)}"
    assert got.headers["content-length"] == str(end - start)


@pytest.mark.parametrize("header", ["bytes=10240-", "bytes=20000-30000", "bytes=-0"])
def test_unsatisfiable_range_is_416(client: TestClient, header: str) -> None:
    client.put(URL, content=DATA)
    got = client.get(URL, headers={"Range": header})
    assert got.status_code == 416
    assert got.headers["content-range"] == f"bytes */{len(DATA)}"


@pytest.mark.parametrize("header", ["bytes=0-1,5-6", "items=0-5", "bytes=9-3", "bytes=x-"])
def test_range_that_cannot_be_honoured_serves_the_whole_body(client: TestClient, header: str) -> None:
    client.put(URL, content=DATA)
    got = client.get(URL, headers={"Range": header})
    assert (got.status_code, got.content) == (200, DATA)
    assert "content-range" not in got.headers


def test_absent_blob_is_404(client: TestClient) -> None:
    assert client.head(URL).status_code == 404
    got = client.get(URL)
    assert got.status_code == 404
    assert got.json() == {"error": {"code": "NOT_FOUND", "message": f"no blob sha256:{HEX}"}}


def test_malformed_digest_is_400_and_nothing_stored(client: TestClient) -> None:
    got = client.put("/blobs/sha256/abc123", content=DATA)
    assert got.status_code == 400
    assert got.json() == bad_input(
        "malformed digest 'abc123': expected 64 lowercase hex characters (SHA-256)"
    )
    assert stored_keys(client) == []


def test_wrong_bytes_are_400_and_nothing_stored(client: TestClient) -> None:
    other = hashlib.sha256(b"something else").hexdigest()
    got = client.put(f"/blobs/sha256/{other}", content=DATA)
    assert got.status_code == 400
    assert got.json() == bad_input(f"bytes do not hash to {other}: got {HEX}")
    assert client.head(f"/blobs/sha256/{other}").status_code == 404
    assert stored_keys(client) == []
    assert blob_node(client, other) is None


def test_token_is_required_when_configured(make_client: ClientFactory) -> None:
    client = make_client(auth_tokens={"s3cret": None})
    missing = client.put(URL, content=DATA)
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "UNAUTHENTICATED"
    wrong = client.put(URL, content=DATA, headers={"Authorization": "Bearer nope"})
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (401, "UNAUTHENTICATED")
    assert client.get(URL).status_code == 401
    assert stored_keys(client) == []
    right = client.put(URL, content=DATA, headers={"Authorization": "Bearer s3cret"})
    assert right.status_code == 201


class _Wrapper:
    def __init__(self, inner: BlobStore) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)


class _Presigning(_Wrapper):
    """The configured store plus the ``PresignedReads`` capability."""

    def presign_get(self, key: str, expires_s: int) -> str:
        return f"https://s3.example/{key}?expires={expires_s}"


def test_get_redirects_to_a_presigned_url_when_the_store_offers_one(client: TestClient) -> None:
    client.put(URL, content=DATA)
    content = services(client).content
    content.store = cast(BlobStore, _Presigning(content.store))
    got = client.get(URL, follow_redirects=False)
    assert got.status_code == 307
    assert got.headers["location"] == f"https://s3.example/{Digest(HEX).key}?expires=300"
    assert client.get(URL, headers={"Range": "bytes=0-9"}).content == DATA[:10]
    assert client.get(f"{URL}?redirect=0").content == DATA
    assert client.get(f"/blobs/sha256/{'0' * 64}", follow_redirects=False).status_code == 404


class _Broken(_Wrapper):
    async def head(self, key: str) -> None:
        raise RuntimeError("disk on fire at /secret/path")


def test_unexpected_failure_is_500_without_internals(client: TestClient) -> None:
    content = services(client).content
    content.store = cast(BlobStore, _Broken(content.store))
    got = client.get(URL)
    assert got.status_code == 500
    assert got.json() == {"error": {"code": "INTERNAL", "message": "internal error; see the service log"}}
