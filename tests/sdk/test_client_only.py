"""The SDK imports without the server's dependencies (a client-only install)."""

from __future__ import annotations

import subprocess
import sys

SERVER_MODULES = ("starlette", "strawberry", "neo4j", "boto3", "botocore", "uvicorn", "graphql")


def test_importing_the_sdk_loads_no_server_module() -> None:
    code = ("import sys, provgraph, provgraph.sdk, provgraph.sdk.commands; provgraph.Client; provgraph.track; "
            f"print(sorted(m for m in sys.modules if m.split('.')[0] in {SERVER_MODULES!r}))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout == "[]\n"
