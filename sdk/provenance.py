"""What a run records about where it ran: git state, environment and GPUs.

Each part is optional and never fatal: a part that cannot be captured is recorded with
the reason (``{"available": false, "reason": …}``) and the run goes on.
"""

from __future__ import annotations

import logging
import os
import platform
import socket
import sys
from importlib import metadata
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit, urlunsplit

logger = logging.getLogger("provgraph.sdk")
Upload = Callable[[bytes, str], str]  # bytes, label → hex digest


def capture(upload_patch: Upload | None, cwd: Path | None = None) -> dict[str, Any]:
    """Git, environment and GPUs, each captured independently."""
    return {
        "git": _guarded("git", lambda: capture_git(cwd or Path.cwd(), upload_patch)),
        "environment": _guarded("environment", capture_environment),
        "gpus": _guarded("gpus", capture_gpus),
    }


def _guarded(part: str, fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    try:
        return fn()
    except Exception as exc:  # capture is best effort: record why, never fail the run
        logger.warning("provgraph: could not capture %s: %s", part, exc)
        return {"available": False, "reason": f"{type(exc).__name__}: {exc}"}


def strip_credentials(url: str) -> str:
    """A remote URL without user:password (https://token@host/… → https://host/…)."""
    parts = urlsplit(url)
    if not parts.scheme or parts.password is None and parts.scheme in ("ssh", "git"):
        return url
    host = parts.hostname or ""
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def capture_git(cwd: Path, upload_patch: Upload | None) -> dict[str, Any]:
    try:
        import git
    except ImportError as exc:
        return {"available": False, "reason": f"GitPython unavailable: {exc}"}
    try:
        repo = git.Repo(cwd, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return {"available": False, "reason": f"{cwd} is not inside a git repository"}
    with repo:
        return _repo_state(repo, upload_patch)


def _repo_state(repo: Any, upload_patch: Upload | None) -> dict[str, Any]:
    head_valid = repo.head.is_valid()
    remote = next(iter(repo.remotes), None)
    state: dict[str, Any] = {
        "available": True,
        "root": repo.working_tree_dir,
        "commit": repo.head.commit.hexsha if head_valid else None,
        "branch": None if repo.head.is_detached else repo.active_branch.name,
        "remote": strip_credentials(next(iter(remote.urls))) if remote is not None else None,
        "dirty": repo.is_dirty(untracked_files=False),
        "untracked": repo.untracked_files[:100],
    }
    if state["dirty"]:
        logger.warning("provgraph: the git tree at %s has uncommitted changes; their diff is recorded "
                       "with the run", repo.working_tree_dir)
        patch = repo.git.diff("HEAD" if head_valid else "--cached") + "\n"
        state["patch_bytes"] = len(patch.encode())
        if upload_patch is not None:
            state["patch_digest"] = upload_patch(patch.encode(), "git diff HEAD")
    return state


def capture_environment() -> dict[str, Any]:
    packages = {d.metadata["Name"]: d.version for d in metadata.distributions() if d.metadata["Name"]}
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "executable": sys.executable,
        "platform": platform.platform(),
        "machine": platform.machine(),
        "hostname": socket.gethostname(),
        "cpu_count": os.cpu_count(),
        "memory_bytes": _memory_bytes(),
        "command": [sys.executable, *sys.argv],
        "cwd": os.getcwd(),
        "packages": dict(sorted(packages.items(), key=lambda kv: kv[0].lower())),
    }


def _memory_bytes() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def capture_gpus() -> dict[str, Any]:
    """NVIDIA GPUs through NVML (``pynvml`` from nvidia-ml-py); absence is recorded."""
    try:
        import pynvml
    except ImportError:
        return {"available": False, "reason": "pynvml is not installed (pip install nvidia-ml-py)"}
    try:
        pynvml.nvmlInit()
    except Exception as exc:  # pynvml.NVMLError and OSError from a missing library
        return {"available": False, "reason": f"NVML unavailable: {exc}"}
    try:
        count = pynvml.nvmlDeviceGetCount()
        info: dict[str, Any] = {
            "available": count > 0,
            "driver_version": _text(pynvml.nvmlSystemGetDriverVersion()),
            "cuda_version": _cuda(pynvml.nvmlSystemGetCudaDriverVersion()),
            "count": count,
            "devices": [_device(pynvml, i) for i in range(count)],
        }
        if count == 0:
            info["reason"] = "NVML found no NVIDIA GPU"
        return info
    finally:
        pynvml.nvmlShutdown()


def _device(pynvml: Any, index: int) -> dict[str, Any]:
    handle = pynvml.nvmlDeviceGetHandleByIndex(index)
    memory = pynvml.nvmlDeviceGetMemoryInfo(handle)
    device: dict[str, Any] = {
        "index": index,
        "name": _text(pynvml.nvmlDeviceGetName(handle)),
        "uuid": _text(pynvml.nvmlDeviceGetUUID(handle)),
        "memory_total_bytes": int(memory.total),
        "memory_used_bytes": int(memory.used),
    }
    try:
        rates = pynvml.nvmlDeviceGetUtilizationRates(handle)
        device["utilization_gpu_percent"] = int(rates.gpu)
        device["utilization_memory_percent"] = int(rates.memory)
    except Exception as exc:  # some GPUs (MIG slices) do not report utilisation
        device["utilization"] = f"unavailable: {exc}"
    return device


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _cuda(version: int) -> str:
    """NVML's integer CUDA version (12040) as text (12.4)."""
    return f"{version // 1000}.{version % 1000 // 10}"
