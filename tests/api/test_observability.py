"""``/metrics``, request ids and structured logs, through the real app (and a real
``provgraph serve`` for the log format), plus the worker's own exporter."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import AsyncIterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from provgraph.blobs import open_blob_store
from provgraph.blobs.content import ContentStore
from provgraph.digest import Digest
from provgraph.graph import open_graph_store
from provgraph.ids import utcnow
from provgraph.model import BlobStatus
from provgraph.logs import JsonFormatter, TextFormatter
from provgraph.telemetry import serve_metrics
from provgraph.workers.passes import run_pass

from .conftest import ClientFactory
from .support import TestClient, data, error
from .test_serve import free_port, wait_healthy

Labels = dict[str, str]


def sample(client: TestClient, name: str, **labels: str) -> float:
    """The value of one sample of ``GET /metrics`` (0 when it has none yet)."""
    response = client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    return value_in(response.text, name, labels)


def value_in(text: str, name: str, labels: Labels) -> float:
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return float(s.value)
    return 0.0


def test_metrics_count_graphql_operations_by_root_field_and_status(client: TestClient) -> None:
    ok = {"type": "mutation", "operation": "registerModel", "status": "ok"}
    missing = {"type": "query", "operation": "ancestors", "status": "NOT_FOUND"}
    before_ok, before_missing = (sample(client, "provgraph_graphql_operations_total", **ok),
                                 sample(client, "provgraph_graphql_operations_total", **missing))
    data(client, 'mutation Mine { registerModel(name: "m") { id } }')
    assert error(client, '{ ancestors(id: "nope:v1") { depth } }')[0] == "NOT_FOUND"
    assert sample(client, "provgraph_graphql_operations_total", **ok) == before_ok + 1
    assert sample(client, "provgraph_graphql_operations_total", **missing) == before_missing + 1
    # the client's operation name ("Mine") and unknown fields never become labels
    text = client.get("/metrics").text
    assert "Mine" not in text
    error(client, "{ noSuchField }")
    assert "noSuchField" not in client.get("/metrics").text
    assert sample(client, "provgraph_graphql_operation_duration_seconds_count", type="query",
                  operation="ancestors") >= 1


def test_metrics_count_http_requests_and_graph_store_calls(client: TestClient) -> None:
    labels = {"route": "/graphql", "method": "POST", "status": "200"}
    before = sample(client, "provgraph_http_requests_total", **labels)
    calls = sample(client, "provgraph_graph_store_duration_seconds_count", method="find_versions", outcome="ok")
    data(client, '{ node(id: "m:v1") { id } }')
    assert sample(client, "provgraph_http_requests_total", **labels) == before + 1
    assert sample(client, "provgraph_graph_store_duration_seconds_count", method="find_versions",
                  outcome="ok") == calls + 1
    assert sample(client, "provgraph_http_requests_total", route="/metrics", method="GET", status="200") >= 1
    unmatched = {"route": "<unmatched>", "method": "GET", "status": "404"}
    before = sample(client, "provgraph_http_requests_total", **unmatched)
    assert client.get("/no/such/path").status_code == 404
    assert sample(client, "provgraph_http_requests_total", **unmatched) == before + 1


def test_metrics_count_blob_bytes_in_and_out_and_upload_time(client: TestClient) -> None:
    body = os.urandom(5000)
    digest = hashlib.sha256(body).hexdigest()
    bytes_in, bytes_out = (sample(client, "provgraph_blob_bytes_total", direction=d) for d in ("in", "out"))
    stored = sample(client, "provgraph_blob_upload_duration_seconds_count", outcome="stored")
    failed = sample(client, "provgraph_blob_upload_duration_seconds_count", outcome="failed")
    assert client.put(f"/blobs/sha256/{digest}", content=body).status_code == 201
    assert client.put(f"/blobs/sha256/{'0' * 64}", content=body).status_code == 400  # wrong bytes
    assert sample(client, "provgraph_blob_bytes_total", direction="in") == bytes_in + 5000
    assert sample(client, "provgraph_blob_upload_duration_seconds_count", outcome="stored") == stored + 1
    assert sample(client, "provgraph_blob_upload_duration_seconds_count", outcome="failed") == failed + 1
    assert client.get(f"/blobs/sha256/{digest}").content == body
    assert len(client.get(f"/blobs/sha256/{digest}", headers={"Range": "bytes=0-9"}).content) == 10
    assert sample(client, "provgraph_blob_bytes_total", direction="out") == bytes_out + 5010


def test_request_ids_are_sent_back_and_kept_from_the_client(client: TestClient) -> None:
    generated = client.get("/livez").headers["x-request-id"]
    assert len(generated) == 32 and generated != client.get("/livez").headers["x-request-id"]
    assert client.get("/livez", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"] == "abc-123"
    forged = client.get("/livez", headers={"X-Request-ID": "a b\x7f" + "x" * 100}).headers["x-request-id"]
    assert forged != "a b\x7f" + "x" * 100 and len(forged) == 32


def test_access_lines_carry_request_id_operation_duration_and_status_in_json(
    make_client: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    client = make_client(auth_tokens={"s3cret-token-value": None})
    with caplog.at_level(logging.INFO, logger="provgraph.access"):
        response = client.post("/graphql", json={"query": '{ node(id: "x") { id } }'},
                               headers={"Authorization": "Bearer s3cret-token-value", "X-Request-ID": "rid-1"})
    assert response.status_code == 200
    (record,) = [r for r in caplog.records if r.name == "provgraph.access"]
    line = json.loads(JsonFormatter(["s3cret-token-value"]).format(record))
    assert line["request_id"] == "rid-1" and line["logger"] == "provgraph.access" and line["level"] == "INFO"
    assert (line["method"], line["path"], line["route"], line["status"]) == ("POST", "/graphql", "/graphql", 200)
    assert line["operation"] == "query:node" and line["graphql_status"] == "ok"
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] > 0
    text = TextFormatter().format(record)
    assert "request_id=rid-1" in text and "operation=query:node" in text


def test_formatters_mask_tokens_and_bearer_credentials() -> None:
    record = logging.makeLogRecord({"name": "x", "levelno": logging.WARNING, "levelname": "WARNING",
                                    "msg": "header was %s, token tok-123 again",
                                    "args": ("Authorization: Bearer abc.def",)})
    for formatter in (JsonFormatter(["tok-123"]), TextFormatter(["tok-123"])):
        out = formatter.format(record)
        assert "abc.def" not in out and "tok-123" not in out and "Bearer **********" in out, out


def test_serve_writes_one_json_object_per_line_without_tokens(tmp_path: Path) -> None:
    port, token = free_port(), "tok-never-logged-42"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROVGRAPH_")}
    env.update(PROVGRAPH_LOG_FORMAT="json", PROVGRAPH_AUTH_TOKENS=token)
    process = subprocess.Popen([sys.executable, "-m", "provgraph.cli", "serve", "--port", str(port)],
                               cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_healthy(f"http://127.0.0.1:{port}/livez", process)
        answer = httpx.post(f"http://127.0.0.1:{port}/graphql", json={"query": "{ models { edges { cursor } } }"},
                            headers={"Authorization": f"Bearer {token}", "X-Request-ID": "req-7"}, timeout=10.0)
        assert answer.status_code == 200
        assert httpx.post(f"http://127.0.0.1:{port}/graphql", json={"query": "{ __typename }"},
                          headers={"Authorization": "Bearer wrong-token-99"}, timeout=10.0).status_code == 401
    finally:
        process.send_signal(signal.SIGINT)
        output = process.communicate(timeout=30)[0].decode()
    lines = [json.loads(line) for line in output.splitlines() if line.strip()]  # every line is JSON
    assert token not in output and "wrong-token-99" not in output
    (access,) = [entry for entry in lines if entry.get("request_id") == "req-7"]
    assert access["operation"] == "query:models" and access["status"] == 200 and access["route"] == "/graphql"
    assert any(entry.get("logger") == "uvicorn.error" for entry in lines)
    assert not any(entry.get("logger") == "uvicorn.access" for entry in lines)


async def _pass_on_fresh_stores(tmp_path: Path) -> None:
    graph = open_graph_store(f"sqlite:///{tmp_path / 'w.db'}")
    content = ContentStore(open_blob_store(f"file://{tmp_path / 'wb'}"))
    await graph.open()
    await content.open()
    try:
        body = b"worker metrics"
        digest = Digest(hashlib.sha256(body).hexdigest())
        await content.put_stream(digest, _chunks(body), len(body))
        await graph.record_blob(digest, len(body), BlobStatus.PENDING, utcnow(), "test")
        await run_pass(graph, content)
    finally:
        await content.close()
        await graph.close()


async def _chunks(body: bytes) -> AsyncIterator[bytes]:
    yield body


@pytest.mark.anyio
async def test_worker_exposes_pass_results_on_its_own_port(tmp_path: Path) -> None:
    port = free_port()
    stop = serve_metrics(port, "127.0.0.1")
    try:
        url = f"http://127.0.0.1:{port}/metrics"
        before = httpx.get(url).text
        await _pass_on_fresh_stores(tmp_path)
        after = httpx.get(url).text
    finally:
        stop()
    for name, labels in (("provgraph_worker_checks_total", {"status": "VERIFIED"}),
                         ("provgraph_worker_passes_total", {"mode": "full", "outcome": "ok"}),
                         ("provgraph_blob_verify_duration_seconds_count", {"mode": "full"})):
        assert value_in(after, name, labels) == value_in(before, name, labels) + 1, name
    assert value_in(after, "provgraph_worker_last_pass_timestamp_seconds", {"outcome": "ok"}) > 0


def test_worker_lines_are_json_objects_with_level_and_time_in_json_format(capsys: pytest.CaptureFixture[str]) -> None:
    from provgraph.config import Settings
    from provgraph.verify import log_event
    from provgraph.workers.cli import setup_logging

    setup_logging(Settings(graph_url="sqlite:///x", blob_url="file:///x", log_format="json"))
    try:
        log_event(logging.WARNING, "finding", digest="ab" * 32)
        logging.getLogger("provgraph.workers").info("plain %s", "text")
    finally:
        setup_logging()  # back to the plain format for the other tests
    first, second = (json.loads(line) for line in capsys.readouterr().err.splitlines()[-2:])
    assert first["event"] == "finding" and first["level"] == "WARNING" and "ts" in first
    assert second["message"] == "plain text" and second["logger"] == "provgraph.workers"
