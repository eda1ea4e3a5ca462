"""Stream a large blob through the real service and measure its memory and speed.

Starts uvicorn on a free loopback port over a temporary data folder, PUTs a file of
``--size-mb`` MiB (1 GiB by default), GETs it back, and samples the server's RSS every
50 ms. The service must never hold a whole blob in memory, so the peak RSS growth over
the idle baseline should stay a few MiB whatever the size. In the same run it hashes the
same file with ``hashlib.sha256`` (one core: the limit a verifying PUT can reach) and, when
``curl`` is installed, PUTs it again with ``curl -T``; the target is PUT ≥ 0.8× hashlib.
Writes
``benchmarks/results/blob_stream.json``.

    python benchmarks/bench_blob_stream.py [--size-mb 1024]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterator

import httpx

from benchmarks import common
from benchmarks.server import APP, running_service

MIB = 1024 * 1024
CHUNK = MIB
RESULTS = common.RESULTS / "blob_stream.json"


@dataclass
class Result:
    size_bytes: int
    baseline_rss_mib: float
    put_seconds: float
    put_mb_per_s: float
    put_peak_rss_growth_mib: float
    get_seconds: float
    get_mb_per_s: float
    get_peak_rss_growth_mib: float
    status_put: int
    digest_matches: bool
    hashlib_mb_per_s: float = 0.0
    put_vs_hashlib: float = 0.0
    disk_write_mb_per_s: float = 0.0
    put_vs_disk_write: float = 0.0
    curl_put_mb_per_s: float | None = None
    curl_vs_hashlib: float | None = None


class RssSampler(threading.Thread):
    """Samples a process's VmRSS every 50 ms; ``peak`` is the highest since ``reset``."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0
        self._halt = threading.Event()

    def rss(self) -> int:
        with open(f"/proc/{self.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return 0

    def reset(self) -> None:
        self.peak = self.rss()

    def run(self) -> None:
        while not self._halt.wait(0.05):
            try:
                self.peak = max(self.peak, self.rss())
            except (FileNotFoundError, ProcessLookupError):
                return

    def stop(self) -> None:
        self._halt.set()
        self.join()


def make_payload(path: Path, size: int) -> str:
    hasher = hashlib.sha256()
    with path.open("wb") as handle:
        for offset in range(0, size, CHUNK):
            chunk = os.urandom(min(CHUNK, size - offset))
            hasher.update(chunk)
            handle.write(chunk)
    return hasher.hexdigest()


def file_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk


def hashlib_speed(path: Path, size: int) -> float:
    """MB/s of ``hashlib.sha256`` over the file, read as the service reads: the baseline."""
    hasher = hashlib.sha256()
    began = time.perf_counter()
    with path.open("rb", buffering=0) as handle:
        while chunk := handle.read(4 * CHUNK):
            hasher.update(chunk)
    return size / 1e6 / (time.perf_counter() - began)


def disk_write_speed(path: Path, folder: Path, size: int) -> float:
    """MB/s of copying the file into a new file of ``folder`` and fsyncing it, as the
    local store does (no hashing): the other limit of a PUT, measured in the same run."""
    target = folder / "write-baseline.bin"
    buffer = bytearray(4 * CHUNK)
    began = time.perf_counter()
    with path.open("rb", buffering=0) as source, target.open("wb", buffering=0) as out:
        while n := source.readinto(buffer):
            out.write(memoryview(buffer)[:n])
        os.fsync(out.fileno())
    elapsed = time.perf_counter() - began
    target.unlink()
    return size / 1e6 / elapsed


def curl_put(base: str, path: Path, size: int) -> float | None:
    """MB/s of ``curl -T`` into a fresh digest (the file with one byte more), or None."""
    if shutil.which("curl") is None:
        return None
    other = path.with_suffix(".curl")
    shutil.copyfile(path, other)
    with other.open("ab") as handle:
        handle.write(b"\0")
    digest = hashlib.sha256(other.read_bytes()).hexdigest() if size <= 64 * MIB else _file_digest(other)
    os.sync()
    began = time.perf_counter()
    subprocess.run(["curl", "-sS", "-f", "-o", "/dev/null", "-T", str(other), f"{base}/blobs/sha256/{digest}"],
                   check=True)
    elapsed = time.perf_counter() - began
    other.unlink()
    return (size + 1) / 1e6 / elapsed


def _file_digest(path: Path) -> str:
    hasher = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(4 * CHUNK):
            hasher.update(chunk)
    return hasher.hexdigest()


def put(client: httpx.Client, url: str, path: Path, size: int) -> tuple[int, float]:
    began = time.perf_counter()
    response = client.put(url, content=file_chunks(path), headers={"Content-Length": str(size)})
    elapsed = time.perf_counter() - began
    if response.status_code not in (200, 201):
        raise RuntimeError(f"PUT answered {response.status_code}: {response.text[:500]}")
    return response.status_code, elapsed


def get(client: httpx.Client, url: str) -> tuple[str, int, float]:
    hasher = hashlib.sha256()
    size = 0
    began = time.perf_counter()
    with client.stream("GET", url) as response:
        response.raise_for_status()
        for chunk in response.iter_bytes(CHUNK):
            hasher.update(chunk)
            size += len(chunk)
    return hasher.hexdigest(), size, time.perf_counter() - began


def measure(base: str, sampler: RssSampler, payload: Path, digest: str, size: int, data: Path) -> Result:
    url = f"{base}/blobs/sha256/{digest}"
    hash_speed = hashlib_speed(payload, size)
    write_speed = disk_write_speed(payload, data, size)
    os.sync()  # no dirty pages of the payload left for the service's fsync to pay for
    time.sleep(0.5)
    baseline = sampler.rss()
    with httpx.Client(timeout=None) as client:
        sampler.reset()
        status, put_s = put(client, url, payload, size)
        put_peak = sampler.peak
        sampler.reset()
        got, got_size, get_s = get(client, url + "?redirect=0")  # through the service, not S3
        get_peak = sampler.peak
    curl = curl_put(base, payload, size)
    put_speed = size / 1e6 / put_s
    return Result(
        size_bytes=size,
        baseline_rss_mib=round(baseline / MIB, 1),
        put_seconds=round(put_s, 2),
        put_mb_per_s=round(size / 1e6 / put_s, 1),
        put_peak_rss_growth_mib=round((put_peak - baseline) / MIB, 1),
        get_seconds=round(get_s, 2),
        get_mb_per_s=round(size / 1e6 / get_s, 1),
        get_peak_rss_growth_mib=round((get_peak - baseline) / MIB, 1),
        status_put=status,
        digest_matches=got == digest and got_size == size,
        hashlib_mb_per_s=round(hash_speed, 1),
        put_vs_hashlib=round(put_speed / hash_speed, 2),
        disk_write_mb_per_s=round(write_speed, 1),
        put_vs_disk_write=round(put_speed / write_speed, 2),
        curl_put_mb_per_s=None if curl is None else round(curl, 1),
        curl_vs_hashlib=None if curl is None else round(curl / hash_speed, 2),
    )


def warm_memory(folder: Path, size: int) -> None:
    """Write and drop ``size`` bytes in ``folder`` once. On a VM whose memory the host
    backs on first touch (this one: ~250 MB/s for fresh pages, GB/s for reused ones) the
    first writer of new page-cache pages would pay for that, not for its own work."""
    scratch = folder / "warm.bin"
    block = os.urandom(4 * CHUNK)
    with scratch.open("wb") as handle:
        for _ in range(0, size, len(block)):
            handle.write(block)
    scratch.unlink()


def run(size: int, work: Path, app: str, env: dict[str, str] | None = None) -> Result:
    payload = work / "payload.bin"
    digest = make_payload(payload, size)
    data = work / "data"
    data.mkdir()
    warm_memory(data, 2 * size)
    with running_service(data, app, env) as (base, pid):
        sampler = RssSampler(pid)
        sampler.start()
        try:
            return measure(base, sampler, payload, digest, size, data)
        finally:
            sampler.stop()


def report(result: Result, output: Path) -> None:
    rows = [
        ("size", f"{result.size_bytes / MIB:.0f} MiB", ""),
        ("PUT", f"{result.put_mb_per_s} MB/s", f"peak RSS +{result.put_peak_rss_growth_mib} MiB"),
        ("GET", f"{result.get_mb_per_s} MB/s", f"peak RSS +{result.get_peak_rss_growth_mib} MiB"),
        ("hashlib", f"{result.hashlib_mb_per_s} MB/s", f"PUT = {result.put_vs_hashlib}x (target >= 0.8x)"),
        ("disk write", f"{result.disk_write_mb_per_s} MB/s", f"PUT = {result.put_vs_disk_write}x (copy + fsync)"),
        ("curl -T", f"{result.curl_put_mb_per_s} MB/s", f"= {result.curl_vs_hashlib}x hashlib"),
        ("baseline RSS", f"{result.baseline_rss_mib} MiB", ""),
        ("round trip", "ok" if result.digest_matches else "DIGEST MISMATCH", ""),
    ]
    for name, value, extra in rows:
        print(f"{name:<14}{value:>16}  {extra}")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(asdict(result), indent=2) + "\n")
    print(f"written to {output}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--size-mb", type=int, default=1024, help="payload size in MiB")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--app", default=APP, help="uvicorn app factory")
    parser.add_argument("--blob-url", help="blob store of the service (default: a local folder)")
    args = parser.parse_args(argv)
    env = {"PROVGRAPH_BLOB_URL": args.blob_url} if args.blob_url else None
    with tempfile.TemporaryDirectory(prefix="provgraph-bench-") as work:
        result = run(args.size_mb * MIB, Path(work), args.app, env)
    report(result, args.output)
    return 0 if result.digest_matches else 1


if __name__ == "__main__":
    sys.exit(main())
