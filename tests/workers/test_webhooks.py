"""Signed webhooks out of the outbox, against a real HTTP receiver on loopback: what a
deploy, rollback, status change and integrity verdict send, retries with backoff, giving
up, and the worker delivering them beside its cycles."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import pytest

from provgraph.blobs.content import ContentStore
from provgraph.config import Settings
from provgraph.graph import GraphStore
from provgraph.model import ModelStatus
from provgraph.registry import Registry
from provgraph.workers.notify import Notifier
from provgraph.workers.passes import run_pass
from provgraph.workers.scheduler import WorkerConfig, run_worker
from provgraph.workers.webhooks import WebhookSender

from .test_passes import inject_all
from .world import World

SECRET = "hook-secret"


class Receiver:
    """A real HTTP server that records each POST and answers the status codes queued."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.answers: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(receiver.answers.pop(0) if receiver.answers else 204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks?token=t0ken"

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body in self.received]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    hook = Receiver()
    thread = threading.Thread(target=hook.server.serve_forever, daemon=True)
    thread.start()
    yield hook
    hook.server.shutdown()
    hook.server.server_close()


async def states(graph: GraphStore) -> list[tuple[str, str, int]]:
    return [(d.event, state, d.attempts) for d, state, _ in await graph.webhook_outbox()]


pytestmark = pytest.mark.anyio


async def test_deploy_rollback_and_status_are_signed_posts(graph_store: GraphStore, receiver: Receiver) -> None:
    registry = Registry(graph_store, webhooks=[receiver.url])
    v1, v2 = [(await registry.register_model("m")).id for _ in range(2)]
    await registry.deploy(v1, actor="ci…")
    await registry.deploy(v2, note="better")
    await registry.rollback("m")
    assert receiver.received == []  # requests only write the outbox
    report = await WebhookSender(graph_store, [receiver.url], SECRET).deliver_due()
    assert report.delivered == 5 and report.failed == report.retrying == 0
    for headers, body in receiver.received:
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert headers["x-provgraph-signature"] == expected
        assert headers["x-provgraph-event"] == json.loads(body)["event"]
        assert headers["x-provgraph-delivery"] == json.loads(body)["id"]
    seen = sorted((b["model"]["seq"], b["event"], b["model"]["version"], b["model"]["action"],
                   b["model"]["to_status"]) for b in receiver.bodies())
    assert [s[1:] for s in seen] == [
        ("model.deployed", "v1", "DEPLOY", "DEPLOYED"),
        ("model.deployed", "v2", "DEPLOY", "DEPLOYED"),
        ("model.status_changed", "v1", "REPLACED", "DEPRECATED"),
        ("model.rolled_back", "v1", "ROLLBACK", "DEPLOYED"),
        ("model.status_changed", "v2", "REPLACED", "DEPRECATED"),
    ]
    deployed = next(b for b in receiver.bodies() if b["model"]["note"] == "better")
    assert deployed["model"]["replaces"] == v1 and deployed["model"]["environment"] == "production"
    assert {s for _, s, _ in await states(graph_store)} == {"DELIVERED"}
    # Nothing is sent twice.
    assert (await WebhookSender(graph_store, [receiver.url], SECRET).deliver_due()).delivered == 0
    await registry.set_model_status(v2, ModelStatus.ARCHIVED, note="gone")
    await WebhookSender(graph_store, [receiver.url]).deliver_due()
    headers, body = receiver.received[-1]
    assert "x-provgraph-signature" not in headers  # no secret configured: unsigned
    assert json.loads(body)["model"]["to_status"] == "ARCHIVED"


async def test_failures_retry_with_backoff_then_give_up(graph_store: GraphStore, receiver: Receiver) -> None:
    registry = Registry(graph_store, webhooks=[receiver.url])
    await registry.deploy((await registry.register_model("m")).id)
    sender = WebhookSender(graph_store, [receiver.url], backoff_s=0.2, max_attempts=3)
    receiver.answers = [500, 503]
    assert (await sender.deliver_due()).retrying == 1
    assert await states(graph_store) == [("model.deployed", "PENDING", 1)]
    assert (await sender.deliver_due()).retrying == 0  # backing off: not due yet
    await asyncio.sleep(0.25)
    assert (await sender.deliver_due()).retrying == 1
    await asyncio.sleep(0.45)
    assert (await sender.deliver_due()).delivered == 1
    assert await states(graph_store) == [("model.deployed", "DELIVERED", 3)]
    assert len(receiver.received) == 3 and len({b for _, b in receiver.received}) == 1  # the same body each time

    await registry.set_model_status((await registry.register_model("m")).id, ModelStatus.DEPRECATED)
    receiver.answers = [500] * 3
    for _ in range(3):
        await sender.deliver_due()
        await asyncio.sleep(0.45)
    failed = [(d.event, state, d.attempts, error) for d, state, error in await graph_store.webhook_outbox()
              if state != "DELIVERED"]
    assert failed == [("model.status_changed", "FAILED", 3, "the webhook answered HTTP 500")]


async def test_an_unreachable_receiver_never_blocks_or_fails_a_deploy(graph_store: GraphStore) -> None:
    dead = "http://127.0.0.1:9/unreachable"
    registry = Registry(graph_store, webhooks=[dead])
    node = await registry.deploy((await registry.register_model("m")).id)
    assert node.props["status"] == "DEPLOYED"
    assert [(d.event, state) for d, state, _ in await graph_store.webhook_outbox()] == [("model.deployed", "PENDING")]
    report = await WebhookSender(graph_store, [dead]).deliver_due()
    assert report.retrying == 1 and "unreachable" not in report.errors[0] and "9" not in report.errors[0].split(":")[0]


async def test_integrity_verdicts_are_delivered(
    graph_store: GraphStore, content: ContentStore, world: World, receiver: Receiver
) -> None:
    await inject_all(content)
    await run_pass(graph_store, content, notifier=Notifier(graph_store, webhooks=[receiver.url]))
    await WebhookSender(graph_store, [receiver.url], SECRET).deliver_due()
    (body,) = receiver.bodies()
    assert body["event"] == "integrity.verdict"
    assert sorted(f["status"] for f in body["findings"]) == ["CORRUPT", "CORRUPT", "CORRUPT", "MISSING"]


def test_the_worker_delivers_beside_its_cycles(tmp_path: Path, receiver: Receiver) -> None:
    settings = Settings(graph_url=f"sqlite:///{tmp_path}/graph.db", blob_url=f"file://{tmp_path}/blobs",
                        webhooks=(receiver.url,), webhook_secret=SECRET)

    async def scenario() -> None:
        from provgraph.graph import open_graph_store

        graph = open_graph_store(settings.graph_url)
        await graph.open()
        try:
            registry = Registry(graph, webhooks=settings.webhooks)
            await registry.deploy((await registry.register_model("m")).id)
        finally:
            await graph.close()
        config = WorkerConfig(interval_s=3600, lineage=False, verify=False, adopt=False, webhook_interval_s=0.1)
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(run_worker(settings, config), 1.5)

    asyncio.run(scenario())
    assert [b["event"] for b in receiver.bodies()] == ["model.deployed"]
