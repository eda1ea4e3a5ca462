"""The Lightning logger, with the real Trainer fitting a tiny linear model on CPU."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from provgraph.sdk import Client

from .frameworks import checkpoint_chain, require, run_of
from .service import Service

torch = require("torch")
lightning = require("lightning")
from lightning.pytorch.callbacks import ModelCheckpoint  # noqa: E402

from provgraph.sdk.integrations.lightning import ProvgraphLogger, step_of  # noqa: E402

# Lightning 2.6 still asks torch's pytree about LeafSpec, which torch 2.15 deprecates.
pytestmark = pytest.mark.filterwarnings(r"ignore:`isinstance\(treespec, LeafSpec\)` is deprecated:FutureWarning")


class Tiny(lightning.LightningModule):  # type: ignore[misc]
    def __init__(self, lr: float = 0.1, fail_at: int | None = None) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.layer = torch.nn.Linear(4, 1)

    def training_step(self, batch: Any, index: int) -> Any:
        if self.hparams.fail_at is not None and self.global_step >= self.hparams.fail_at:
            raise RuntimeError("loss is NaN")
        x, y = batch
        loss = torch.nn.functional.mse_loss(self.layer(x), y)
        self.log("train_loss", loss)
        return loss

    def configure_optimizers(self) -> Any:
        return torch.optim.SGD(self.parameters(), lr=self.hparams.lr)


def _fit(tmp_path: Path, logger: ProvgraphLogger, module: Tiny) -> None:
    torch.manual_seed(0)
    data = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.randn(16, 4), torch.randn(16, 1)),
                                       batch_size=4)
    checkpoints = ModelCheckpoint(dirpath=tmp_path / "ckpt", every_n_epochs=1, save_top_k=-1)
    trainer = lightning.Trainer(max_epochs=2, logger=logger, log_every_n_steps=1, accelerator="cpu",
                                enable_progress_bar=False, enable_model_summary=False, callbacks=[checkpoints],
                                default_root_dir=tmp_path)
    trainer.fit(module, data)


def test_the_logger_records_the_fit(client: Client, service: Service, tmp_path: Path) -> None:
    logger = ProvgraphLogger(client, name="tiny-linear", capture=False)
    _fit(tmp_path, logger, Tiny(lr=0.05))
    run = logger.run
    found = run_of(service, run.id)
    assert (found["name"], found["status"], found["error"]) == ("tiny-linear", "COMPLETED", None)
    assert found["params"] == {"lr": 0.05, "fail_at": None}
    assert [p.step for p in client.metric_history(run.id, "train_loss")] == list(range(8))
    first, second = checkpoint_chain(client, "tiny-linear", 2, run.id)
    assert (first.metadata["step"], second.metadata["step"]) == (4, 8)
    assert [f.path for f in client.files(second)] == ["epoch=1-step=8.ckpt"]


def test_the_first_checkpoint_derives_from_the_models_the_run_used(
        client: Client, service: Service, tmp_path: Path) -> None:
    (tmp_path / "base.ckpt").write_bytes(b"pretrained weights")
    base = client.register_model("base", {"checkpoint": tmp_path / "base.ckpt"})
    with client.start_run("finetune", capture=False) as run:
        run.use("base:v1", role="base_model")
        _fit(tmp_path, ProvgraphLogger(run=run, model_name="tuned"), Tiny())
        assert run.status == "RUNNING"  # the script's own run: its with block finishes it
    assert run_of(service, run.id)["status"] == "COMPLETED"
    checkpoint_chain(client, "tuned", 2, run.id, first_parents=(base.id,))


def test_an_exception_in_fit_fails_the_run(client: Client, service: Service, tmp_path: Path) -> None:
    logger = ProvgraphLogger(client, name="tiny-linear", capture=False)
    with pytest.raises(RuntimeError, match="loss is NaN"):
        _fit(tmp_path, logger, Tiny(fail_at=6))
    found = run_of(service, logger.run.id)
    assert (found["status"], found["error"]) == ("FAILED", "RuntimeError: loss is NaN")
    assert [p.step for p in client.metric_history(logger.run.id, "train_loss")] == list(range(6))
    checkpoint_chain(client, "tiny-linear", 1, logger.run.id)


def test_a_requeue_leaves_the_run_resumable(client: Client, service: Service) -> None:
    logger = ProvgraphLogger(client, name="tiny-linear", capture=False)
    logger.log_metrics({"train_loss": 1.0}, step=0)
    logger.finalize("finished")  # what Lightning does on SLURM's requeue signal
    assert run_of(service, logger.run.id)["status"] == "RUNNING"
    with client.start_run(resume=logger.run.id) as again:
        again.log_metric("train_loss", 0.5)
    assert [p.step for p in client.metric_history(again.id, "train_loss")] == [0, 1]


def test_the_step_comes_from_the_checkpoint_name() -> None:
    assert (step_of("epoch=0-step=40.ckpt"), step_of("last.ckpt")) == (40, None)
