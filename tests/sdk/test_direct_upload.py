"""Direct uploads to the real S3 server: parts go straight to storage in parallel, and a
broken upload resumes without sending again the parts storage already holds."""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from provgraph.errors import Unavailable
from provgraph.sdk import Client
from provgraph.sdk.direct import DirectSink, Journal

from ..backends import server_url
from .service import Service, running

MiB = 1024 * 1024
PART = 5 * MiB
SIZE = 3 * PART + 1000  # four parts
REAL_PUT = DirectSink._put_part


@pytest.fixture(scope="module")
def s3_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    url = f"{server_url('blob').rstrip('/')}/{uuid.uuid4().hex}?create_bucket=true&part_size_mb=5"
    with running(tmp_path_factory.mktemp("s3-service"), blob_url=url) as found:
        yield found


@pytest.fixture
def big(tmp_path: Path) -> tuple[Path, bytes]:
    data = os.urandom(SIZE)
    path = tmp_path / "ckpt.bin"
    path.write_bytes(data)
    return path, data


def _status(service: Service, digest: str) -> object:
    node = service.gql(f'{{ blob(digest: "{digest}") {{ status size }} }}')["blob"]
    return node


class Counting:
    """Counts the parts sent to storage; fails the ``fail_at``-th (a broken connection)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, fail_at: int | None = None) -> None:
        self.sent: list[int] = []
        self.fail_at = fail_at

        def put(sink: DirectSink, url: str, data: bytes, path: Path, number: int) -> str:
            if self.fail_at is not None and len(self.sent) + 1 == self.fail_at:
                raise Unavailable(f"upload of {path}: connection to storage broken (test)")
            etag = REAL_PUT(sink, url, data, path, number)
            self.sent.append(number)
            return etag

        monkeypatch.setattr(DirectSink, "_put_part", put)


def test_parts_go_straight_to_storage_and_the_blob_is_pending(
        s3_service: Service, big: tuple[Path, bytes], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path, data = big
    counting = Counting(monkeypatch)
    with Client(s3_service.url, cache_dir=tmp_path / "cache", upload_concurrency=4) as client:
        result = client.upload_file(path)
    digest = hashlib.sha256(data).hexdigest()
    assert (result.digest, result.sent, result.existed) == (digest, SIZE, False)
    assert sorted(counting.sent) == [1, 2, 3, 4]
    assert _status(s3_service, digest) == {"status": "PENDING", "size": SIZE}
    got = httpx.get(f"{s3_service.url}/blobs/sha256/{digest}", follow_redirects=True)
    assert hashlib.sha256(got.content).hexdigest() == digest
    assert not Journal(tmp_path / "cache", digest).path.exists()


def test_a_broken_upload_resumes_without_resending_stored_parts(
        s3_service: Service, big: tuple[Path, bytes], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path, data = big
    digest = hashlib.sha256(data).hexdigest()
    broken = Counting(monkeypatch, fail_at=3)
    with Client(s3_service.url, cache_dir=tmp_path / "cache", upload_concurrency=1, retries=0) as client:
        with pytest.raises(Unavailable, match="connection to storage broken"):
            client.upload_file(path)
    assert broken.sent == [1, 2]
    journal = Journal(tmp_path / "cache", digest).load(client.uploader.digest(path)[1])
    assert journal is not None
    # The server side: storage holds exactly the two parts, and nothing is visible yet.
    plan = httpx.post(f"{s3_service.url}/blobs/sha256/{digest}/uploads/{journal['uploadId']}/resume",
                      json={"size": SIZE}).json()
    assert [(p["partNumber"], p["size"]) for p in plan["uploaded"]] == [(1, PART), (2, PART)]
    assert [p["partNumber"] for p in plan["parts"]] == [3, 4]
    assert httpx.head(f"{s3_service.url}/blobs/sha256/{digest}").status_code == 404

    resumed = Counting(monkeypatch)  # a new client: as after the process was killed
    with Client(s3_service.url, cache_dir=tmp_path / "cache") as client:
        result = client.upload_file(path)
    assert sorted(resumed.sent) == [3, 4] and result.sent == PART + 1000
    got = httpx.get(f"{s3_service.url}/blobs/sha256/{digest}", follow_redirects=True)
    assert got.content == data
    assert not Journal(tmp_path / "cache", digest).path.exists()


def test_a_journal_of_an_upload_that_is_gone_starts_again(
        s3_service: Service, big: tuple[Path, bytes], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path, data = big
    digest = hashlib.sha256(data).hexdigest()
    Counting(monkeypatch, fail_at=2)
    with Client(s3_service.url, cache_dir=tmp_path / "cache", upload_concurrency=1, retries=0) as client:
        with pytest.raises(Unavailable):
            client.upload_file(path)
        ident = client.uploader.digest(path)[1]
    record = Journal(tmp_path / "cache", digest).load(ident)
    assert record is not None
    gone = httpx.delete(f"{s3_service.url}/blobs/sha256/{digest}/uploads/{record['uploadId']}")
    assert gone.status_code == 204  # aborted (by gc, by a lifecycle rule, by hand)
    again = Counting(monkeypatch)
    with Client(s3_service.url, cache_dir=tmp_path / "cache") as client:
        result = client.upload_file(path)
    assert sorted(again.sent) == [1, 2, 3, 4] and result.sent == SIZE


def test_a_store_without_direct_uploads_falls_back_to_put(
        service: Service, big: tuple[Path, bytes], tmp_path: Path) -> None:
    path, data = big
    with Client(service.url, cache_dir=tmp_path / "cache") as client:
        client.uploader.digest(path)  # hashed already: no one-read stream, the direct path is tried
        result = client.upload_file(path)
        assert client.uploader.direct is None
    assert result.sent == SIZE
    assert httpx.get(f"{service.url}/blobs/sha256/{result.digest}").content == data


def test_on_s3_the_one_read_stream_is_not_offered(s3_service: Service, tmp_path: Path) -> None:
    assert httpx.head(f"{s3_service.url}/blobs/sha256").status_code == 501
    with Client(s3_service.url, cache_dir=tmp_path / "cache") as client:
        assert client.uploader.stream.offered() is False
