"""integrityReport: counts by status, bad blobs, and every artifact downstream of them."""

from __future__ import annotations

from typing import Any

from provgraph.digest import Digest
from provgraph.ids import utcnow
from provgraph.model import BlobStatus

from .scenario import A, C1, Scenario, build
from .support import TestClient, data, services

REPORT = """query($p: String) { integrityReport(project: $p) {
  counts { status count } corrupt { id digest status } missing { id } affected { id kind } } }"""


def counts(report: dict[str, Any]) -> dict[str, int]:
    return {c["status"]: c["count"] for c in report["counts"]}


def record(client: TestClient, digest: str, size: int, status: BlobStatus) -> None:
    graph = services(client).graph
    client.portal.call(graph.record_blob, Digest(digest), size, status, utcnow(), "test")  # type: ignore[union-attr]


def test_fresh_store_is_all_zero(client: TestClient) -> None:
    report = data(client, REPORT)["integrityReport"]
    assert report == {
        "counts": [{"status": s, "count": 0} for s in ("PENDING", "VERIFIED", "CORRUPT", "MISSING")],
        "corrupt": [], "missing": [], "affected": [],
    }


def test_pending_blob_is_counted(client: TestClient) -> None:
    query = 'mutation { registerModel(name: "m", files: [{path: "ckpt", digest: "%s", size: 3}]) { id } }' % A
    data(client, query)
    report = data(client, REPORT)["integrityReport"]
    assert counts(report) == {"PENDING": 1, "VERIFIED": 0, "CORRUPT": 0, "MISSING": 0}
    assert (report["corrupt"], report["missing"], report["affected"]) == ([], [], [])


def test_corrupt_blob_lists_what_it_affects(client: TestClient) -> None:
    s: Scenario = build(client)
    record(client, C1, 3_000_000_000, BlobStatus.CORRUPT)
    record(client, A, 10, BlobStatus.VERIFIED)
    report = data(client, REPORT)["integrityReport"]
    assert counts(report) == {"PENDING": 2, "VERIFIED": 1, "CORRUPT": 1, "MISSING": 0}
    assert report["corrupt"] == [{"id": f"sha256:{C1}", "digest": C1, "status": "CORRUPT"}]
    assert report["missing"] == []
    assert [a["id"] for a in report["affected"]] == [s.v1] + sorted([s.run2, s.v2]) + [s.evaluation]
    assert data(client, REPORT, {"p": "elsewhere"})["integrityReport"]["affected"] == []
