"""Verification throughput of ``provgraph worker`` against plain reads of the same bytes.

Local store: one worker process (``provgraph worker --once``) re-hashing every blob, and
two processes (``--shard 0/2`` + ``--shard 1/2``) together, against a single-stream
``hashlib.sha256`` loop over the same files in this process (target: one worker at least
0.9× of it). Every file is read once before any timing, so both sides read warm from
the page cache; the runs alternate and the best of ``--repeat`` of each is kept.

S3 store: one worker against a plain boto3 ``get_object`` download of the same objects,
read to the end in 1 MiB chunks (target: at least 0.8× of it).

Memory: the workers' peak RSS (``wait4``) on blobs of ``--file-mb`` and on one blob of
``--big-mb``: the same for any blob size. Worker throughput is the pass's own timing
(``pass_finished``), so process start-up is not counted. Writes
``benchmarks/results/verify.json``.

    python -m benchmarks.bench_verify [--total-mb 2048] [--file-mb 64] [--s3-total-mb 1024]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from benchmarks.common import print_table, write_result
from provgraph.digest import Digest
from provgraph.graph import open_graph_store
from provgraph.ids import utcnow
from provgraph.model import BlobStatus, FileRef, NewNode, NodeKind

MiB = 1024 * 1024
CHUNK = MiB
Blob = tuple[Digest, int]


def make_files(root: Path, count: int, size: int) -> list[Blob]:
    """``count`` random files of ``size`` bytes at their content keys under ``root``."""
    blobs = []
    for _ in range(count):
        data = os.urandom(size)
        digest = Digest(hashlib.sha256(data).hexdigest())
        path = root / digest.key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        blobs.append((digest, size))
    return blobs


def register(graph_url: str, blobs: list[Blob]) -> None:
    """One dataset naming every blob, each VERIFIED (as after an upload)."""
    async def go() -> None:
        graph = open_graph_store(graph_url)
        await graph.open()
        try:
            files = tuple(FileRef(f"f{i}", d, size) for i, (d, size) in enumerate(blobs))
            await graph.create_node(NewNode(NodeKind.DATASET, "bench", "verify", files=files))
            for digest, size in blobs:
                await graph.record_blob(digest, size, BlobStatus.VERIFIED, utcnow(), "benchmark")
        finally:
            await graph.close()

    asyncio.run(go())


def hashlib_pass(root: Path, blobs: list[Blob]) -> float:
    """Seconds for one single-stream ``hashlib.sha256`` loop over every file."""
    buffer = bytearray(CHUNK)
    view = memoryview(buffer)
    began = time.perf_counter()
    for digest, _ in blobs:
        hasher = hashlib.sha256()
        with open(root / digest.key, "rb", buffering=0) as handle:
            while n := handle.readinto(buffer):
                hasher.update(view[:n])
        assert hasher.hexdigest() == digest.hex
    return time.perf_counter() - began


def boto3_pass(client: Any, bucket: str, prefix: str, blobs: list[Blob], hashing: bool = False) -> float:
    """Seconds for a plain single-stream ``get_object`` download of every object (and,
    with ``hashing``, a ``hashlib.sha256`` of each chunk as it arrives: the naive verifier)."""
    began = time.perf_counter()
    for digest, size in blobs:
        body = client.get_object(Bucket=bucket, Key=prefix + digest.key)["Body"]
        hasher, got = hashlib.sha256(), 0
        while chunk := body.read(CHUNK):
            got += len(chunk)
            if hashing:
                hasher.update(chunk)
        assert got == size and (not hashing or hasher.hexdigest() == digest.hex)
    return time.perf_counter() - began


def peak_rss(pid: int, done: threading.Event, peaks: dict[int, float]) -> None:
    """Sample the process's own high-water RSS (``VmHWM``) until it exits. (``wait4``'s
    ``ru_maxrss`` is no good here: Linux carries the parent's RSS at fork into it.)"""
    while not done.is_set():
        try:
            with open(f"/proc/{pid}/status") as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        peaks[pid] = max(peaks.get(pid, 0.0), int(line.split()[1]) / 1024)
        except (FileNotFoundError, ProcessLookupError):
            return
        done.wait(0.02)


def workers(graph_url: str, blob_url: str, count: int, concurrency: int = 1) -> dict[str, Any]:
    """Run ``count`` worker processes over the shards at once: bytes, wall seconds of
    the passes (first start to last finish), and the peak RSS of each process."""
    procs = [subprocess.Popen(
        [sys.executable, "-m", "provgraph.cli", "worker", "--once", "--no-lineage", "--shard", f"{i}/{count}",
         "--concurrency", str(concurrency), "--graph-url", graph_url, "--blob-url", blob_url],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for i in range(count)]
    done, peaks = threading.Event(), dict[int, float]()
    samplers = [threading.Thread(target=peak_rss, args=(p.pid, done, peaks), daemon=True) for p in procs]
    for sampler in samplers:
        sampler.start()
    passes = []
    for proc in procs:
        _, err = proc.communicate()
        if proc.returncode != 0:
            raise RuntimeError(f"worker failed: {err[-2000:]}")
        passes += [e for e in map(json.loads, filter(None, err.splitlines())) if e["event"] == "pass_finished"]
    done.set()
    starts = [datetime.fromisoformat(p["started"]).timestamp() for p in passes]
    ends = [s + p["seconds"] for s, p in zip(starts, passes)]
    hashed = sum(p["bytes_hashed"] for p in passes)
    return {"bytes": hashed, "seconds": round(max(ends) - min(starts), 3),
            "peak_rss_mib": [round(peaks.get(p.pid, 0.0), 1) for p in procs], "statuses": [p["statuses"] for p in passes]}


def rate(nbytes: int, seconds: float) -> float:
    return round(nbytes / seconds / 1e6, 1)


def best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return min(runs, key=lambda r: r["seconds"])


def local(work: Path, total: int, file_size: int, repeat: int) -> dict[str, Any]:
    root, graph_url = work / "blobs", f"sqlite:///{work / 'graph.db'}"
    blobs = make_files(root, total // file_size, file_size)
    register(graph_url, blobs)
    nbytes = sum(size for _, size in blobs)
    hashlib_pass(root, blobs)  # warm the page cache for every run that follows
    baseline, one, two = [], [], []
    for _ in range(repeat):
        baseline.append({"seconds": hashlib_pass(root, blobs)})
        one.append(workers(graph_url, f"file://{root}", 1))
        two.append(workers(graph_url, f"file://{root}", 2))
    assert all(r["bytes"] == nbytes for r in one + two)
    b, w1, w2 = best(baseline), best(one), best(two)
    return {
        "files": len(blobs), "file_mib": file_size // MiB, "total_mib": nbytes // MiB, "page_cache": "warm (both)",
        "hashlib_mb_s": rate(nbytes, b["seconds"]), "worker_mb_s": rate(nbytes, w1["seconds"]),
        "two_workers_mb_s": rate(nbytes, w2["seconds"]),
        "ratio": round(b["seconds"] / w1["seconds"], 3), "two_workers_ratio": round(b["seconds"] / w2["seconds"], 3),
        "target_ratio": 0.9, "worker_peak_rss_mib": w1["peak_rss_mib"], "two_workers_peak_rss_mib": w2["peak_rss_mib"],
        "runs": {"hashlib_s": [r["seconds"] for r in baseline], "worker_s": [r["seconds"] for r in one],
                 "two_workers_s": [r["seconds"] for r in two]},
    }


def big_blob_rss(work: Path, size: int) -> dict[str, Any]:
    root, graph_url = work / "big", f"sqlite:///{work / 'big.db'}"
    blobs = make_files(root, 1, size)
    register(graph_url, blobs)
    run = workers(graph_url, f"file://{root}", 1)
    return {"blob_mib": size // MiB, "worker_peak_rss_mib": run["peak_rss_mib"][0], "worker_mb_s": rate(size, run["seconds"])}


def download_file_pass(client: Any, bucket: str, prefix: str, blobs: list[Blob], target: Path) -> float:
    """Seconds for boto3's managed ``download_file`` of every object to a local file:
    the plain download the S3 store's own benchmark compares with."""
    began = time.perf_counter()
    for digest, size in blobs:
        client.download_file(bucket, prefix + digest.key, str(target))
        assert target.stat().st_size == size
    target.unlink()
    return time.perf_counter() - began


def s3(work: Path, total: int, file_size: int, repeat: int) -> dict[str, Any]:
    import boto3

    from tests.backends import SERVICES

    for key, value in SERVICES.items():
        if key.startswith("AWS_"):
            os.environ.setdefault(key, value)
    url = SERVICES.get("PROVGRAPH_TEST_BLOB_URL") or SERVICES["PROVGRAPH_BLOB_URL"]
    bucket, _, base = url.removeprefix("s3://").partition("/")
    prefix = f"{base.strip('/')}/bench-{uuid.uuid4().hex}/"
    client = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
    root, graph_url = work / "s3src", f"sqlite:///{work / 's3.db'}"
    blobs = make_files(root, total // file_size, file_size)
    register(graph_url, blobs)
    for digest, _ in blobs:
        client.upload_file(str(root / digest.key), bucket, prefix + digest.key)
    nbytes = sum(size for _, size in blobs)
    blob_url = f"s3://{bucket}/{prefix.rstrip('/')}"
    try:
        boto3_pass(client, bucket, prefix, blobs)  # warm the server's reads as well
        baseline, naive, one, two, files = [], [], [], [], []
        for _ in range(repeat):
            baseline.append({"seconds": boto3_pass(client, bucket, prefix, blobs)})
            files.append({"seconds": download_file_pass(client, bucket, prefix, blobs, work / "download.bin")})
            naive.append({"seconds": boto3_pass(client, bucket, prefix, blobs, hashing=True)})
            one.append(workers(graph_url, blob_url, 1))
            two.append(workers(graph_url, blob_url, 1, concurrency=2))
    finally:
        for digest, _ in blobs:
            client.delete_object(Bucket=bucket, Key=prefix + digest.key)
    b, w1, w2 = best(baseline), best(one), best(two)
    return {
        "files": len(blobs), "file_mib": file_size // MiB, "total_mib": nbytes // MiB,
        "boto3_get_mb_s": rate(nbytes, b["seconds"]), "worker_mb_s": rate(nbytes, w1["seconds"]),
        "boto3_get_then_hashlib_mb_s": rate(nbytes, best(naive)["seconds"]),
        "ratio": round(b["seconds"] / w1["seconds"], 3), "target_ratio": 0.8, "worker_peak_rss_mib": w1["peak_rss_mib"],
        "worker_concurrency_2_mb_s": rate(nbytes, w2["seconds"]),
        "concurrency_2_ratio": round(b["seconds"] / w2["seconds"], 3),
        "boto3_download_file_mb_s": rate(nbytes, best(files)["seconds"]),
        "ratio_to_download_file": round(best(files)["seconds"] / w1["seconds"], 3),
        "runs": {"boto3_s": [r["seconds"] for r in baseline], "worker_s": [r["seconds"] for r in one],
                 "worker_concurrency_2_s": [r["seconds"] for r in two],
                 "boto3_get_then_hashlib_s": [r["seconds"] for r in naive]},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--total-mb", type=int, default=2048, help="local store: MiB of blobs in all")
    parser.add_argument("--file-mb", type=int, default=64, help="size of each blob, MiB")
    parser.add_argument("--big-mb", type=int, default=1024, help="one blob this big, for the memory check")
    parser.add_argument("--s3-total-mb", type=int, default=1024, help="S3: MiB of blobs in all (0: skip S3)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="provgraph-bench-verify-") as tmp:
        work = Path(tmp)
        figures["local"] = local(work, args.total_mb * MiB, args.file_mb * MiB, args.repeat)
        figures["big_blob"] = big_blob_rss(work, args.big_mb * MiB)
        if args.s3_total_mb:
            figures["s3"] = s3(work, args.s3_total_mb * MiB, args.file_mb * MiB, args.repeat)
    loc, big = figures["local"], figures["big_blob"]
    rows = [
        ("local: hashlib.sha256, one stream", f"{loc['hashlib_mb_s']} MB/s", f"{loc['total_mib']} MiB in {loc['file_mib']} MiB files, warm"),
        ("local: one worker", f"{loc['worker_mb_s']} MB/s", f"{loc['ratio']}x (target >= 0.9x)"),
        ("local: two workers (2 shards)", f"{loc['two_workers_mb_s']} MB/s", f"{loc['two_workers_ratio']}x"),
        ("worker peak RSS", f"{loc['worker_peak_rss_mib'][0]} MiB", f"{big['worker_peak_rss_mib']} MiB on one {big['blob_mib']} MiB blob"),
    ]
    if "s3" in figures:
        s = figures["s3"]
        rows += [("s3: boto3 get_object, one stream", f"{s['boto3_get_mb_s']} MB/s", f"{s['total_mib']} MiB"),
                 ("s3: boto3 get_object + hashlib, one stream", f"{s['boto3_get_then_hashlib_mb_s']} MB/s", "the naive verifier"),
                 ("s3: boto3 download_file, one object at a time", f"{s['boto3_download_file_mb_s']} MB/s", "to a file"),
                 ("s3: one worker", f"{s['worker_mb_s']} MB/s",
                  f"{s['ratio']}x get_object, {s['ratio_to_download_file']}x download_file (target >= 0.8x)"),
                 ("s3: one worker, --concurrency 2", f"{s['worker_concurrency_2_mb_s']} MB/s", f"{s['concurrency_2_ratio']}x")]
    print_table("blob verification", rows)
    print(f"written to {write_result('verify', figures)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
