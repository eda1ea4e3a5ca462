"""Which real servers the backend suites run against.

``make test`` starts Neo4j and an S3 server (scripts/services.sh) and writes their
addresses to ``.provgraph/services.env``; the suites read that file (or the same
variables from the environment). Without them the Neo4j and S3 cases fail with a clear
message: a local run may leave them out only by setting ``PROVGRAPH_TEST_BACKENDS=embedded``,
and each left-out case then shows as skipped, with that reason, in the test summary.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ENV_FILE = Path(__file__).resolve().parents[1] / ".provgraph" / "services.env"
OPT_OUT = "PROVGRAPH_TEST_BACKENDS"


def _services_env() -> dict[str, str]:
    values: dict[str, str] = {}
    if ENV_FILE.exists():
        for line in ENV_FILE.read_text().splitlines():
            key, sep, value = line.partition("=")
            if sep and not line.lstrip().startswith("#"):
                values[key.strip()] = value.strip()
    for key in ("PROVGRAPH_TEST_GRAPH_URL", "PROVGRAPH_TEST_BLOB_URL", "AWS_ENDPOINT_URL",
                "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"):
        if key in os.environ:
            values[key] = os.environ[key]
    return values


SERVICES = _services_env()


def server_url(kind: str) -> str:
    """The URL of the real server for ``kind`` ("graph" or "blob"), or fail/skip."""
    url = SERVICES.get(f"PROVGRAPH_TEST_{kind.upper()}_URL") or SERVICES.get(f"PROVGRAPH_{kind.upper()}_URL")
    if url:
        return url
    if os.environ.get(OPT_OUT) == "embedded":
        pytest.skip(f"{OPT_OUT}=embedded: {kind} backend suites on real servers left out of this run")
    pytest.fail(f"no real {kind} server: run `make test` (or `make services`), which starts them; "
                f"{OPT_OUT}=embedded runs the embedded backends only", pytrace=False)


def aws_environment() -> dict[str, str]:
    return {k: v for k, v in SERVICES.items() if k.startswith("AWS_")}
