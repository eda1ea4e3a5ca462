"""``provgraph worker`` / ``provgraph gc`` end to end on the embedded default, the
webhook, and the long-running scheduler."""

from __future__ import annotations

import asyncio
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import pytest

from provgraph import cli
from provgraph.blobs import open_blob_store
from provgraph.blobs.content import ContentStore
from provgraph.config import Settings
from provgraph.graph import GraphStore, open_graph_store
from provgraph.workers.notify import Notifier
from provgraph.workers.passes import run_pass
from provgraph.workers.scheduler import WorkerConfig, run_worker

from .test_passes import ORPHAN, fault_details, inject_all
from .world import BYTES, DIGESTS, World, build, overwrite

Urls = tuple[str, str]


@pytest.fixture
def urls(tmp_path: Path) -> Urls:
    return f"sqlite:///{tmp_path}/graph.db", f"file://{tmp_path}/blobs"


async def _prepare(urls: Urls, faults: bool) -> World:
    graph, content = open_graph_store(urls[0]), ContentStore(open_blob_store(urls[1]))
    await graph.open()
    await content.open()
    try:
        world = await build(graph, content)
        if faults:
            await inject_all(content)
        return world
    finally:
        await content.close()
        await graph.close()


def prepare(urls: Urls, faults: bool = True) -> World:
    return asyncio.run(_prepare(urls, faults))


def events(stderr: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]


def test_worker_once_reports_findings(urls: Urls, capsys: pytest.CaptureFixture[str]) -> None:
    prepare(urls)
    assert cli.main(["worker", "--once", "--graph-url", urls[0], "--blob-url", urls[1]]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert re.fullmatch(r"verify \(full, shard 0/1\): 6 blobs checked \(2 VERIFIED, 3 CORRUPT, 1 MISSING\) in \d+\.\d s",
                        lines[0]), lines[0]
    details = fault_details()
    assert sorted(lines[1:5]) == sorted(f"  {'MISSING' if n == 'C' else 'CORRUPT'} sha256:{DIGESTS[n].hex}: {details[n]}"
                                        for n in "CEFG")
    assert lines[5:] == ["lineage: 0 DERIVED_FROM cycles, 0 dangling edges, 0 stale runs (0 newly marked), "
                         "0 artifacts without files"]
    found = [(e["event"], e["digest"]) for e in events(err) if e["event"].startswith("blob_")]
    assert sorted(found) == sorted([("blob_missing", DIGESTS["C"].hex)] + [("blob_corrupt", DIGESTS[n].hex) for n in "EFG"])
    assert [e["event"] for e in events(err)][-2:] == ["pass_finished", "lineage_checked"]


def test_worker_flags_are_checked(urls: Urls, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["worker", "--once", "--delete", "--graph-url", urls[0], "--blob-url", urls[1]]) == 1
    assert capsys.readouterr().err == ("provgraph worker: --delete removes orphans found by --gc: give both, "
                                       "or use `provgraph gc --delete`\n")
    for bad, message in (["--shard", "2/2"], "invalid shard 2/2"), (["--bandwidth", "fast"], "is not a rate"):
        with pytest.raises(SystemExit) as exit_:
            cli.main(["worker", *bad])
        assert exit_.value.code == 2 and message in capsys.readouterr().err


def test_gc_reports_then_deletes(urls: Urls, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    prepare(urls)
    orphan = next((tmp_path / "blobs" / "sha256").rglob("*"), None)
    assert orphan is not None
    args = ["gc", "--grace-hours", "0", "--graph-url", urls[0], "--blob-url", urls[1]]
    assert cli.main(args) == 0
    out = capsys.readouterr().out.splitlines()
    import hashlib
    orphan_hex = hashlib.sha256(ORPHAN).hexdigest()
    assert out == ["gc: 6 objects, 1 orphans, 0 young orphans, 0 deleted, 1 referenced without bytes, "
                   "0 unreferenced nodes without bytes, 0 foreign keys, 0 aborted uploads (report)",
                   f"  orphan sha256:{orphan_hex} ({len(ORPHAN)} bytes, unregistered)"]
    path = tmp_path / "blobs" / "sha256" / orphan_hex[:2] / orphan_hex[2:4] / orphan_hex
    assert path.exists()
    assert cli.main([*args, "--delete"]) == 0
    assert "1 deleted" in capsys.readouterr().out and not path.exists()


class Hook(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Hook.received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def hook() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    Hook.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/alerts"
    server.shutdown()
    server.server_close()


@pytest.mark.anyio
async def test_webhook_gets_each_change_with_what_it_affects(
    graph_store: GraphStore, content: ContentStore, world: World, hook: str
) -> None:
    await inject_all(content)
    notifier = Notifier(graph_store, hook)
    await run_pass(graph_store, content, notifier=notifier)
    await run_pass(graph_store, content, notifier=notifier)  # nothing changed: no second alert
    assert len(Hook.received) == 1
    findings = {f["digest"]: f for f in Hook.received[0]["findings"]}
    assert {world.label(DIGESTS[n].node_id): findings[DIGESTS[n].hex]["status"] for n in "CEFG"} == {
        "C": "MISSING", "E": "CORRUPT", "F": "CORRUPT", "G": "CORRUPT"}
    affected = {world.label(DIGESTS[n].node_id): [(world.label(a["id"]), a["depth"]) for a in findings[DIGESTS[n].hex]["affected"]]
                for n in "CEFG"}
    assert affected == {"C": [("v1", 1), ("v2", 2), ("evaluation", 3)], "E": [("v2", 1), ("evaluation", 2)],
                        "G": [("evaluation", 1)], "F": [("other", 1)]}
    await overwrite(content.store, DIGESTS["E"].key, BYTES["E"])  # repaired
    await run_pass(graph_store, content, notifier=notifier)
    assert [(f["digest"], f["previous"], f["status"]) for f in Hook.received[1]["findings"]] == [
        (DIGESTS["E"].hex, "CORRUPT", "VERIFIED")]


@pytest.mark.anyio
async def test_a_failing_webhook_never_stops_a_pass(
    graph_store: GraphStore, content: ContentStore, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    await inject_all(content)
    notifier = Notifier(graph_store, "http://127.0.0.1:9/unreachable")
    report = await run_pass(graph_store, content, notifier=notifier)
    assert report.checked == 6 and notifier.sent == 0
    failures = [json.loads(r.message) for r in caplog.records if '"webhook_failed"' in r.message]
    assert len(failures) == 1 and "unreachable" not in failures[0]["error"]


def test_the_scheduler_cycles_until_stopped(urls: Urls, caplog: pytest.LogCaptureFixture) -> None:
    prepare(urls, faults=False)
    settings = Settings(graph_url=urls[0], blob_url=urls[1])

    async def a_while() -> None:
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(run_worker(settings, WorkerConfig(interval_s=0.3, lineage=False, pending_interval_s=10.0)), 1.0)

    caplog.set_level("INFO", "provgraph")
    asyncio.run(a_while())
    passes = [json.loads(r.message) for r in caplog.records if '"pass_finished"' in r.message]
    assert 3 <= len(passes) <= 4 and all(p["checked"] == 6 for p in passes)
