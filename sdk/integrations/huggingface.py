"""Hugging Face Transformers: a ``TrainerCallback`` that records the training as a run.

``Trainer(..., callbacks=[ProvgraphCallback()])``, or, once this module is imported,
``TrainingArguments(report_to=["provgraph"])``. At ``on_train_begin`` a run named after
``args.run_name`` starts with the training arguments as params (or the callback records
into ``run=`` the script opened); every ``on_log`` goes into the metric history at the
global step; every checkpoint folder the Trainer saves (``checkpoint-N``) is uploaded
and registered as the next version of one model, DERIVED_FROM the checkpoint before it;
``on_train_end`` finishes the run COMPLETED. The Trainer tells callbacks nothing about an
exception, so to record FAILED open the run yourself (``with client.start_run(...) as
run:``) and pass ``run=run``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from transformers import TrainerCallback
from transformers.integrations import integration_utils
from transformers.trainer_utils import PREFIX_CHECKPOINT_DIR

from provgraph.sdk.client import Client
from provgraph.sdk.integrations.base import Recorder
from provgraph.sdk.run import Run

REPORT_TO = "provgraph"


class ProvgraphCallback(TrainerCallback):  # type: ignore[misc]  # transformers is untyped to mypy
    """Record a ``Trainer``'s training: params, metric history, checkpoints, status.

    ``client`` (default: settings from the environment), ``run`` (record into this run
    instead of starting one), ``name`` (the run's; default ``args.run_name``),
    ``model_name`` (the checkpoints'; default the run's name), ``log_checkpoints``, and
    any ``Client.start_run`` option (``tags``, ``inputs``, ``system_metrics``…)."""

    def __init__(self, client: Client | None = None, run: Run | None = None, *, name: str | None = None,
                 model_name: str | None = None, log_checkpoints: bool = True, **start_options: Any) -> None:
        self.recorder = Recorder(client, run, name, model_name, log_checkpoints, **start_options)

    def close(self) -> None:
        """Close the client this callback made for itself (when given none)."""
        self.recorder.close()

    @property
    def run(self) -> Run | None:
        return self.recorder.run

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.recorder.begin(args.run_name or Path(args.output_dir).name, args.to_sanitized_dict())

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None,
               **kwargs: Any) -> None:
        self.recorder.metrics(logs or {}, state.global_step)

    def on_save(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        folder = Path(args.output_dir) / f"{PREFIX_CHECKPOINT_DIR}-{state.global_step}"
        last = state.log_history[-1] if state.log_history else {}
        self.recorder.checkpoint(folder, state.global_step, last)

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.recorder.end()


integration_utils.INTEGRATION_TO_CALLBACK.setdefault(REPORT_TO, ProvgraphCallback)
