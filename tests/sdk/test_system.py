"""The system sampler: real CPU/memory figures, GPUs through NVML (a small stand-in for the
NVML module, as no GPU is here), never an exception into the training script."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

import pytest

from provgraph.errors import BadInput
from provgraph.ids import new_id
from provgraph.sdk import Client, Run, SystemSampler
from provgraph.sdk.system import load_nvml

from .service import Service

HOST_KEYS = {"system/cpu_percent", "system/memory_percent", "system/memory_used_gb", "system/process_rss_gb"}


@dataclass
class Memory:
    used: int
    total: int


@dataclass
class Rates:
    gpu: int


class FakeNVML:
    """The part of ``pynvml`` the sampler reads: two GPUs."""

    def __init__(self, fail_at: str | None = None) -> None:
        self.fail_at, self.shut = fail_at, False

    def _maybe_fail(self, call: str) -> None:
        if call == self.fail_at:
            raise RuntimeError(f"NVML: {call} failed")

    def nvmlDeviceGetCount(self) -> int:
        self._maybe_fail("count")
        return 2

    def nvmlDeviceGetHandleByIndex(self, index: int) -> int:
        return index

    def nvmlDeviceGetMemoryInfo(self, handle: int) -> Memory:
        return Memory(used=(handle + 1) * 2**30, total=4 * 2**30)

    def nvmlDeviceGetUtilizationRates(self, handle: int) -> Rates:
        return Rates(gpu=30 + handle * 50)

    def nvmlShutdown(self) -> None:
        self.shut = True


def test_a_sample_logs_real_host_figures(client: Client) -> None:
    with client.start_run("train", capture=False) as run:
        sampler = SystemSampler(run, 60, nvml=FakeNVML(fail_at="count"))  # no GPU part
        first, second = sampler.sample_once(), sampler.sample_once()
    assert set(first) == set(second) == HOST_KEYS
    assert 0 <= first["system/memory_percent"] <= 100 and first["system/process_rss_gb"] > 0
    history = client.metric_history(run, "system/memory_used_gb")
    assert [p.step for p in history] == [0, 1] and history[0].value == first["system/memory_used_gb"]


def test_gpus_are_sampled_through_nvml(client: Client) -> None:
    nvml = FakeNVML()
    with client.start_run("train", capture=False) as run:
        values = SystemSampler(run, 60, nvml=nvml).sample_once()
    assert {k: v for k, v in values.items() if "gpu" in k} == {
        "system/gpu0/utilization_percent": 30.0, "system/gpu0/memory_used_gb": 1.0, "system/gpu0/memory_percent": 25.0,
        "system/gpu1/utilization_percent": 80.0, "system/gpu1/memory_used_gb": 2.0, "system/gpu1/memory_percent": 50.0,
    }
    assert [p.value for p in client.metric_history(run, "system/gpu1/memory_percent")] == [50.0]


def test_a_failing_gpu_is_dropped_silently(client: Client, caplog: pytest.LogCaptureFixture) -> None:
    nvml = FakeNVML(fail_at="count")
    with client.start_run("train", capture=False) as run:
        sampler = SystemSampler(run, 60, nvml=nvml)
        assert set(sampler.sample_once()) == HOST_KEYS
    assert sampler.nvml is None and not [r for r in caplog.records if r.levelname != "DEBUG"]


def test_the_sampler_runs_until_the_run_finishes(client: Client) -> None:
    with client.start_run("train", capture=False, system_metrics=0.1) as run:
        sampler = run.sampler
        assert sampler is not None
    assert sampler.samples >= 1
    assert len(client.metric_history(run, "system/cpu_percent")) == sampler.samples


def test_an_unreachable_service_never_reaches_the_script(service: Service) -> None:
    dead = Client("http://127.0.0.1:9", retries=0, timeout_s=1)
    run = Run(dead, new_id(), "train", "default", flush_every=1, flush_seconds=60)
    assert set(SystemSampler(run, 60, nvml=FakeNVML()).sample_once()) >= HOST_KEYS
    dead.close()


def test_without_nvml_the_gpu_part_is_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", None)  # nvidia-ml-py not importable
    assert load_nvml() is None

    class NoDriver:
        def nvmlInit(self) -> None:
            raise OSError("NVML Shared Library Not Found")

    monkeypatch.setitem(sys.modules, "pynvml", NoDriver())
    assert load_nvml() is None


def test_a_broken_psutil_is_dropped_too(client: Client) -> None:
    class Broken:
        def cpu_percent(self, interval: Any = None) -> float:
            raise PermissionError("/proc is not readable")

    with client.start_run("train", capture=False) as run:
        sampler = SystemSampler(run, 60, nvml=FakeNVML(), psutil=Broken())
        values = sampler.sample_once()
    assert sampler.psutil is None and set(values) == {k for k in values if k.startswith("system/gpu")}


@pytest.mark.parametrize("every", [0, -5, float("nan"), "10"])
def test_a_bad_interval_is_refused_before_the_run_starts(client: Client, every: Any) -> None:
    with pytest.raises(BadInput) as refused:
        client.start_run("train", capture=False, system_metrics=every)
    assert refused.value.message == f"system metrics every {every!r} s: give a number of seconds above 0"
    assert client.runs(project=client.project) == []
