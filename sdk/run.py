"""A live run: metrics batched to the service, params/seeds/notes, models it produced.

``with client.start_run(...) as run:`` finishes the run COMPLETED, or FAILED with the
exception's type and message when the block raises (the exception still propagates).
Metric points are buffered and sent in columnar batches (every ``flush_every`` points,
every ``flush_seconds``, and at finish), each batch with its own id so a retried or
replayed batch is stored once; logging is thread-safe (the system sampler logs from its
own thread).

A run resumed after preemption (``start_run(resume=id)``) continues the same run: each
metric key's steps go on from the last one stored. On a non-zero distributed rank a run
does not record (``recording`` is False) unless all ranks were asked to.
"""

from __future__ import annotations

import logging
import threading
import time
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence, Union

from provgraph import validate
from provgraph.errors import BadInput, Conflict, ProvgraphError
from provgraph.ids import new_id
from provgraph.sdk import queries
from provgraph.sdk.files import PathLike
from provgraph.sdk.provenance import capture
from provgraph.sdk.refs import RefLike, ref_of
from provgraph.sdk.system import SystemSampler, check_interval
from provgraph.sdk.types import Artifact, Model, RunRecord

if TYPE_CHECKING:
    from provgraph.sdk.client import Client
    from provgraph.sdk.using import LocalArtifact

logger = logging.getLogger("provgraph.sdk")
Inputs = Union[Sequence[Union[RefLike, tuple[RefLike, str]]], Mapping[str, RefLike]]
_current: ContextVar[Run | None] = ContextVar("provgraph_run", default=None)


def current_run() -> Run | None:
    """The run of the innermost ``with start_run(...)`` / ``@track`` in this context."""
    return _current.get()


def input_refs(inputs: Inputs) -> list[dict[str, Any]]:
    """Inputs as ``RunInputRef``: items, ``(item, role)`` pairs, or ``{role: item}``."""
    if isinstance(inputs, Mapping):
        return [{"id": ref_of(item), "role": role} for role, item in inputs.items()]
    refs = []
    for entry in inputs:
        item, role = entry if isinstance(entry, tuple) else (entry, None)
        refs.append({"id": ref_of(item), "role": role})
    return refs


def records(client: Client) -> bool:
    """Whether this process records runs: rank 0, or every rank when asked."""
    return client.settings.rank == 0 or client.settings.all_ranks


def with_rank(client: Client, metadata: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """``metadata`` plus this process's rank and world size in a distributed job."""
    if client.settings.world_size <= 1 and client.settings.rank == 0:
        return dict(metadata) if metadata is not None else None
    return {**(metadata or {}), "rank": client.settings.rank, "world_size": client.settings.world_size}


class MetricBuffer:
    """Points waiting to be sent, in columns per key, and the last value of each key."""

    def __init__(self, flush_every: int, flush_seconds: float) -> None:
        self.flush_every, self.flush_seconds = flush_every, flush_seconds
        self.columns: dict[str, tuple[list[int], list[float], list[float]]] = {}
        self.count = 0
        self.last: dict[str, tuple[int, float]] = {}
        self.flushed_at = time.monotonic()

    def add(self, key: str, value: float, step: int, stamp: float) -> bool:
        """Buffer one point; True when it is time to flush."""
        steps, values, stamps = self.columns.setdefault(key, ([], [], []))
        steps.append(step)
        values.append(value)
        stamps.append(stamp)
        self.count += 1
        if step >= self.last.get(key, (step, 0.0))[0]:
            self.last[key] = (step, value)
        return self.count >= self.flush_every or time.monotonic() - self.flushed_at >= self.flush_seconds

    def next_step(self, key: str) -> int:
        return self.last[key][0] + 1 if key in self.last else 0

    def take(self) -> dict[str, dict[str, Any]]:
        series = {k: {"steps": s, "values": v, "timestamps": t} for k, (s, v, t) in self.columns.items()}
        self.columns, self.count, self.flushed_at = {}, 0, time.monotonic()
        return series


class Run:
    """A run being recorded. ``id``, ``name``, ``project`` and ``status`` as on the service;
    ``recording`` is False on a process that records nothing (a non-zero rank)."""

    def __init__(self, client: Client, run_id: str, name: str, project: str, flush_every: int,
                 flush_seconds: float, recording: bool = True) -> None:
        self.client, self.id, self.name, self.project = client, run_id, name, project
        self.status = "RUNNING"
        self.recording = recording
        self.metrics = MetricBuffer(flush_every, flush_seconds)
        self.used: list[Artifact] = []
        self.sampler: SystemSampler | None = None
        self._lock = threading.RLock()
        self._token: Any = None

    @classmethod
    def start(cls, client: Client, name: str, inputs: Inputs, params: Mapping[str, Any] | None, project: str,
              tags: Sequence[str] | None, kind: str | None, metadata: Mapping[str, Any] | None, capture_: bool,
              flush_every: int, flush_seconds: float) -> Run:
        if not records(client):
            return cls(client, new_id(), name, project, flush_every, flush_seconds, recording=False)
        provenance = capture(client.upload_bytes) if capture_ else {}
        run_id = new_id()
        variables = {"name": name, "project": project, "kind": kind, "params": params, "inputs": input_refs(inputs),
                     "provenance": provenance, "tags": tags, "metadata": with_rank(client, metadata),
                     "id": run_id}
        client.write(queries.START_RUN, variables, f"start run {name!r}")
        return cls(client, run_id, name, project, flush_every, flush_seconds)

    @classmethod
    def resume(cls, client: Client, run_id: str, name: str | None, inputs: Inputs,
               params: Mapping[str, Any] | None, flush_every: int, flush_seconds: float) -> Run:
        """The RUNNING run ``run_id`` again, its metric steps going on from the stored ones."""
        if not records(client):
            return cls(client, run_id, name or "", client.project, flush_every, flush_seconds, recording=False)
        found = client.get(run_id)
        if not isinstance(found, RunRecord):
            raise BadInput(f"cannot resume {run_id!r}: it is a {found.kind.lower()}, not a run")
        if name is not None and name != found.name:
            raise BadInput(f"cannot resume run {found.id}: it is named {found.name!r}, not {name!r}")
        if found.status != "RUNNING":
            raise Conflict(f"cannot resume run {found.id}: it already finished as {found.status}; start a new run")
        refs = input_refs(inputs)
        for ref in refs:
            if ref["role"] is not None:
                validate.name(ref["role"], "input role")  # before anything is written
        run = cls(client, found.id, found.name, found.project, flush_every, flush_seconds)
        for entry in client.metric_summary(found.id):
            run.metrics.last[entry["key"]] = (int(entry["lastStep"]), float(entry["last"]))
        for ref in refs:
            run.record_use(client.get(ref["id"]), ref["role"])
        if params:
            run.log_params(params)
        return run

    # -- metrics --------------------------------------------------------------------

    def log_metric(self, key: str, value: float, step: int | None = None, timestamp: float | None = None) -> None:
        """Record ``value`` of ``key`` at ``step`` (default: the key's last step + 1)."""
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise BadInput(f"metric {key!r}: value {value!r} is not a number")
        with self._lock:
            at = self.metrics.next_step(key) if step is None else step
            if self.metrics.add(key, float(value), at, time.time() if timestamp is None else timestamp):
                self.flush()

    def log_metrics(self, values: Mapping[str, float], step: int | None = None) -> None:
        """Record several metrics at one step."""
        for key, value in values.items():
            self.log_metric(key, value, step)

    def flush(self) -> None:
        """Send buffered points now (also done every N points, T seconds and at finish)."""
        with self._lock:
            if not self.metrics.count:
                return
            series = self.metrics.take()
            if self.recording:
                variables = {"run": self.id, "series": series, "batch": new_id()}
                self.client.write(queries.LOG_SERIES, variables, f"log metrics of run {self.name!r}")

    # -- params, seeds, notes -------------------------------------------------------

    def log_params(self, params: Mapping[str, Any]) -> None:
        """Merge ``params`` into the run's params."""
        self._update({"params": dict(params)}, "log params")

    def log_seeds(self, seeds: Mapping[str, int] | int) -> None:
        """Record random seeds: ``{"python": 1, "numpy": 2}``, or one int (``"global"``)."""
        self._update({"seeds": {"global": seeds} if isinstance(seeds, int) else dict(seeds)}, "log seeds")

    def set_notes(self, notes: str) -> None:
        self._update({"notes": notes}, "set notes")

    def _update(self, changes: Mapping[str, Any], what: str) -> None:
        if self.recording:
                self.client.write(queries.UPDATE_RUN, {"id": self.id, **changes}, f"{what} of run {self.name!r}")

    # -- inputs and outputs ---------------------------------------------------------

    def use(self, ref: RefLike, role: str | None = None, *, dest: PathLike | None = None) -> LocalArtifact:
        """A verified local copy of ``ref``'s files, recorded as an input of this run
        (``Run USED ref {role}``); see ``Client.use``."""
        return self.client.use(ref, role, dest=dest, run=self)

    def record_use(self, found: Artifact, role: str | None) -> None:
        """Add ``Run USED found {role}`` (idempotent); models used become default parents."""
        if self.recording:
            variables = {"source": self.id, "target": found.id, "type": "USED", "role": role}
            self.client.write(queries.LINK, variables, f"record that run {self.name!r} used {found.label!r}")
        if all(a.id != found.id for a in self.used):
            self.used.append(found)

    def log_model(self, name: str, files: Mapping[str, PathLike] | None = None, *,
                  parents: Sequence[RefLike] | None = None, metrics: Mapping[str, Any] | None = None,
                  **options: Any) -> Model | None:
        """Upload ``files`` and register the next version of model ``name``, GENERATED_BY this
        run and DERIVED_FROM ``parents`` (default: the models this run used). None on a
        process that does not record (nothing is uploaded)."""
        if not self.recording:
            return None
        chosen = [a.id for a in self.used if a.kind == "MODEL"] if parents is None else parents
        return self.client.register_model(name, files, parents=chosen, run=self.id, metrics=metrics,
                                          project=options.pop("project", self.project), **options)

    # -- finishing ------------------------------------------------------------------

    def finish(self, status: str = "COMPLETED", error: str | None = None,
               metrics: Mapping[str, float] | None = None) -> None:
        """Flush metrics and mark the run COMPLETED or FAILED; final metrics are the last
        value of each logged key, overridden by ``metrics``."""
        if self.sampler is not None:
            self.sampler.stop()
        self.flush()
        final = {key: value for key, (_, value) in self.metrics.last.items()} | dict(metrics or {})
        variables = {"id": self.id, "status": status, "metrics": final, "error": error}
        if self.recording:
            self.client.write(queries.FINISH_RUN, variables, f"finish run {self.name!r}")
        self.status = status

    def sample_system(self, every_s: float = 10.0) -> SystemSampler:
        """Log CPU, memory and (through NVML, when present) GPU use as ``system/*`` metrics
        every ``every_s`` seconds until the run finishes; sampling never raises."""
        if self.sampler is None:
            self.sampler = SystemSampler(self, check_interval(every_s))
            if self.recording:
                self.sampler.start()
        return self.sampler

    def __enter__(self) -> Run:
        self._token = _current.set(self)
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        _current.reset(self._token)
        if exc is None:
            self.finish()
            return
        try:
            self.finish("FAILED", f"{type(exc).__name__}: {exc}")
        except ProvgraphError as failure:  # the block's own exception matters more
            logger.error("provgraph: could not record run %s as FAILED: %s", self.id, failure.message)
