"""A 2 GiB blob through the real service on the real S3 server: stored and read back
identical while the service's memory stays flat (bounded by its part buffers, not by
the blob's size)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from benchmarks.bench_blob_stream import run

from ..backends import server_url

GiB = 1024 * 1024 * 1024
# Part buffers (8 MiB x (8 + 1) up, 2 MiB x 8 prefetched down) plus the malloc arenas of
# the S3 client's threads: bounded, and under a tenth of the blob, which memory that grew
# with the blob's size could not be.
FLAT_MIB = 192


@pytest.mark.timeout(600)
def test_2_gib_blob_streams_through_s3_with_flat_memory(tmp_path: Path) -> None:
    url = f"{server_url('blob')}/large-{os.getpid()}?create_bucket=true"
    result = run(2 * GiB, tmp_path, "provgraph.service.app:create_app", {"PROVGRAPH_BLOB_URL": url})
    assert result.status_put == 201 and result.digest_matches
    assert result.put_peak_rss_growth_mib < FLAT_MIB, result
    assert result.get_peak_rss_growth_mib < FLAT_MIB, result
