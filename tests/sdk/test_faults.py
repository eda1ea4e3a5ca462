"""A service that answers 500, goes away mid-upload, or refuses the token: one clear
message each, and nothing half-registered (checked on the real service)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from provgraph.errors import ProvgraphError, Unauthenticated, Unavailable
from provgraph.sdk import Client

from .service import Service, running

MODELS = 'query($p: String) { models(project: $p) { edges { node { id } } } }'


class Proxy(BaseHTTPRequestHandler):
    """Forwards to the real service, except blob PUTs: ``mode`` 500 answers 500,
    ``drop`` reads part of the body and closes the connection."""

    upstream = ""
    mode = "500"
    puts = 0

    def log_message(self, *args: object) -> None:
        pass

    def _forward(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        answer = httpx.request(self.command, self.upstream + self.path, content=body,
                               headers={k: v for k, v in self.headers.items() if k.lower() != "host"})
        self.send_response(answer.status_code)
        for key in ("content-type", "content-length"):
            if key in answer.headers:
                self.send_header(key, answer.headers[key])
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(answer.content)

    do_POST = do_HEAD = do_GET = _forward

    def do_PUT(self) -> None:
        type(self).puts += 1
        if self.mode == "drop":
            self.rfile.read(1000)
            self.connection.close()
            return
        self.rfile.read(int(self.headers["content-length"]))
        self.send_response(500)
        self.send_header("content-length", "0")
        self.end_headers()


@pytest.fixture
def proxy(service: Service) -> Iterator[type[Proxy]]:
    handler = type("P", (Proxy,), {"upstream": service.url, "puts": 0})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    handler.url = f"http://127.0.0.1:{server.server_address[1]}"  # type: ignore[attr-defined]
    yield handler
    server.shutdown()
    server.server_close()


def no_models(service: Service, project: str) -> bool:
    return service.gql(MODELS, {"p": project})["models"] == {"edges": []}


def test_a_500_on_upload_is_retried_then_reported_and_nothing_registered(
    proxy: type[Proxy], service: Service, project: str, tmp_path: Path,
) -> None:
    (tmp_path / "ckpt.bin").write_bytes(b"w" * 5000)
    with Client(proxy.url, project=project, retries=2) as client:  # type: ignore[attr-defined]
        client.transport.sleep = lambda s: None
        with pytest.raises(ProvgraphError) as failure:
            client.register_model("mamba", files={"checkpoint": tmp_path / "ckpt.bin"})
    assert failure.value.message == (f"upload of {tmp_path / 'ckpt.bin'}: the service answered HTTP 500 "
                                     "(the service log has the details)")
    assert proxy.puts == 3 and no_models(service, project)


def test_a_service_going_away_mid_upload_is_reported_and_nothing_registered(
    proxy: type[Proxy], service: Service, project: str, tmp_path: Path,
) -> None:
    proxy.mode = "drop"
    (tmp_path / "ckpt.bin").write_bytes(b"w" * 3_000_000)
    with Client(proxy.url, project=project, retries=1) as client:  # type: ignore[attr-defined]
        client.transport.sleep = lambda s: None
        with client.start_run("train", capture=False) as run:
            with pytest.raises(Unavailable) as failure:
                run.log_model("mamba", files={"checkpoint": tmp_path / "ckpt.bin"})
    assert failure.value.message.startswith(f"upload of {tmp_path / 'ckpt.bin'}: cannot reach the provgraph service")
    assert failure.value.message.endswith("An upload through the service does not resume: run the same upload "
                                          "again to restart it from byte 0 (the service drops the partial bytes; "
                                          "parts left by a service crash are removed at its next start or "
                                          "`provgraph gc`)")
    assert proxy.puts == 2 and no_models(service, project)
    digest = client.uploader.digest(tmp_path / "ckpt.bin")[0]
    assert httpx.head(f"{service.url}/blobs/sha256/{digest}").status_code == 404


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    with running(tmp_path_factory.mktemp("guarded"), tokens="right-token") as found:
        yield found


def test_a_wrong_token_is_one_clear_message(guarded: Service, tmp_path: Path) -> None:
    with Client(guarded.url, token="wrong-token") as client:
        with pytest.raises(Unauthenticated) as failure:
            client.start_run("train", capture=False)
        assert failure.value.message == ("start run 'train': unknown token: check PROVGRAPH_TOKEN "
                                         "(set PROVGRAPH_TOKEN to a token the service accepts)")
        (tmp_path / "a.bin").write_bytes(b"a")
        with pytest.raises(Unauthenticated) as upload_failure:
            client.upload(tmp_path / "a.bin")
        assert upload_failure.value.message == (f"upload of {tmp_path / 'a.bin'}: the service answered HTTP 401 "
                                                "(set PROVGRAPH_TOKEN to a token the service accepts)")
    with Client(guarded.url, token="right-token") as client:
        assert client.runs() == []
        client.start_run("train", capture=False).finish()
        assert [r.name for r in client.runs()] == ["train"]
