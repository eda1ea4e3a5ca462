"""Stream a large blob through the real service and measure its memory and speed.

Starts uvicorn on a free loopback port over a temporary data folder, PUTs a file of
``--size-mb`` MiB (1 GiB by default), GETs it back, and samples the server's RSS every
50 ms. The service must never hold a whole blob in memory, so the peak RSS growth over
the idle baseline should stay a few MiB whatever the size. Writes
``benchmarks/results/blob_stream.json``.

    python benchmarks/bench_blob_stream.py [--size-mb 1024]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
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


def measure(base: str, sampler: RssSampler, payload: Path, digest: str, size: int) -> Result:
    url = f"{base}/blobs/sha256/{digest}"
    time.sleep(0.5)
    baseline = sampler.rss()
    with httpx.Client(timeout=None) as client:
        sampler.reset()
        status, put_s = put(client, url, payload, size)
        put_peak = sampler.peak
        sampler.reset()
        got, got_size, get_s = get(client, url + "?redirect=0")  # through the service, not S3
        get_peak = sampler.peak
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
    )


def run(size: int, work: Path, app: str, env: dict[str, str] | None = None) -> Result:
    payload = work / "payload.bin"
    digest = make_payload(payload, size)
    data = work / "data"
    data.mkdir()
    with running_service(data, app, env) as (base, pid):
        sampler = RssSampler(pid)
        sampler.start()
        try:
            return measure(base, sampler, payload, digest, size)
        finally:
            sampler.stop()


def report(result: Result, output: Path) -> None:
    rows = [
        ("size", f"{result.size_bytes / MIB:.0f} MiB", ""),
        ("PUT", f"{result.put_mb_per_s} MB/s", f"peak RSS +{result.put_peak_rss_growth_mib} MiB"),
        ("GET", f"{result.get_mb_per_s} MB/s", f"peak RSS +{result.get_peak_rss_growth_mib} MiB"),
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
