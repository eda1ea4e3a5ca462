"""``S3BlobStore``: blobs as objects in an S3 bucket (AWS, MinIO, S3Proxy, …).

``PROVGRAPH_BLOB_URL=s3://bucket/prefix``; endpoint, region and credentials come from the
standard ``AWS_*`` variables through boto3. Non-AWS endpoints get path-style addressing.
Uploads carry SHA-256 checksums so the server refuses mangled bytes; objects larger than
one part go up as multipart uploads with parts sent in parallel, memory bounded by
``part_size × (concurrency + 1)``. Reads prefetch ranged parts in parallel, in order.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from functools import partial
from typing import Any, AsyncIterator, Callable, Sequence, TypeVar
from urllib.parse import parse_qs, urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from provgraph.blobs import keys
from provgraph.blobs.hashing import pipelined_sha256
from provgraph.blobs.protocol import BlobStore, ObjectInfo
from provgraph.errors import BadInput, ConfigError, NotFound, ProvgraphError, Unavailable

T = TypeVar("T")
Keys = list[str]  # the class's ``list`` method shadows the builtin in its annotations
Uploads = list[tuple[str, str, datetime]]
MiB = 1024 * 1024
PART_SIZE = 8 * MiB
# Reads prefetch smaller ranges: each in-flight body lands in a pool thread's malloc arena,
# so big ones inflate the service's resident memory long after they are consumed.
READ_PART_SIZE = 2 * MiB
CONCURRENCY = 8
HASH_CHUNK = 4 * MiB
# "403" is what a HEAD (no body) carries for the same refusals.
_AUTH_CODES = {"InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "InvalidToken", "ExpiredToken", "403"}
_MISSING_CODES = {"NoSuchKey", "404", "NotFound", "NoSuchUpload"}


def translate(exc: Exception, what: str) -> ProvgraphError:
    """The provgraph error for a boto3 failure while doing ``what``."""
    if isinstance(exc, ClientError):
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in _MISSING_CODES:
            return NotFound(f"{what}: no such object")
        if code in _AUTH_CODES:
            return Unavailable(f"{what}: S3 refused the credentials ({code}); check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
        if code == "NoSuchBucket":
            return Unavailable(f"{what}: the bucket does not exist; create it or add ?create_bucket=true to PROVGRAPH_BLOB_URL")
        if code in ("BadDigest", "InvalidDigest", "XAmzContentSHA256Mismatch"):
            return BadInput(f"{what}: S3 refused the bytes: they do not match their checksum ({code})")
        return Unavailable(f"{what}: S3 answered {code or 'an error'}: {exc}")
    return Unavailable(f"{what}: S3 cannot be reached: {exc}")


class S3BlobStore:
    """A ``BlobStore`` over one bucket and key prefix."""

    def __init__(self, bucket: str, prefix: str = "", create_bucket: bool = False,
                 part_size: int = PART_SIZE, concurrency: int = CONCURRENCY) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.create_bucket = create_bucket
        self.part_size = part_size
        self.concurrency = concurrency
        self._client: Any = None
        self._pool = ThreadPoolExecutor(max_workers=2 * concurrency + 2, thread_name_prefix="s3")

    @classmethod
    def from_url(cls, url: str) -> S3BlobStore:
        """``s3://bucket/prefix[?create_bucket=true&part_size_mb=16&concurrency=4]``."""
        parts = urlsplit(url)
        if not parts.netloc:
            raise ConfigError(f"PROVGRAPH_BLOB_URL={url!r} names no bucket: expected s3://bucket/prefix")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        try:
            part_mb = int(query.get("part_size_mb", PART_SIZE // MiB))
            concurrency = int(query.get("concurrency", CONCURRENCY))
        except ValueError:
            raise ConfigError(f"PROVGRAPH_BLOB_URL={url!r}: part_size_mb and concurrency are integers") from None
        if not 5 <= part_mb <= 5120 or not 1 <= concurrency <= 64:
            raise ConfigError(f"PROVGRAPH_BLOB_URL={url!r}: part_size_mb is 5..5120, concurrency 1..64")
        create = query.get("create_bucket", "false").lower() in ("1", "true", "yes")
        return cls(parts.netloc, parts.path, create, part_mb * MiB, concurrency)

    # -- plumbing -------------------------------------------------------------------

    async def _call(self, what: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        future = self._pool.submit(fn, *args, **kwargs)
        try:
            return await asyncio.wrap_future(future)
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc, what) from exc

    def _key(self, key: str, writing: bool = False) -> str:
        keys.check(key, writing)
        return self.prefix + key

    # -- lifecycle ------------------------------------------------------------------

    async def open(self) -> None:
        endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
        config = Config(
            signature_version="s3v4",  # presigned URLs too: S3-compatible servers refuse SigV2
            s3={"addressing_style": "path" if endpoint else "auto"},
            retries={"max_attempts": 3, "mode": "standard"},
            max_pool_connections=2 * self.concurrency + 2,
            connect_timeout=5,
            read_timeout=60,
        )
        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
        self._client = boto3.session.Session().client("s3", region_name=region, config=config)
        try:
            await self._call(f"bucket {self.bucket}", self._client.head_bucket, Bucket=self.bucket)
        except Unavailable:
            if not self.create_bucket:
                raise
            await self._call(f"create bucket {self.bucket}", self._client.create_bucket, Bucket=self.bucket)
        except NotFound:
            if not self.create_bucket:
                raise Unavailable(f"bucket {self.bucket} does not exist; create it or add ?create_bucket=true") from None
            await self._call(f"create bucket {self.bucket}", self._client.create_bucket, Bucket=self.bucket)

    async def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        if self._client is not None:
            self._client.close()

    # -- objects --------------------------------------------------------------------

    async def head(self, key: str) -> ObjectInfo | None:
        try:
            meta = await self._call(f"head {key}", self._client.head_object, Bucket=self.bucket, Key=self._key(key))
        except NotFound:
            return None
        return ObjectInfo(key, int(meta["ContentLength"]), meta["LastModified"])

    async def writer(self, key: str, sha256_hex: str | None = None) -> S3Writer:
        return S3Writer(self, key, self._key(key, writing=True), sha256_hex)

    async def read(self, key: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        info = await self.head(key)
        if info is None:
            raise NotFound(f"no blob at key {key!r}")
        stop = info.size if end is None else min(end, info.size)
        step = READ_PART_SIZE
        ranges = deque((pos, min(pos + step, stop)) for pos in range(start, stop, step))
        pending: deque[Future[bytes]] = deque()
        try:
            while ranges or pending:
                while ranges and len(pending) < self.concurrency:
                    pending.append(self._pool.submit(self._get_range, self._key(key), *ranges.popleft()))
                try:
                    data = await asyncio.wrap_future(pending.popleft())
                except (ClientError, BotoCoreError) as exc:
                    raise translate(exc, f"read {key}") from exc
                for offset in range(0, len(data), MiB):
                    yield data[offset:offset + MiB]
        finally:
            for future in pending:
                future.cancel()

    def _get_range(self, full_key: str, start: int, end: int) -> bytes:
        answer = self._client.get_object(Bucket=self.bucket, Key=full_key, Range=f"bytes={start}-{end - 1}")
        body: bytes = answer["Body"].read()
        return body

    async def sha256(self, key: str, pace: Callable[[int], None] | None = None) -> tuple[str, int]:
        # Integrity workers: one streaming GET hashed as it arrives, the download and the
        # hashing overlapped in two threads (``NativeHash``).
        return await self._call(f"read {key}", self._sha256, self._key(key), pace)

    def _sha256(self, full_key: str, pace: Callable[[int], None] | None) -> tuple[str, int]:
        body = self._client.get_object(Bucket=self.bucket, Key=full_key)["Body"]
        try:
            return pipelined_sha256(partial(body.read, HASH_CHUNK), pace)
        finally:
            body.close()

    async def delete(self, key: str) -> bool:
        if await self.head(key) is None:
            return False
        await self._call(f"delete {key}", self._client.delete_object, Bucket=self.bucket, Key=self._key(key))
        return True

    async def list(self, prefix: str = "") -> AsyncIterator[ObjectInfo]:
        paginator = self._client.get_paginator("list_objects_v2")
        pages = iter(paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix))
        while True:
            page = await self._call(f"list {prefix!r}", next, pages, None)
            if page is None:
                return
            for item in page.get("Contents", []):
                key = item["Key"][len(self.prefix):]
                if key.split("/", 1)[0] not in (keys.QUARANTINE, keys.TMP):
                    yield ObjectInfo(key, int(item["Size"]), item["LastModified"])

    async def quarantine(self, key: str) -> str | None:
        source = self._key(key, writing=True)
        if await self.head(key) is None:
            return None
        new_key = keys.quarantine_key(key)
        await self._call(f"quarantine {key}", self._client.copy, {"Bucket": self.bucket, "Key": source},
                         self.bucket, self.prefix + new_key)
        await self._call(f"delete {key}", self._client.delete_object, Bucket=self.bucket, Key=source)
        return new_key

    # -- direct uploads (PresignedUploads): parts go from the client straight to S3 ------

    async def start_upload(self, key: str) -> str:
        answer = await self._call(f"upload {key}", self._client.create_multipart_upload,
                                  Bucket=self.bucket, Key=self._key(key, writing=True))
        upload_id: str = answer["UploadId"]
        return upload_id

    def presign_part(self, key: str, upload_id: str, part_number: int, expires_s: int) -> str:
        url: str = self._client.generate_presigned_url(
            "upload_part", ExpiresIn=expires_s,
            Params={"Bucket": self.bucket, "Key": self._key(key, writing=True), "UploadId": upload_id,
                    "PartNumber": part_number})
        return url

    async def complete_upload(self, key: str, upload_id: str, etags: Sequence[str]) -> None:
        parts = [{"PartNumber": i, "ETag": etag} for i, etag in enumerate(etags, start=1)]
        await self._call(f"upload {key}", self._client.complete_multipart_upload, Bucket=self.bucket,
                         Key=self._key(key, writing=True), UploadId=upload_id, MultipartUpload={"Parts": parts})

    async def abort_upload(self, key: str, upload_id: str) -> None:
        await self._call(f"abort upload {key}", self._client.abort_multipart_upload, Bucket=self.bucket,
                         Key=self._key(key, writing=True), UploadId=upload_id)

    # -- unfinished uploads (IncompleteUploads) ----------------------------------------

    async def abort_stale_uploads(self, started_before: datetime) -> Keys:
        aborted: Keys = []
        for key, upload_id, began in await self._call("list uploads", self._list_uploads):
            if began < started_before:
                with contextlib.suppress(NotFound):  # finished or aborted meanwhile
                    await self._call(f"abort upload {key}", self._client.abort_multipart_upload,
                                     Bucket=self.bucket, Key=self.prefix + key, UploadId=upload_id)
                aborted.append(key)
        return aborted

    def _list_uploads(self) -> Uploads:
        found: Uploads = []
        for page in self._client.get_paginator("list_multipart_uploads").paginate(Bucket=self.bucket,
                                                                                  Prefix=self.prefix):
            found += [(u["Key"][len(self.prefix):], u["UploadId"], u["Initiated"]) for u in page.get("Uploads", [])]
        return found

    async def uploaded_parts(self, key: str, upload_id: str) -> dict[int, tuple[str, int]]:
        try:
            pages = await self._call(f"upload {key}", self._list_parts, self._key(key, writing=True), upload_id)
        except NotFound:
            raise NotFound(f"no unfinished upload {upload_id} of {key}") from None
        return pages

    def _list_parts(self, full_key: str, upload_id: str) -> dict[int, tuple[str, int]]:
        # Some servers (S3Proxy) list no parts, rather than NoSuchUpload, for an upload
        # that was aborted: ask whether it is still unfinished first.
        listed = self._client.list_multipart_uploads(Bucket=self.bucket, Prefix=full_key).get("Uploads", [])
        if not any(u["UploadId"] == upload_id and u["Key"] == full_key for u in listed):
            raise ClientError({"Error": {"Code": "NoSuchUpload", "Message": upload_id}}, "ListParts")
        parts: dict[int, tuple[str, int]] = {}
        paginator = self._client.get_paginator("list_parts")
        for page in paginator.paginate(Bucket=self.bucket, Key=full_key, UploadId=upload_id):
            parts.update({int(p["PartNumber"]): (str(p["ETag"]), int(p["Size"])) for p in page.get("Parts", [])})
        return parts

    def presign_get(self, key: str, expires_s: int) -> str:
        url: str = self._client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": self._key(key)}, ExpiresIn=expires_s)
        return url


class S3Writer:
    """A staged upload: one PUT when it fits in a part, else a multipart upload whose
    parts go up in parallel; nothing is visible at the key before ``commit``."""

    def __init__(self, store: S3BlobStore, key: str, full_key: str, sha256_hex: str | None) -> None:
        self.store = store
        self.key = key
        self.full_key = full_key
        self.sha256_hex = sha256_hex
        self.buffer = bytearray()
        self.upload_id: str | None = None
        self.parts: list[dict[str, Any]] = []
        self.inflight: deque[asyncio.Future[dict[str, Any]]] = deque()

    async def write(self, chunk: bytes) -> None:
        self.buffer += chunk
        while len(self.buffer) >= self.store.part_size:
            part = bytes(self.buffer[:self.store.part_size])
            del self.buffer[:self.store.part_size]
            await self._send_part(part)

    async def _send_part(self, data: bytes) -> None:
        client, store = self.store._client, self.store
        if self.upload_id is None:
            answer = await store._call(f"upload {self.key}", client.create_multipart_upload, Bucket=store.bucket,
                                       Key=self.full_key, ChecksumAlgorithm="SHA256")
            self.upload_id = answer["UploadId"]
        while len(self.inflight) >= store.concurrency:
            self.parts.append(await self._settle(self.inflight.popleft()))
        number = len(self.parts) + len(self.inflight) + 1
        future = store._pool.submit(client.upload_part, Bucket=store.bucket, Key=self.full_key, PartNumber=number,
                                    UploadId=self.upload_id, Body=data, ChecksumAlgorithm="SHA256")
        self.inflight.append(asyncio.wrap_future(future))

    async def _settle(self, future: asyncio.Future[dict[str, Any]]) -> dict[str, Any]:
        try:
            answer = await future
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc, f"upload {self.key}") from exc
        return {"ETag": answer["ETag"], "ChecksumSHA256": answer["ChecksumSHA256"]}

    async def commit(self) -> None:
        store, client = self.store, self.store._client
        if await store.head(self.key) is not None:
            await self.abort()  # first write wins: the stored object stays
            return
        if self.upload_id is None:
            extra = ({"ChecksumSHA256": base64.b64encode(bytes.fromhex(self.sha256_hex)).decode()}
                     if self.sha256_hex else {"ChecksumAlgorithm": "SHA256"})
            await store._call(f"upload {self.key}", client.put_object, Bucket=store.bucket, Key=self.full_key,
                              Body=bytes(self.buffer), **extra)
            self.buffer.clear()
            return
        if self.buffer:
            await self._send_part(bytes(self.buffer))
            self.buffer.clear()
        while self.inflight:
            self.parts.append(await self._settle(self.inflight.popleft()))
        parts = [{"PartNumber": i, **p} for i, p in enumerate(self.parts, start=1)]
        await store._call(f"upload {self.key}", client.complete_multipart_upload, Bucket=store.bucket,
                          Key=self.full_key, UploadId=self.upload_id, MultipartUpload={"Parts": parts})
        self.upload_id = None

    async def abort(self) -> None:
        self.buffer.clear()
        while self.inflight:
            # A part already sending could land after the abort and be billed; wait it out.
            with contextlib.suppress(Exception):
                await self.inflight.popleft()
        if self.upload_id is not None:
            upload_id, self.upload_id = self.upload_id, None
            await self.store._call(f"abort upload {self.key}", self.store._client.abort_multipart_upload,
                                   Bucket=self.store.bucket, Key=self.full_key, UploadId=upload_id)


_: type[BlobStore] = S3BlobStore
