"""One-read uploads: a large file not hashed yet is hashed while it is sent, and the
service's digest must match the one computed here."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import httpx
import pytest

from provgraph.errors import BadInput
from provgraph.sdk import Client
from provgraph.sdk import stream as streaming
from provgraph.sdk.hashing import identity
from provgraph.sdk.upload import STREAM_MIN_BYTES

from .service import Service

SIZE = STREAM_MIN_BYTES + 12345


def test_a_large_new_file_is_read_once_and_stored_verified(service: Service, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    data = os.urandom(SIZE)
    path = tmp_path / "ckpt.bin"
    path.write_bytes(data)
    reads: list[int] = []
    real = streaming._read_hashing

    def counted(*args: object) -> object:
        reads.append(1)
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(streaming, "_read_hashing", counted)
    with Client(service.url, cache_dir=tmp_path / "cache") as client:
        result = client.upload_file(path)
        digest = hashlib.sha256(data).hexdigest()
        assert (result.digest, result.sent, result.hashed, result.existed) == (digest, SIZE, SIZE, False)
        assert reads == [1]  # one pass over the file: no separate hashing pass
        assert client.cache.get(path, client.uploader.digest(path)[1]) == digest
        again = client.upload_file(path)
        assert (again.sent, again.hashed, again.existed) == (0, 0, True)
    assert service.gql(f'{{ blob(digest: "{digest}") {{ status }} }}')["blob"] == {"status": "VERIFIED"}
    assert httpx.get(f"{service.url}/blobs/sha256/{digest}").content == data


def test_a_digest_the_service_disagrees_with_is_refused(service: Service, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "ckpt.bin"
    path.write_bytes(os.urandom(SIZE))
    real = streaming._read_hashing

    def damaged(path_: Path, size: int, hasher: object, bar: object) -> object:
        # The bytes sent differ from the bytes hashed here (damage on the way).
        for i, chunk in enumerate(real(path_, size, hasher, bar)):  # type: ignore[arg-type]
            yield chunk if i else bytes([chunk[0] ^ 0xFF]) + chunk[1:]

    monkeypatch.setattr(streaming, "_read_hashing", damaged)
    with Client(service.url, cache_dir=tmp_path / "cache", retries=0) as client:
        with pytest.raises(BadInput, match="damaged on the way"):
            client.upload_file(path)
        assert client.cache.get(path, identity(path)) is None  # a refused upload caches no digest


def test_the_post_endpoint_answers_the_digest_of_what_it_stored(service: Service) -> None:
    assert httpx.head(f"{service.url}/blobs/sha256").status_code == 204
    data = os.urandom(100)
    answer = httpx.post(f"{service.url}/blobs/sha256", content=data)
    assert answer.status_code == 201 and answer.json() == {
        "digest": hashlib.sha256(data).hexdigest(), "size": 100, "created": True}
    assert httpx.post(f"{service.url}/blobs/sha256", content=data).json()["created"] is False
