"""Uploading a file not hashed yet in one read: hashing and sending pipelined.

A reader thread reads the file in 1 MiB chunks and hashes each before handing it over;
the calling thread sends them (``POST /blobs/sha256``), so the transfer takes about
max(read + hash, send) instead of their sum, and the file is read once. The service
answers the digest it computed while storing; the upload counts only if that is the
digest computed here (a trailing check) and the file did not change meanwhile. Only
stores that can take bytes before their key offer it (``HEAD /blobs/sha256`` answers
204); elsewhere the uploader hashes first (S3: then sends the parts directly).
"""

from __future__ import annotations

import hashlib
import queue
import threading
from pathlib import Path
from typing import Any, Iterator

from provgraph.errors import BadInput
from provgraph.sdk.hashing import Identity, check_unchanged
from provgraph.sdk.progress import BarFactory
from provgraph.sdk.transport import Transport

CHUNK = 1024 * 1024
DEPTH = 8
_END = b""


class StreamSink:
    """One-read uploads of files whose digest is not known yet; see the module doc."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self.available: bool | None = None

    def offered(self) -> bool:
        if self.available is None:
            answer = self.transport.send("HEAD", "/blobs/sha256", "upload", ok=(204, 404, 405, 501))
            self.available = answer.status_code == 204
        return self.available

    def send(self, path: Path, ident: Identity, bar: BarFactory) -> tuple[str, bool]:
        """Store the file; ``(digest, created)``."""
        hashers: list[Any] = []

        def body() -> Iterator[bytes]:  # called again for each retry: a fresh read and hash
            hashers.append(hashlib.sha256())
            return _read_hashing(path, ident[0], hashers[-1], bar)

        headers = {"Content-Length": str(ident[0]), "Content-Type": "application/octet-stream"}
        try:
            answer = self.transport.send("POST", "/blobs/sha256", f"upload of {path}", ok=(200, 201),
                                         headers=headers, body=body)
        finally:
            check_unchanged(path, ident, "uploaded")
        local = hashers[-1].hexdigest()
        stored = answer.json()["digest"]
        if stored != local:
            raise BadInput(f"upload of {path}: the service stored bytes hashing to {stored}, but the file hashes "
                           f"to {local}; they were damaged on the way: upload it again")
        return local, answer.status_code == 201


def _read_hashing(path: Path, size: int, hasher: Any, bar: BarFactory) -> Iterator[bytes]:
    chunks: queue.Queue[bytes] = queue.Queue(maxsize=DEPTH)
    stop = threading.Event()
    failure: list[BaseException] = []

    def read() -> None:
        try:
            with path.open("rb", buffering=0) as handle:
                left = size
                while left and not stop.is_set() and (chunk := handle.read(min(CHUNK, left))):
                    hasher.update(chunk)
                    left -= len(chunk)
                    _put(chunks, chunk, stop)
        except BaseException as exc:  # handed to the sending thread
            failure.append(exc)
        finally:
            _put(chunks, _END, stop)

    reader = threading.Thread(target=read, name="provgraph-hash-ahead", daemon=True)
    progress = bar(size, path.name)
    reader.start()
    try:
        while chunk := chunks.get():
            progress.update(len(chunk))
            yield chunk
        if failure:
            raise failure[0]
    finally:
        stop.set()
        progress.close()
        reader.join()


def _put(chunks: queue.Queue[bytes], chunk: bytes, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            chunks.put(chunk, timeout=0.1)
            return
        except queue.Full:
            continue
