"""``provgraph serve`` with zero configuration: a real uvicorn process on the embedded default."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_healthy(url: str, process: subprocess.Popen[bytes], timeout_s: float = 30.0) -> httpx.Response:
    deadline = time.monotonic() + timeout_s
    while True:
        assert process.poll() is None, process.communicate()[0].decode()
        try:
            return httpx.get(url, timeout=2.0)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_serve_with_zero_configuration(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROVGRAPH_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "provgraph.cli", "serve", "--port", str(port)],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        health = wait_healthy(f"http://127.0.0.1:{port}/healthz", process)
        assert (health.status_code, health.json()) == (200, {"status": "ok", "graph": "ok", "blobs": "ok"})
        mutation = {"query": 'mutation { registerModel(name: "m") { version } }'}
        answer = httpx.post(f"http://127.0.0.1:{port}/graphql", json=mutation, timeout=10.0)
        assert answer.json() == {"data": {"registerModel": {"version": "v1"}}}
    finally:
        process.send_signal(signal.SIGINT)
        output = process.communicate(timeout=30)[0].decode()
    assert process.returncode == 0, output
    assert (tmp_path / ".provgraph" / "graph.db").is_file()
    assert (tmp_path / ".provgraph" / "blobs").is_dir()
    data_dir = tmp_path / ".provgraph"
    assert f"provgraph service started: graph sqlite:///{data_dir / 'graph.db'}, blobs file://{data_dir / 'blobs'}" in output
