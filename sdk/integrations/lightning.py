"""PyTorch Lightning: a ``Logger`` that records ``Trainer.fit`` as a run.

``Trainer(logger=ProvgraphLogger())`` (or in a list of loggers). The run starts at the
first thing Lightning logs (``log_hyperparams`` at fit start: the module's hparams become
params) unless the logger records into ``run=``; ``log_metrics`` goes into the metric
history at the global step; every checkpoint a ``ModelCheckpoint`` saves is uploaded and
registered as the next version of one model, DERIVED_FROM the checkpoint before it.
Lightning's ``finalize`` ends the run: ``success`` → COMPLETED, ``failed`` (an exception in
fit) → FAILED with the exception, ``finished`` (SLURM requeue) → left RUNNING with its
metrics sent, so the requeued job can ``resume`` it.
"""

from __future__ import annotations

import re
import sys
from argparse import Namespace
from pathlib import Path
from typing import Any

from lightning.pytorch.loggers import Logger
from lightning.pytorch.utilities import rank_zero_only

from provgraph.sdk.client import Client
from provgraph.sdk.integrations.base import Recorder
from provgraph.sdk.run import Run


class ProvgraphLogger(Logger):  # type: ignore[misc]  # lightning is untyped to mypy
    """Record a Lightning training: params, metric history, checkpoints, status.

    ``client`` (default: settings from the environment), ``run`` (record into this run
    instead of starting one), ``name`` (the run's; default ``lightning``), ``model_name``
    (the checkpoints'; default the run's name), ``log_checkpoints``, and any
    ``Client.start_run`` option (``tags``, ``inputs``, ``system_metrics``…)."""

    def __init__(self, client: Client | None = None, run: Run | None = None, *, name: str | None = None,
                 model_name: str | None = None, log_checkpoints: bool = True, **start_options: Any) -> None:
        super().__init__()
        self.recorder = Recorder(client, run, name, model_name, log_checkpoints, **start_options)

    def close(self) -> None:
        """Close the client this logger made for itself (when given none)."""
        self.recorder.close()

    @property
    def run(self) -> Run:
        return self.recorder.begin("lightning")

    @property
    def experiment(self) -> Run:
        return self.run

    @property
    def name(self) -> str:
        return self.run.name

    @property
    def version(self) -> str:
        return self.run.id

    @rank_zero_only  # type: ignore[untyped-decorator]
    def log_hyperparams(self, params: dict[str, Any] | Namespace, *args: Any, **kwargs: Any) -> None:
        values = vars(params) if isinstance(params, Namespace) else dict(params or {})
        self.recorder.begin("lightning", values)

    @rank_zero_only  # type: ignore[untyped-decorator]
    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        self.run  # starts the run when nothing was logged before
        self.recorder.metrics(metrics, step)

    def after_save_checkpoint(self, checkpoint_callback: Any) -> None:
        saved = getattr(checkpoint_callback, "_last_checkpoint_saved", "") or checkpoint_callback.last_model_path
        if saved:
            self.recorder.checkpoint(Path(saved), step_of(Path(saved).name), None)

    @rank_zero_only  # type: ignore[untyped-decorator]
    def save(self) -> None:
        if self.recorder.run is not None:
            self.recorder.run.flush()

    @rank_zero_only  # type: ignore[untyped-decorator]
    def finalize(self, status: str) -> None:
        if self.recorder.run is None:
            return
        if status == "failed":
            self.recorder.end(sys.exc_info()[1] or RuntimeError("Lightning reported the training failed"))
        elif status == "success":
            self.recorder.end()
        else:
            self.recorder.run.flush()  # interrupted to be requeued: resumable


def step_of(filename: str) -> int | None:
    """The global step in a checkpoint's file name (``epoch=0-step=40.ckpt`` → 40)."""
    found = re.search(r"step=(\d+)", filename)
    return int(found.group(1)) if found else None
