"""System metrics over time: CPU, memory and GPUs sampled into a run's metric history.

``run.sample_system(every_s)`` (or ``start_run(..., system_metrics=every_s)``) starts a
daemon thread that logs, every ``every_s`` seconds until the run finishes:

- ``system/cpu_percent``, ``system/memory_percent``, ``system/memory_used_gb`` and
  ``system/process_rss_gb`` (psutil);
- per GPU ``i``: ``system/gpu{i}/utilization_percent``, ``system/gpu{i}/memory_used_gb``
  and ``system/gpu{i}/memory_percent`` (NVML through ``pynvml``).

Sampling is never fatal: without NVML (no driver, no GPU) the GPU part is off and silent;
any other failure is logged at debug level and that source is dropped, never raised into
the training script.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from provgraph.errors import BadInput

if TYPE_CHECKING:
    from provgraph.sdk.run import Run

logger = logging.getLogger("provgraph.sdk")
GB = 2**30


def check_interval(every_s: float) -> float:
    """``every_s`` when it is a number of seconds above 0 (``BadInput`` otherwise)."""
    if isinstance(every_s, bool) or not isinstance(every_s, (int, float)) or not every_s > 0:
        raise BadInput(f"system metrics every {every_s!r} s: give a number of seconds above 0")
    return every_s


def load_nvml() -> Any | None:
    """``pynvml``, initialised, or None when NVML cannot be used here."""
    try:
        import pynvml

        pynvml.nvmlInit()
        return pynvml
    except Exception:  # ImportError, pynvml.NVMLError, OSError from a missing library
        return None


def load_psutil() -> Any | None:
    try:
        import psutil
    except ImportError:
        return None
    return psutil


def host_metrics(psutil: Any) -> dict[str, float]:
    """CPU and memory of the machine, and this process's resident memory."""
    memory = psutil.virtual_memory()
    return {
        "system/cpu_percent": float(psutil.cpu_percent(interval=None)),
        "system/memory_percent": float(memory.percent),
        "system/memory_used_gb": memory.used / GB,
        "system/process_rss_gb": psutil.Process().memory_info().rss / GB,
    }


def gpu_metrics(nvml: Any) -> dict[str, float]:
    """Utilisation and memory of every GPU NVML reports."""
    found: dict[str, float] = {}
    for index in range(nvml.nvmlDeviceGetCount()):
        handle = nvml.nvmlDeviceGetHandleByIndex(index)
        memory = nvml.nvmlDeviceGetMemoryInfo(handle)
        prefix = f"system/gpu{index}"
        found[f"{prefix}/utilization_percent"] = float(nvml.nvmlDeviceGetUtilizationRates(handle).gpu)
        found[f"{prefix}/memory_used_gb"] = memory.used / GB
        found[f"{prefix}/memory_percent"] = 100.0 * memory.used / memory.total if memory.total else 0.0
    return found


class SystemSampler:
    """Samples host and GPU use into ``run`` every ``every_s`` seconds on a daemon thread.

    ``nvml`` and ``psutil`` default to the real modules (each None when unavailable);
    ``sample_once`` takes one sample in the caller's thread.
    """

    def __init__(self, run: Run, every_s: float = 10.0, *, nvml: Any | None = None,
                 psutil: Any | None = None) -> None:
        self.run, self.every_s = run, every_s
        self.nvml = load_nvml() if nvml is None else nvml
        self.psutil = load_psutil() if psutil is None else psutil
        self.samples = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if self.psutil is not None:
            self._guard("psutil", lambda: self.psutil.cpu_percent(interval=None))  # primes the CPU counter

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="provgraph-system", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop sampling (waits for a sample in progress); safe to call twice."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=30)
        if self.nvml is not None:
            self._guard("nvml", self.nvml.nvmlShutdown)
            self.nvml = None

    def sample_once(self) -> dict[str, float]:
        """Read every source that works and log what it gave; the values logged."""
        values: dict[str, float] = {}
        if self.psutil is not None:
            values |= self._guard("psutil", lambda: host_metrics(self.psutil)) or {}
        if self.nvml is not None:
            values |= self._guard("nvml", lambda: gpu_metrics(self.nvml)) or {}
        try:
            self.run.log_metrics(values)
        except Exception as exc:  # the service down: the next sample tries again
            logger.debug("provgraph: system metrics not logged: %s", exc)
        self.samples += 1
        return values

    def _loop(self) -> None:
        self.sample_once()  # at least one sample, however short the run
        while not self._stop.wait(self.every_s):
            self.sample_once()

    def _guard(self, source: str, read: Any) -> Any:
        """``read()``, or None after dropping ``source`` when it fails."""
        try:
            return read()
        except Exception as exc:
            logger.debug("provgraph: %s stopped working (%s); system metrics go on without it", source, exc)
            setattr(self, source, None)
            return None
