"""The Transformers callback, with the real Trainer training a tiny GPT-2 on CPU."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from provgraph.sdk import Client

from .frameworks import checkpoint_chain, require, run_of
from .service import Service

torch = require("torch")
transformers = require("transformers")
from provgraph.sdk.integrations.huggingface import ProvgraphCallback  # noqa: E402


class Tokens(torch.utils.data.Dataset):  # type: ignore[misc]
    """16 sequences of 8 token ids; once ``fail_at`` items were read, reading fails."""

    def __init__(self, fail_at: int | None = None) -> None:
        self.fail_at, self.served = fail_at, 0

    def __len__(self) -> int:
        return 16

    def __getitem__(self, i: int) -> dict[str, Any]:
        if self.fail_at is not None and self.served >= self.fail_at:
            raise ValueError("shard 3 is unreadable")
        self.served += 1
        ids = torch.tensor([(i + j) % 32 for j in range(8)])
        return {"input_ids": ids, "labels": ids}


def _trainer(out: Path, data: Tokens, **args: Any) -> Any:
    torch.manual_seed(0)
    callbacks = args.pop("callbacks", None)
    config = transformers.GPT2Config(n_layer=1, n_embd=8, n_head=2, vocab_size=32, n_positions=8,
                                     bos_token_id=0, eos_token_id=0)
    arguments = transformers.TrainingArguments(
        str(out), max_steps=4, per_device_train_batch_size=4, logging_steps=1, save_steps=2, use_cpu=True,
        disable_tqdm=True, dataloader_num_workers=0, **args)
    return transformers.Trainer(model=transformers.GPT2LMHeadModel(config), args=arguments, train_dataset=data,
                                callbacks=callbacks)


def test_report_to_provgraph_records_the_training(client: Client, service: Service, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROVGRAPH_URL", service.url)
    monkeypatch.setenv("PROVGRAPH_PROJECT", client.project)
    trainer = _trainer(tmp_path / "out", Tokens(), run_name="tiny gpt", report_to=["provgraph"],
                       learning_rate=0.01)
    trainer.train()
    callback = next(c for c in trainer.callback_handler.callbacks if isinstance(c, ProvgraphCallback))
    run = callback.run
    assert run is not None and run.name == "tiny-gpt" and run.status == "COMPLETED"
    found = run_of(service, run.id)
    params = found["params"]
    assert isinstance(params, dict) and (params["learning_rate"], params["max_steps"]) == (0.01, 4)
    assert found["status"] == "COMPLETED" and found["error"] is None
    assert [p.step for p in client.metric_history(run.id, "loss")] == [1, 2, 3, 4]
    assert [p.step for p in client.metric_history(run.id, "train_loss")] == [4]
    first, second = checkpoint_chain(client, "tiny-gpt", 2, run.id)
    assert (first.metadata["step"], second.metadata["step"]) == (2, 4)
    paths = {f.path for f in client.files(second)}
    assert {"checkpoint/model.safetensors", "checkpoint/config.json", "checkpoint/trainer_state.json"} <= paths
    local = client.use(second, dest=tmp_path / "pulled")
    assert (local / "checkpoint/model.safetensors").read_bytes() == (
        tmp_path / "out" / "checkpoint-4" / "model.safetensors").read_bytes()
    trainer.evaluate(Tokens())  # after the end: still recorded, at the last step
    assert [p.step for p in client.metric_history(run.id, "eval_loss")] == [4]
    callback.close()


def test_an_exception_fails_the_run_the_script_opened(client: Client, service: Service, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="shard 3 is unreadable"):
        with client.start_run("tiny", capture=False) as run:
            trainer = _trainer(tmp_path / "out", Tokens(fail_at=12), report_to="none",
                               callbacks=[ProvgraphCallback(run=run, model_name="tiny-ckpt")])
            trainer.train()
    found = run_of(service, run.id)
    assert (found["status"], found["error"]) == ("FAILED", "ValueError: shard 3 is unreadable")
    steps = [p.step for p in client.metric_history(run.id, "loss")]  # the loader reads a batch ahead
    assert steps in ([1, 2], [1, 2, 3])
    checkpoint_chain(client, "tiny-ckpt", 1, run.id)
