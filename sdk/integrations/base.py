"""What every framework integration does to a run, written once.

A ``Recorder`` either borrows a run the script opened (``run=``; the script's ``with``
block finishes it) or starts its own when training begins and finishes it when training
ends, COMPLETED, or FAILED where the framework reports the exception. Params and metrics
are made JSON-safe; each checkpoint is uploaded and registered as the next version of one
model, DERIVED_FROM the checkpoint before it (the first from the models the run used).
"""

from __future__ import annotations

import json
import logging
import math
import re
from pathlib import Path
from typing import Any, Mapping

from provgraph.sdk.client import Client
from provgraph.sdk.run import Run
from provgraph.sdk.types import Model

logger = logging.getLogger("provgraph.sdk")
_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-]+")


def safe_name(text: str, fallback: str = "model") -> str:
    """``text`` as a valid provgraph name (``my run/1`` → ``my-run-1``)."""
    cleaned = _UNSAFE.sub("-", text).strip("-.")[:200]
    return cleaned if cleaned and (cleaned[0].isalnum() or cleaned[0] == "_") else fallback


def json_safe(value: Any) -> Any:
    """``value`` with every leaf JSON can hold kept and the rest written as text."""
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return str(value)
    return value


def numbers(values: Mapping[str, Any]) -> dict[str, float]:
    """The entries of ``values`` that are finite numbers (tensors and numpy scalars too)."""
    found: dict[str, float] = {}
    for key, value in values.items():
        value = value.item() if hasattr(value, "item") and callable(value.item) else value
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            found[str(key)] = float(value)
    return found


class Recorder:
    """Records one training into a run: its own, or ``run`` when given."""

    def __init__(self, client: Client | None = None, run: Run | None = None, name: str | None = None,
                 model_name: str | None = None, log_checkpoints: bool = True, **start_options: Any) -> None:
        self.own_client = client is None and run is None
        self.client = client if client is not None else (run.client if run is not None else Client())
        self.run, self.owned = run, False
        self.name, self.model_name = name, model_name
        self.log_checkpoints = log_checkpoints
        self.start_options = start_options
        self.last_checkpoint: Model | None = None

    def begin(self, default_name: str, params: Mapping[str, Any] | None = None) -> Run:
        """The run to record into, started now unless there is one."""
        if self.run is None:
            name = safe_name(self.name or default_name, "train")
            self.run = self.client.start_run(name, **self.start_options)
            self.owned = True
        if params:
            self.run.log_params(json_safe(params))
        return self.run

    def metrics(self, values: Mapping[str, Any], step: int | None) -> None:
        found = numbers(values)
        if self.run is not None and found:
            self.run.log_metrics(found, step)
            if self.run.status != "RUNNING":  # logged after the end (evaluate() after train()): send now
                self.run.flush()

    def checkpoint(self, path: Path, step: int | None, metrics: Mapping[str, Any] | None = None) -> Model | None:
        """Register the checkpoint at ``path`` (file or folder) as the next model version."""
        if self.run is None or not self.log_checkpoints or not path.exists():
            return None
        parents = [self.last_checkpoint.id] if self.last_checkpoint is not None else None
        name = safe_name(self.model_name or self.run.name)
        model = self.run.log_model(name, {"checkpoint": path}, parents=parents, metrics=numbers(metrics or {}),
                                   metadata={"step": step, "checkpoint": path.name})
        self.last_checkpoint = model or self.last_checkpoint
        return model

    def end(self, error: BaseException | None = None) -> None:
        """Finish an owned run: COMPLETED, or FAILED with ``error``. The client stays open:
        frameworks log after the end (an evaluation after training)."""
        if self.run is not None and self.owned and self.run.status == "RUNNING":
            if error is None:
                self.run.finish()
            else:
                self.run.finish("FAILED", f"{type(error).__name__}: {error}")

    def close(self) -> None:
        """Close the client this recorder made (none when one was given)."""
        if self.own_client:
            self.client.close()
