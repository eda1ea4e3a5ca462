"""Direct uploads: a file's parts go straight to storage through presigned URLs (S3).

The service answers the part URLs (``POST /blobs/sha256/{digest}/uploads``); parts are
read with ``pread`` and sent ``concurrency`` at a time, so memory stays at about
``concurrency × part size``. A small journal (``<cache>/uploads/<digest>.json``: the upload
id and the file's identity) outlives a broken connection or a killed process: the next
upload of the same unchanged file asks the service which parts storage already holds
(``…/resume``) and sends only the others. When the upload is complete the service records
the blob PENDING and the integrity worker hashes it (PENDING blobs come first in its pass).
A service whose store has no presigned multipart answers 501: ``PutSink`` is used then.
"""

from __future__ import annotations

import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from provgraph.errors import BadInput, NotFound, ProvgraphError, Unavailable
from provgraph.sdk.hashing import Identity, check_unchanged
from provgraph.sdk.progress import Bar, BarFactory
from provgraph.sdk.transport import Transport

CONCURRENCY = 8


class NoDirectUploads(ProvgraphError):
    """The service's blob store takes bytes through the service only."""


class Journal:
    """The resume record of one digest's upload: ``{"uploadId", "identity", "partSize"}``."""

    def __init__(self, folder: Path, digest: str) -> None:
        self.path = folder / "uploads" / f"{digest}.json"

    def load(self, ident: Identity) -> dict[str, Any] | None:
        try:
            record: dict[str, Any] = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return None
        return record if record.get("identity") == list(ident) else None

    def save(self, upload_id: str, ident: Identity, part_size: int) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temp = self.path.with_suffix(".tmp")
        temp.write_text(json.dumps({"uploadId": upload_id, "identity": list(ident), "partSize": part_size}))
        os.replace(temp, self.path)

    def drop(self) -> None:
        self.path.unlink(missing_ok=True)


class DirectSink:
    """A ``BlobSink`` sending parts straight to storage, resumable; see the module doc."""

    def __init__(self, transport: Transport, cache_dir: Path, concurrency: int = CONCURRENCY) -> None:
        self.transport = transport
        self.cache_dir = cache_dir
        self.concurrency = concurrency
        self.storage = httpx.Client(timeout=transport.settings.timeout_s)  # no service credentials to S3

    def close(self) -> None:
        self.storage.close()

    def send(self, path: Path, digest: str, ident: Identity, bar: BarFactory) -> int:
        journal = Journal(self.cache_dir, digest)
        plan = self._plan(digest, ident, journal)
        if plan is None:
            return 0  # the service has the bytes
        progress = bar(ident[0], path.name)
        try:
            progress.update(sum(p["size"] for p in plan.get("uploaded", [])))
            etags = {p["partNumber"]: p["etag"] for p in plan.get("uploaded", [])}
            sent = self._send_parts(path, plan, etags, progress)
        finally:
            progress.close()
        check_unchanged(path, ident, "uploaded")
        self._complete(digest, plan["uploadId"], etags, path)
        journal.drop()
        return sent

    def _plan(self, digest: str, ident: Identity, journal: Journal) -> dict[str, Any] | None:
        record = journal.load(ident)
        if record is not None:
            try:
                plan = self._post(f"/blobs/sha256/{digest}/uploads/{record['uploadId']}/resume", ident[0])
                if plan["partSize"] == record["partSize"]:
                    return plan
            except NotFound:
                pass  # completed, aborted, or swept since: start again
            journal.drop()
        plan = self._post(f"/blobs/sha256/{digest}/uploads", ident[0], ok=(200, 201))
        if plan.get("exists"):
            return None
        journal.save(plan["uploadId"], ident, plan["partSize"])
        return plan

    def _post(self, url: str, size: int, ok: tuple[int, ...] = (200,)) -> dict[str, Any]:
        response = self.transport.send("POST", url, "direct upload", ok=(*ok, 501), json={"size": size})
        if response.status_code == 501:
            raise NoDirectUploads("the service's blob store takes no direct uploads")
        answer: dict[str, Any] = response.json()
        return answer

    def _send_parts(self, path: Path, plan: dict[str, Any], etags: dict[int, str], progress: Bar) -> int:
        part_size: int = plan["partSize"]
        lock = threading.Lock()
        sent = 0

        def one(part: dict[str, Any]) -> None:
            nonlocal sent
            number = int(part["partNumber"])
            data = os.pread(fd, part_size, (number - 1) * part_size)
            etag = self._put_part(part["url"], data, path, number)
            with lock:
                etags[number] = etag
                sent += len(data)
            progress.update(len(data))

        fd = os.open(path, os.O_RDONLY)
        try:
            with ThreadPoolExecutor(self.concurrency, thread_name_prefix="provgraph-part") as pool:
                for future in [pool.submit(one, part) for part in plan["parts"]]:
                    future.result()
        finally:
            os.close(fd)
        return sent

    def _put_part(self, url: str, data: bytes, path: Path, number: int) -> str:
        attempts = self.transport.settings.retries + 1
        for attempt in range(attempts):
            try:
                response = self.storage.put(url, content=data)
            except httpx.TransportError as exc:
                if attempt == attempts - 1:
                    raise Unavailable(f"upload of {path}: part {number} could not reach storage ({exc}); run the "
                                      "same upload again: parts already stored are not sent again") from None
                continue
            if response.status_code == 200:
                return str(response.headers["etag"])
            if response.status_code < 500 or attempt == attempts - 1:
                raise Unavailable(f"upload of {path}: storage refused part {number} (HTTP {response.status_code}): "
                                  f"{response.text[:200]}")
        raise AssertionError("unreachable")

    def _complete(self, digest: str, upload_id: str, etags: dict[int, str], path: Path) -> None:
        if sorted(etags) != list(range(1, len(etags) + 1)):
            raise BadInput(f"upload of {path}: parts {sorted(etags)} do not make a whole file")
        parts = [{"partNumber": n, "etag": etags[n]} for n in sorted(etags)]
        self.transport.send("POST", f"/blobs/sha256/{digest}/uploads/{upload_id}/complete", f"upload of {path}",
                            json={"parts": parts})
