"""The real service for the SDK suite: uvicorn in a subprocess, on temporary stores."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import httpx


@dataclass(frozen=True)
class Service:
    url: str
    data: Path

    def gql(self, query: str, variables: dict[str, object] | None = None, token: str | None = None) -> dict[str, object]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        body = httpx.post(f"{self.url}/graphql", json={"query": query, "variables": variables or {}},
                          headers=headers, timeout=30).json()
        assert "errors" not in body, body
        data: dict[str, object] = body["data"]
        return data


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def running(data: Path, tokens: str = "", blob_url: str | None = None) -> Iterator[Service]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROVGRAPH_")}
    env.update(PROVGRAPH_GRAPH_URL=f"sqlite:///{data / 'graph.db'}",
               PROVGRAPH_BLOB_URL=blob_url or f"file://{data / 'blobs'}", PROVGRAPH_AUTH_TOKENS=tokens)
    data.mkdir(parents=True, exist_ok=True)
    log = (data / "server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "provgraph.service.app:create_app", "--factory", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning"], env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(url, process, data)
        yield Service(url, data)
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def _wait(url: str, process: subprocess.Popen[bytes], data: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, (data / "server.log").read_text()
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"the service at {url} did not become healthy")
