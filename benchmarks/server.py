"""Run the real service (uvicorn, a subprocess on a free loopback port) for a benchmark."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Mapping

import httpx

APP = "provgraph.service.app:create_app"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(data: Path, port: int, app: str = APP, env: Mapping[str, str] | None = None) -> subprocess.Popen[bytes]:
    """Start the service over ``data`` (embedded stores unless ``env`` names others)."""
    full = {k: v for k, v in os.environ.items() if k != "PROVGRAPH_AUTH_TOKENS"}
    full["PROVGRAPH_GRAPH_URL"] = f"sqlite:///{data / 'graph.db'}"
    full["PROVGRAPH_BLOB_URL"] = f"file://{data / 'blobs'}"
    full.update(env or {})
    command = [
        sys.executable, "-m", "uvicorn", app, "--factory", "--no-access-log",
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
    ]
    with (data / "server.log").open("wb") as log:
        return subprocess.Popen(command, env=full, stdout=log, stderr=log)


def wait_ready(server: subprocess.Popen[bytes], base: str, data: Path, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            log = (data / "server.log").read_text(errors="replace")[-4000:]
            raise RuntimeError(f"server exited with {server.returncode}:\n{log}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server not ready after {timeout_s} s")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@contextmanager
def running_service(data: Path, app: str = APP, env: Mapping[str, str] | None = None) -> Iterator[tuple[str, int]]:
    """The base URL and pid of a service that is stopped on exit, also on failure."""
    port = free_port()
    server = start_server(data, port, app, env)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_ready(server, base, data)
        yield base, server.pid
    finally:
        stop_server(server)
