"""Client-only smoke test of an installed wheel (run by scripts/dist.sh in a fresh venv
that has the wheel and its base dependencies only, no server extra)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

SERVER_ONLY = ("starlette", "strawberry", "neo4j", "boto3", "uvicorn", "orjson")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    cli = shutil.which("provgraph", path=str(Path(sys.executable).parent))
    assert cli, "no provgraph script in the venv"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROVGRAPH_")}
    return subprocess.run([cli, *args], capture_output=True, text=True, timeout=60, env=env, cwd="/")


def main(version: str) -> None:
    present = [m for m in SERVER_ONLY if importlib.util.find_spec(m) is not None]
    assert not present, f"server modules installed without the extra: {present}"
    import provgraph
    import provgraph.sdk

    assert "site-packages" in (provgraph.__file__ or ""), provgraph.__file__
    assert provgraph.Client is not None and provgraph.track is not None
    help_ = run("--help")
    assert help_.returncode == 0 and "serve" in help_.stdout and "lineage" in help_.stdout, help_
    got = run("--version")
    assert (got.returncode, got.stdout) == (0, f"provgraph {version}\n"), got
    serve = run("serve")
    assert serve.returncode == 1 and "pip install 'provgraph[server]'" in serve.stderr, serve
    print(f"smoke: provgraph {version} from {provgraph.__file__}: import, --help, --version, serve hint ok")


if __name__ == "__main__":
    main(sys.argv[1])
