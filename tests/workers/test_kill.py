"""A worker process SIGKILLed in the middle of a pass loses nothing: the next pass checks
exactly what the killed one had not recorded, and every blob ends checked once."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from provgraph.blobs import open_blob_store
from provgraph.blobs.content import ContentStore
from provgraph.graph import open_graph_store
from provgraph.workers.passes import PassOptions, run_pass

from ..conftest import blob_url, graph_url, wipe
from .test_passes import direct_uploads

pytestmark = pytest.mark.anyio
COUNT = 8


# Two plain parameters: the Neo4j test lock in tests/conftest.py looks for "neo4j" among them.
@pytest.mark.parametrize("graph_backend, blob_backend", [("sqlite", "local"), ("neo4j", "s3")])
async def test_a_killed_worker_loses_nothing(graph_backend: str, blob_backend: str, tmp_path: Path) -> None:
    urls = graph_url(graph_backend, tmp_path), blob_url(blob_backend, tmp_path)
    graph, content = open_graph_store(urls[0]), ContentStore(open_blob_store(urls[1]))
    await graph.open()
    await content.open()
    try:
        await wipe(graph)
        digests = await direct_uploads(graph, content, COUNT, 512 * 1024)
        worker = subprocess.Popen(
            [sys.executable, "-m", "provgraph.cli", "worker", "--once", "--batch", "1", "--bandwidth", "1M",
             "--recheck-after", "1", "--no-lineage", "--graph-url", urls[0], "--blob-url", urls[1]],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )

        async def verified() -> int:
            nodes = await graph.get_nodes([d.node_id for d in digests])
            return sum(n.props["status"] == "VERIFIED" for n in nodes.values())

        for _ in range(300):
            if await verified() >= 2 or worker.poll() is not None:
                break
            await asyncio.sleep(0.05)
        worker.send_signal(signal.SIGKILL)
        assert worker.wait(10) == -signal.SIGKILL  # killed, not finished
        done = await verified()
        report = await run_pass(graph, content, PassOptions(recheck_after=timedelta(hours=1)))
        nodes = await graph.get_nodes([d.node_id for d in digests])
        assert 2 <= done < COUNT and report.checked == COUNT - done
        assert [len(nodes[d.node_id].props["history"]) for d in digests] == [1] * COUNT
        assert {n.props["status"] for n in nodes.values()} == {"VERIFIED"}
    finally:
        await content.close()
        await graph.close()
