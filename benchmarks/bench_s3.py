"""The S3 blob store against plain boto3 on the same server: a 1 GiB blob stored
(hashed, checksummed, multipart) and read back, vs ``upload_file`` / ``download_file``;
and the SDK's upload of the same file through a service on that server (digest computed,
parts presigned and sent straight to S3) vs ``upload_file`` again, side by side.
Needs PROVGRAPH_BLOB_URL=s3://… and the AWS_* variables (``make services`` writes them)."""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import tempfile
import time
from pathlib import Path
from typing import Any, AsyncIterator, Sequence
from urllib.parse import urlsplit

import boto3
from botocore.config import Config

from benchmarks.common import print_table, write_result
from benchmarks.server import running_service
from provgraph.sdk import Client
from provgraph.blobs import open_blob_store
from provgraph.blobs.content import ContentStore
from provgraph.digest import Digest

MiB = 1024 * 1024


def make_file(path: Path, size: int) -> Digest:
    hasher = hashlib.sha256()
    with path.open("wb") as out:
        for offset in range(0, size, 16 * MiB):
            chunk = os.urandom(min(16 * MiB, size - offset))
            hasher.update(chunk)
            out.write(chunk)
    return Digest(hasher.hexdigest())


async def chunks(path: Path) -> AsyncIterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(MiB):
            yield chunk


def boto3_client() -> Any:
    config = Config(signature_version="s3v4", s3={"addressing_style": "path"})
    return boto3.session.Session().client("s3", region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
                                          config=config)


def baseline(path: Path, bucket: str, key: str, size: int) -> dict[str, float]:
    client = boto3_client()
    start = time.perf_counter()
    client.upload_file(str(path), bucket, key)
    up = time.perf_counter() - start
    target = path.with_suffix(".down")
    start = time.perf_counter()
    client.download_file(bucket, key, str(target))
    down = time.perf_counter() - start
    target.unlink()
    client.delete_object(Bucket=bucket, Key=key)
    return {"boto3_upload_mb_s": round(size / up / 1e6, 1), "boto3_download_mb_s": round(size / down / 1e6, 1)}


async def provgraph_store(url: str, path: Path, digest: Digest, size: int) -> dict[str, float]:
    store = open_blob_store(url)
    await store.open()
    content = ContentStore(store)
    try:
        start = time.perf_counter()
        await content.put_stream(digest, chunks(path), size)
        up = time.perf_counter() - start
        hasher = hashlib.sha256()
        start = time.perf_counter()
        async for chunk in content.read(digest):
            hasher.update(chunk)
        down = time.perf_counter() - start
        assert hasher.hexdigest() == digest.hex, "read back different bytes"
        await content.delete(digest)
    finally:
        await store.close()
    return {"provgraph_store_mb_s": round(size / up / 1e6, 1), "provgraph_read_mb_s": round(size / down / 1e6, 1)}


def sdk_vs_boto3(path: Path, url: str, bucket: str, size: int, work: Path) -> dict[str, float]:
    """SDK upload (fresh digest cache: hashing included) and ``upload_file``, alternated."""
    client = boto3_client()
    env = {"PROVGRAPH_BLOB_URL": url}
    sdk_s: list[float] = []
    boto_s: list[float] = []
    (work / "sdk-service").mkdir()
    with running_service(work / "sdk-service", env=env) as (base, _):
        for attempt in range(2):
            os.sync()
            start = time.perf_counter()
            client.upload_file(str(path), bucket, f"bench/boto3-side-by-side-{attempt}")
            boto_s.append(time.perf_counter() - start)
            client.delete_object(Bucket=bucket, Key=f"bench/boto3-side-by-side-{attempt}")
            os.sync()
            with Client(base, cache_dir=work / f"cache-{attempt}") as sdk:
                start = time.perf_counter()
                result = sdk.upload_file(path)
                sdk_s.append(time.perf_counter() - start)
            assert result.sent == size, result
            key = f"{urlsplit(url).path.strip('/')}/sha256/{result.digest[:2]}/{result.digest[2:4]}/{result.digest}"
            client.delete_object(Bucket=bucket, Key=key)
    sdk_best, boto_best = min(sdk_s), min(boto_s)
    return {"sdk_direct_upload_mb_s": round(size / sdk_best / 1e6, 1),
            "boto3_upload_side_by_side_mb_s": round(size / boto_best / 1e6, 1),
            "sdk_vs_upload_file": round(boto_best / sdk_best, 2)}


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mb", type=int, default=1024)
    args = parser.parse_args(argv)
    url = os.environ.get("PROVGRAPH_BLOB_URL", "")
    if not url.startswith("s3://"):
        raise SystemExit("bench_s3 needs PROVGRAPH_BLOB_URL=s3://… (run `make services` and load .provgraph/services.env)")
    bucket = urlsplit(url).netloc
    size = args.size_mb * MiB
    with tempfile.TemporaryDirectory(prefix="provgraph-bench-") as work:
        path = Path(work) / "blob.bin"
        digest = make_file(path, size)
        figures: dict[str, Any] = baseline(path, bucket, "bench/boto3-baseline", size)
        parts = urlsplit(url)
        query = "&".join(filter(None, [parts.query, "create_bucket=true"]))
        store_url = f"s3://{parts.netloc}{parts.path.rstrip('/')}/bench?{query}"
        figures.update(asyncio.run(provgraph_store(store_url, path, digest, size)))
        sdk_url = f"s3://{parts.netloc}{parts.path.rstrip('/')}/bench-sdk?{query}"
        figures.update(sdk_vs_boto3(path, sdk_url, bucket, size, Path(work)))
    figures["store_vs_upload_file"] = round(figures["provgraph_store_mb_s"] / figures["boto3_upload_mb_s"], 2)
    figures["read_vs_download_file"] = round(figures["provgraph_read_mb_s"] / figures["boto3_download_mb_s"], 2)
    rows = [(k, str(v), "target ≥ 0.8" if k.endswith("_file") else "MB/s") for k, v in figures.items()]
    print_table(f"S3 blob store, {args.size_mb} MiB blob (same server, same run)", rows)
    print(f"  → {write_result('s3_blobs', figures)}")
    return figures


if __name__ == "__main__":
    main()
