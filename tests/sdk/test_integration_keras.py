"""The Keras callback, with real Keras 3 (torch backend, already installed for the other
integrations) fitting a tiny dense model on CPU."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from provgraph.sdk import Client

from .frameworks import checkpoint_chain, require, run_of
from .service import Service

os.environ.setdefault("KERAS_BACKEND", "torch")
numpy = require("numpy")
keras = require("keras")
from provgraph.sdk.integrations.keras import ProvgraphCallback  # noqa: E402

# Keras 3.15's torch backend hands numpy a tensor whose __array__ predates numpy 2's copy=.
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword")


def _model() -> Any:
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)], name="tiny_dense")
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05), loss="mse")
    return model


def _data() -> tuple[Any, Any]:
    rng = numpy.random.default_rng(0)
    return rng.normal(size=(16, 4)).astype("float32"), rng.normal(size=(16, 1)).astype("float32")


class Explode(keras.callbacks.Callback):  # type: ignore[misc]
    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        if batch == 2:
            raise RuntimeError("out of memory")


def test_the_callback_records_the_fit(client: Client, service: Service, tmp_path: Path) -> None:
    callback = ProvgraphCallback(client, checkpoint_dir=tmp_path / "ckpt", capture=False)
    x, y = _data()
    _model().fit(x, y, epochs=2, batch_size=4, verbose=0, callbacks=[callback])
    run = callback.run
    assert run is not None
    found = run_of(service, run.id)
    assert (found["name"], found["status"], found["error"]) == ("tiny_dense", "COMPLETED", None)
    params = found["params"]
    assert isinstance(params, dict) and (params["epochs"], params["steps"]) == (2, 4)
    assert params["optimizer"]["name"] == "sgd" and params["optimizer"]["learning_rate"] == pytest.approx(0.05)
    assert [p.step for p in client.metric_history(run.id, "loss")] == [0, 1]
    assert [p.step for p in client.metric_history(run.id, "batch/loss")] == list(range(1, 9))
    first, second = checkpoint_chain(client, "tiny_dense", 2, run.id)
    assert [f.path for f in client.files(second)] == ["epoch-2.keras"]
    local = client.use(second, dest=tmp_path / "pulled")
    restored = keras.models.load_model(local / "epoch-2.keras")
    assert numpy.allclose(restored.predict(x, verbose=0), keras.models.load_model(
        tmp_path / "ckpt" / "epoch-2.keras").predict(x, verbose=0))


def test_an_exception_fails_the_run_the_script_opened(client: Client, service: Service) -> None:
    x, y = _data()
    with pytest.raises(RuntimeError, match="out of memory"):
        with client.start_run("tiny", capture=False) as run:
            _model().fit(x, y, epochs=2, batch_size=4, verbose=0,
                         callbacks=[ProvgraphCallback(run=run, model_name="tiny-ckpt"), Explode()])
    found = run_of(service, run.id)
    assert (found["status"], found["error"]) == ("FAILED", "RuntimeError: out of memory")
    assert [p.step for p in client.metric_history(run.id, "batch/loss")] == [1, 2, 3]
