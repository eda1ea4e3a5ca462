"""Provenance captured at run start: git, environment, GPUs (each optional, never fatal)."""

from __future__ import annotations

import logging
import platform
import sys
import types
from pathlib import Path
from typing import Any

import httpx
import pytest

from provgraph.sdk import Client
from provgraph.sdk.provenance import capture_gpus, strip_credentials

from .conftest import git
from .service import Service


def test_git_state_is_recorded_and_a_dirty_tree_uploads_its_diff(
    client: Client, service: Service, repo: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    (repo / "train.py").write_text("print('train harder')\n")
    (repo / "notes.txt").write_text("untracked\n")
    with caplog.at_level(logging.WARNING, "provgraph.sdk"):
        with client.start_run("train") as run:
            pass
    provenance = client.get(run.id).provenance  # type: ignore[attr-defined]
    found = provenance["git"]
    assert {k: found[k] for k in ("available", "root", "commit", "branch", "remote", "dirty", "untracked")} == {
        "available": True, "root": str(repo), "commit": git(repo, "rev-parse", "HEAD").strip(), "branch": "main",
        "remote": "https://git.example.com/team/model.git", "dirty": True, "untracked": ["notes.txt"]}
    patch = httpx.get(f"{service.url}/blobs/sha256/{found['patch_digest']}").text
    assert patch == git(repo, "diff", "HEAD")
    assert "+print('train harder')" in patch
    assert f"the git tree at {repo} has uncommitted changes" in caplog.text


def test_a_clean_tree_records_no_patch_and_no_warning(client: Client, repo: Path,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, "provgraph.sdk"):
        run = client.start_run("train")
        run.finish()
    found = client.get(run.id).provenance["git"]  # type: ignore[attr-defined]
    assert (found["dirty"], "patch_digest" in found, caplog.text) == (False, False, "")


def test_outside_git_the_reason_is_recorded(client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    run = client.start_run("train")
    run.finish()
    assert client.get(run.id).provenance["git"] == {  # type: ignore[attr-defined]
        "available": False, "reason": f"{tmp_path} is not inside a git repository"}


def test_environment_names_python_host_and_packages(client: Client, repo: Path) -> None:
    run = client.start_run("train")
    run.finish()
    env = client.get(run.id).provenance["environment"]  # type: ignore[attr-defined]
    assert (env["python"], env["platform"], env["command"][0]) == (platform.python_version(), platform.platform(),
                                                                   sys.executable)
    assert env["cpu_count"] >= 1 and env["memory_bytes"] > 0 and env["hostname"]
    assert env["packages"]["httpx"] == httpx.__version__ and "GitPython" in env["packages"]


def test_no_gpu_here_is_recorded_with_the_reason(client: Client, repo: Path) -> None:
    run = client.start_run("train")
    run.finish()
    gpus = client.get(run.id).provenance["gpus"]  # type: ignore[attr-defined]
    assert gpus["available"] is False
    assert gpus["reason"].startswith(("NVML unavailable: ", "NVML found no NVIDIA GPU"))


def fake_nvml() -> types.ModuleType:
    module = types.ModuleType("pynvml")
    memory = types.SimpleNamespace(total=150_000_000_000, used=1_000_000)
    calls: list[str] = []
    functions: dict[str, Any] = {
        "nvmlInit": lambda: calls.append("init"), "nvmlShutdown": lambda: calls.append("shutdown"),
        "nvmlDeviceGetCount": lambda: 1, "nvmlSystemGetDriverVersion": lambda: b"560.35.03",
        "nvmlSystemGetCudaDriverVersion": lambda: 12060, "nvmlDeviceGetHandleByIndex": lambda i: f"h{i}",
        "nvmlDeviceGetName": lambda h: "NVIDIA H200", "nvmlDeviceGetUUID": lambda h: "GPU-1234",
        "nvmlDeviceGetMemoryInfo": lambda h: memory,
        "nvmlDeviceGetUtilizationRates": lambda h: types.SimpleNamespace(gpu=37, memory=12),
    }
    module.__dict__.update(functions, calls=calls)
    return module


def test_nvml_answers_become_the_gpu_record(monkeypatch: pytest.MonkeyPatch) -> None:
    module = fake_nvml()
    monkeypatch.setitem(sys.modules, "pynvml", module)
    assert capture_gpus() == {
        "available": True, "driver_version": "560.35.03", "cuda_version": "12.6", "count": 1,
        "devices": [{"index": 0, "name": "NVIDIA H200", "uuid": "GPU-1234", "memory_total_bytes": 150_000_000_000,
                     "memory_used_bytes": 1_000_000, "utilization_gpu_percent": 37, "utilization_memory_percent": 12}],
    }
    assert module.calls == ["init", "shutdown"]


def test_missing_pynvml_is_recorded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", None)
    assert capture_gpus() == {"available": False, "reason": "pynvml is not installed (pip install nvidia-ml-py)"}


@pytest.mark.parametrize(("url", "stripped"), [
    ("https://alice:tok@github.com/a/b.git", "https://github.com/a/b.git"),
    ("https://ghp_token@github.com:8443/a/b.git", "https://github.com:8443/a/b.git"),
    ("git@github.com:a/b.git", "git@github.com:a/b.git"),
    ("ssh://git@host/a/b.git", "ssh://git@host/a/b.git"),
])
def test_remote_credentials_are_stripped(url: str, stripped: str) -> None:
    assert strip_credentials(url) == stripped
