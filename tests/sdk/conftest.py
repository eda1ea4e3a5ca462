"""Fixtures of the SDK suite: the real service (one per session), a client on a fresh
project and cache per test, and a throwaway git repository as the working directory."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path
from typing import Iterator

import pytest

from provgraph.sdk import Client
from provgraph.sdk.settings import RANK_VARIABLES, SIZE_VARIABLES

from .service import Service, running

REMOTE = "https://alice:s3cret-token@git.example.com/team/model.git"


@pytest.fixture(scope="session")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    with running(tmp_path_factory.mktemp("service")) as found:
        yield found


@pytest.fixture
def project() -> str:
    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture(autouse=True)
def _client_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # A test run inside a SLURM or torchrun job must not become a non-recording rank.
    for name in ("PROVGRAPH_URL", "PROVGRAPH_TOKEN", "PROVGRAPH_OFFLINE", "PROVGRAPH_PROJECT", "PROVGRAPH_ALL_RANKS",
                 *RANK_VARIABLES, *SIZE_VARIABLES):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PROVGRAPH_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def client(service: Service, project: str) -> Iterator[Client]:
    with Client(service.url, project=project) as found:
        yield found


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repository with one commit on ``main`` and an origin with credentials; the
    test runs inside it."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "t@example.com")
    git(root, "config", "user.name", "T")
    (root / "train.py").write_text("print('train')\n")
    git(root, "add", "train.py")
    git(root, "commit", "-q", "-m", "first")
    git(root, "remote", "add", "origin", REMOTE)
    monkeypatch.chdir(root)
    return root
