"""Client settings: read once from the environment (or given), then passed down."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from provgraph.errors import ConfigError

DEFAULT_URL = "http://127.0.0.1:8000"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}
# Where distributed launchers (torchrun, SLURM, Open MPI, MPICH/Intel MPI) put the rank.
RANK_VARIABLES = ("RANK", "SLURM_PROCID", "OMPI_COMM_WORLD_RANK", "PMI_RANK", "LOCAL_RANK")
SIZE_VARIABLES = ("WORLD_SIZE", "SLURM_NTASKS", "OMPI_COMM_WORLD_SIZE", "PMI_SIZE")


@dataclass(frozen=True)
class ClientSettings:
    """Where the service is and how to talk to it.

    ``PROVGRAPH_URL`` (default ``http://127.0.0.1:8000``), ``PROVGRAPH_TOKEN``,
    ``PROVGRAPH_PROJECT`` (default ``default``), ``PROVGRAPH_OFFLINE=1`` (journal every
    write locally; ``provgraph sync`` replays it), ``PROVGRAPH_CACHE_DIR`` (digest cache,
    offline journal and resume journal of direct uploads; default ``~/.cache/provgraph``)
    and ``PROVGRAPH_UPLOAD_CONCURRENCY`` (parts sent at once by a direct upload; 8).

    ``rank`` and ``world_size`` come from the launcher's variables (``RANK``,
    ``SLURM_PROCID``, ``OMPI_COMM_WORLD_RANK``, ``PMI_RANK``, ``LOCAL_RANK``, in that order;
    ``WORLD_SIZE``, ``SLURM_NTASKS``, ``OMPI_COMM_WORLD_SIZE``, ``PMI_SIZE``): only rank 0
    records runs unless ``PROVGRAPH_ALL_RANKS=1`` (``all_ranks``).
    """

    url: str = DEFAULT_URL
    token: str | None = None
    project: str = "default"
    offline: bool = False
    cache_dir: Path = Path("~/.cache/provgraph").expanduser()
    timeout_s: float = 60.0
    retries: int = 4
    upload_concurrency: int = 8
    rank: int = 0
    world_size: int = 1
    all_ranks: bool = False

    def __repr__(self) -> str:
        token = "**********" if self.token else None
        return f"ClientSettings(url={self.url!r}, token={token!r}, project={self.project!r}, offline={self.offline})"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ClientSettings:
        env = os.environ if environ is None else environ
        return cls(
            url=(env.get("PROVGRAPH_URL") or DEFAULT_URL).rstrip("/"),
            token=env.get("PROVGRAPH_TOKEN") or None,
            project=env.get("PROVGRAPH_PROJECT") or "default",
            offline=_flag(env, "PROVGRAPH_OFFLINE"),
            cache_dir=_cache_dir(env),
            upload_concurrency=_positive(env, "PROVGRAPH_UPLOAD_CONCURRENCY", 8),
            rank=_first_whole(env, RANK_VARIABLES, 0),
            world_size=_first_whole(env, SIZE_VARIABLES, 1),
            all_ranks=_flag(env, "PROVGRAPH_ALL_RANKS"),
        )


def _flag(env: Mapping[str, str], name: str) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ConfigError(f"{name}={env[name]!r} is not a boolean: use 1 or 0")


def _positive(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= 256:
        raise ConfigError(f"{name}={raw!r} is not a whole number from 1 to 256")
    return int(raw)


def _first_whole(env: Mapping[str, str], names: tuple[str, ...], default: int) -> int:
    """The first of ``names`` that is set, as a whole number (``ConfigError`` otherwise)."""
    for name in names:
        raw = env.get(name, "").strip()
        if raw:
            if not raw.isdigit():
                raise ConfigError(f"{name}={raw!r} is not a whole number")
            return int(raw)
    return default


def _cache_dir(env: Mapping[str, str]) -> Path:
    if env.get("PROVGRAPH_CACHE_DIR"):
        return Path(env["PROVGRAPH_CACHE_DIR"]).expanduser()
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "provgraph"
