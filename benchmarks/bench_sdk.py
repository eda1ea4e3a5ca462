"""The SDK against the real service: a 1 GiB upload (hashing included) against a plain
streamed httpx PUT of the same file, re-uploading it unchanged, 100,000 metric points,
and the client's peak memory growth."""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import tempfile
import time
from pathlib import Path
from typing import Any, Iterator, Sequence

import httpx

from benchmarks.common import print_table, write_result
from benchmarks.server import running_service
from provgraph.sdk import Client
from provgraph.sdk.hashing import CHUNK


def make_file(path: Path, size: int) -> str:
    hasher = hashlib.sha256()
    with path.open("wb") as handle:
        for _ in range(size // CHUNK):
            block = os.urandom(CHUNK)
            hasher.update(block)
            handle.write(block)
    return hasher.hexdigest()


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def plain_put(base: str, path: Path, digest: str) -> float:
    def chunks() -> Iterator[bytes]:
        # 1 MiB chunks with a Content-Length, as the SDK sends (httpx streams a file
        # object in 64 KiB chunks; a generator without a length goes chunked).
        with path.open("rb") as handle:
            while chunk := handle.read(1024 * 1024):
                yield chunk

    with httpx.Client(timeout=600) as http:
        began = time.perf_counter()
        answer = http.put(f"{base}/blobs/sha256/{digest}", content=chunks(),
                          headers={"content-length": str(path.stat().st_size)})
        elapsed = time.perf_counter() - began
    assert answer.status_code == 201, answer.text
    return elapsed


def sdk_upload(base: str, path: Path, cache: Path) -> dict[str, Any]:
    with Client(base, cache_dir=cache) as client:
        rss = peak_rss_mib()
        began = time.perf_counter()
        first = client.upload_file(path)
        upload_s = time.perf_counter() - began
        growth = peak_rss_mib() - rss
        began = time.perf_counter()
        again = client.upload_file(path)
        again_ms = (time.perf_counter() - began) * 1000
    return {"upload_s": upload_s, "sent": first.sent, "again_ms": again_ms, "again_sent": again.sent,
            "rss_growth_mib": growth}


def metric_points(base: str, cache: Path, count: int) -> float:
    with Client(base, cache_dir=cache) as client:
        began = time.perf_counter()
        with client.start_run("bench-metrics", capture=False) as run:
            for step in range(count):
                run.log_metric("loss", 1.0 / (step + 1), step=step)
        elapsed = time.perf_counter() - began
        assert len(client.metric_history(run, "loss")) == count
    return elapsed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--points", type=int, default=100_000)
    args = parser.parse_args(argv)
    size = args.size_mb * 1024 * 1024
    with tempfile.TemporaryDirectory(prefix="bench-sdk-") as folder:
        tmp = Path(folder)
        path = tmp / "ckpt.bin"
        digest = make_file(path, size)
        (tmp / "plain").mkdir()
        (tmp / "sdk").mkdir()
        # Each upload starts with no dirty pages left by the previous one (the service
        # fsyncs what it stores): the one measured second would otherwise pay for both.
        os.sync()
        with running_service(tmp / "plain") as (base, _):
            plain_s = plain_put(base, path, digest)
        os.sync()
        with running_service(tmp / "sdk") as (base, _):
            sdk = sdk_upload(base, path, tmp / "cache")
            points_s = metric_points(base, tmp / "cache", args.points)
    mib = size / 2**20
    figures = {
        f"plain_put_{args.size_mb}mb": {"seconds": round(plain_s, 2), "mib_per_s": round(mib / plain_s, 1)},
        f"sdk_upload_{args.size_mb}mb": {"seconds": round(sdk["upload_s"], 2), "mib_per_s": round(mib / sdk["upload_s"], 1),
                                         "bytes_sent": sdk["sent"], "ratio_to_plain": round(plain_s / sdk["upload_s"], 2)},
        "sdk_reupload_unchanged": {"ms": round(sdk["again_ms"], 2), "bytes_sent": sdk["again_sent"]},
        f"sdk_metric_points_{args.points}": {"seconds": round(points_s, 2)},
        "sdk_client_peak_rss_growth": {"mib": round(sdk["rss_growth_mib"], 1)},
    }
    write_result("sdk", figures)
    print_table("SDK", [
        ("upload ratio to plain PUT", f"{plain_s / sdk['upload_s']:.2f}x", "target >= 0.8x"),
        ("re-upload unchanged", f"{sdk['again_ms']:.1f} ms, {sdk['again_sent']} B", "target < 50 ms, 0 bytes"),
        (f"{args.points} metric points", f"{points_s:.2f} s", "target < 5 s"),
        ("client peak RSS growth", f"{sdk['rss_growth_mib']:.1f} MiB", "target < 64 MiB"),
    ])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
