"""Uploads: hash once, dedup, cache, progress, files changing, broken transfers."""

from __future__ import annotations

import hashlib
import io
import socket
from pathlib import Path

import httpx
import pytest

from provgraph.errors import Unavailable
from provgraph.sdk import Client
from provgraph.sdk.errors import FileChanged, UnreadableFile
from provgraph.sdk.progress import terminal_bar
from provgraph.sdk.upload import Uploader

from .service import Service


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_upload_returns_the_sha256_and_stores_the_bytes(client: Client, service: Service, tmp_path: Path) -> None:
    data = b"checkpoint " * 100_000
    digest = client.upload(write(tmp_path / "ckpt.bin", data))
    assert digest == hashlib.sha256(data).hexdigest()
    assert httpx.get(f"{service.url}/blobs/sha256/{digest}").content == data


def test_unchanged_file_is_neither_read_nor_sent_again(client: Client, tmp_path: Path) -> None:
    path = write(tmp_path / "ckpt.bin", b"weights" * 50_000)
    first = client.upload_file(path)
    assert (first.hashed, first.sent, first.existed) == (350_000, 350_000, False)
    again = client.upload_file(path)
    assert (again.digest, again.hashed, again.sent, again.existed) == (first.digest, 0, 0, True)
    copy = client.upload_file(write(tmp_path / "copy.bin", path.read_bytes()))  # same bytes elsewhere
    assert (copy.hashed, copy.sent, copy.existed) == (350_000, 0, True)
    path.write_bytes(b"weights" * 50_001)  # changed: read again, sent again
    changed = client.upload_file(path)
    assert (changed.hashed, changed.sent) == (350_007, 350_007)


def test_a_file_that_changes_while_read_is_refused(service: Service, tmp_path: Path) -> None:
    path = write(tmp_path / "growing.bin", b"x" * (9 * 1024 * 1024))

    class Appending:
        def update(self, n: int) -> None:
            if path.stat().st_size == 9 * 1024 * 1024:
                with path.open("ab") as handle:
                    handle.write(b"more")

        def close(self) -> None:
            pass

    with Client(service.url, progress=lambda total, label: Appending()) as client:
        with pytest.raises(FileChanged, match=r"growing.bin changed while it was being uploaded \(size 9437184 → "):
            client.upload(path)


def test_unreadable_paths_say_why(client: Client, tmp_path: Path) -> None:
    (tmp_path / "dangling").symlink_to(tmp_path / "gone.bin")
    with pytest.raises(UnreadableFile, match="cannot read .*dangling: No such file or directory"):
        client.upload(tmp_path / "dangling")
    with pytest.raises(UnreadableFile, match="not a regular file"):
        client.upload(tmp_path)


def test_progress_bar_only_on_a_terminal(client: Client, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    client.upload(write(tmp_path / "quiet.bin", b"q" * 2_000_000))
    assert capsys.readouterr().err == ""
    fake = io.StringIO()
    fake.isatty = lambda: True  # type: ignore[method-assign]
    monkeypatch.setattr("sys.stderr", fake)
    bar = terminal_bar(2_000_000, "loud.bin")
    bar.update(2_000_000)
    bar.close()
    assert fake.getvalue().startswith("\rloud.bin:   0%|") and "/1.91M" in fake.getvalue()


def test_the_service_keeps_nothing_of_an_interrupted_put(service: Service) -> None:
    data = b"z" * 4_000_000
    digest = hashlib.sha256(data).hexdigest()
    host, port = service.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as sock:
        sock.sendall(f"PUT /blobs/sha256/{digest} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(data)}\r\n\r\n".encode())
        sock.sendall(data[:1_000_000])
    assert httpx.head(f"{service.url}/blobs/sha256/{digest}").status_code == 404
    assert httpx.put(f"{service.url}/blobs/sha256/{digest}", content=data).status_code == 201


def test_a_put_that_breaks_is_retried_from_the_start(service: Service, tmp_path: Path) -> None:
    data = b"r" * 3_000_000
    path = write(tmp_path / "flaky.bin", data)
    with Client(service.url, retries=3) as client:
        uploader: Uploader = client.uploader
        calls = {"n": 0}
        original = client.transport.http.request

        def flaky(method: str, url: str, **kwargs: object) -> httpx.Response:
            if method == "PUT" and calls["n"] < 2:
                calls["n"] += 1
                raise httpx.WriteError("connection reset by peer")
            return original(method, url, **kwargs)  # type: ignore[arg-type]

        client.transport.http.request = flaky  # type: ignore[method-assign]
        client.transport.sleep = lambda s: None
        result = uploader.upload(path)
    assert (calls["n"], result.sent) == (2, 3_000_000)
    assert httpx.get(f"{service.url}/blobs/sha256/{result.digest}").content == data


def test_an_unreachable_service_is_one_clear_message(tmp_path: Path) -> None:
    with Client("http://127.0.0.1:9", retries=1) as client:
        client.transport.sleep = lambda s: None
        with pytest.raises(Unavailable) as failure:
            client.upload(write(tmp_path / "a.bin", b"a"))
    assert failure.value.message.startswith(
        f"upload of {tmp_path / 'a.bin'}: cannot reach the provgraph service at http://127.0.0.1:9 (")
    assert "after 2 attempts; start it with `provgraph serve`, set PROVGRAPH_URL, or set PROVGRAPH_OFFLINE=1" \
        in failure.value.message
