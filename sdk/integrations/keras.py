"""Keras 3 (any backend): a callback that records ``model.fit`` as a run.

``model.fit(..., callbacks=[ProvgraphCallback()])``. At ``on_train_begin`` a run starts
(or the callback records into ``run=``) with the fit's params (epochs, steps) and the
optimizer's config; every ``log_every`` batches and every epoch the logs go into the metric
history (batch metrics under ``batch/``, at the global batch; epoch metrics at the
epoch); every ``checkpoint_every`` epochs the model is saved (``epoch-N.keras`` in
``checkpoint_dir``, a temporary folder by default) and registered as the next version of
one model, DERIVED_FROM the checkpoint before it; ``on_train_end`` finishes the run
COMPLETED. Keras tells callbacks nothing about an exception: to record FAILED open the run
yourself (``with client.start_run(...) as run:``) and pass ``run=run``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import keras

from provgraph.sdk.client import Client
from provgraph.sdk.files import PathLike
from provgraph.sdk.integrations.base import Recorder, json_safe
from provgraph.sdk.run import Run


class ProvgraphCallback(keras.callbacks.Callback):  # type: ignore[misc]  # keras is untyped to mypy
    """Record a ``fit``: params, metric history, checkpoints, status (see the module)."""

    def __init__(self, client: Client | None = None, run: Run | None = None, *, name: str | None = None,
                 model_name: str | None = None, checkpoint_every: int | None = 1,
                 checkpoint_dir: PathLike | None = None, log_every: int = 1, **start_options: Any) -> None:
        super().__init__()
        self.recorder = Recorder(client, run, name, model_name, checkpoint_every is not None, **start_options)
        self.checkpoint_every, self.log_every = checkpoint_every, max(1, log_every)
        self.checkpoint_dir = Path(checkpoint_dir) if checkpoint_dir is not None else None
        self._scratch: tempfile.TemporaryDirectory[str] | None = None
        self._batches = 0

    def close(self) -> None:
        """Close the client this callback made for itself (when given none)."""
        self.recorder.close()

    @property
    def run(self) -> Run | None:
        return self.recorder.run

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        optimizer = getattr(self.model, "optimizer", None)
        config = json_safe(optimizer.get_config()) if optimizer is not None else {}
        self.recorder.begin(self.model.name, {**dict(self.params or {}), "optimizer": config})

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self._batches += 1
        if self._batches % self.log_every == 0:
            self.recorder.metrics({f"batch/{k}": v for k, v in (logs or {}).items()}, self._batches)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.recorder.metrics(logs or {}, epoch)
        if self.checkpoint_every and (epoch + 1) % self.checkpoint_every == 0:
            path = self._folder() / f"epoch-{epoch + 1}.keras"
            self.model.save(path)
            self.recorder.checkpoint(path, epoch + 1, logs)

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        self.recorder.end()
        if self._scratch is not None:
            self._scratch.cleanup()
            self._scratch = None

    def _folder(self) -> Path:
        if self.checkpoint_dir is None:
            self._scratch = self._scratch or tempfile.TemporaryDirectory(prefix="provgraph-keras-")
            return Path(self._scratch.name)
        self.checkpoint_dir.mkdir(parents=True, exist_ok=True)
        return self.checkpoint_dir
