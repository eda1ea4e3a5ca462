"""Runs: context manager and decorator, metric history, params, seeds, notes."""

from __future__ import annotations

import time

import pytest

import provgraph
from provgraph.errors import BadInput
from provgraph.sdk import Client, current_run

from .service import Service

RUN = """query($id: ID!) { node(id: $id) { ... on Run { name status error params seeds notes metrics tags
  project runKind inputs { role node { id } } } } }"""


def run_of(service: Service, run_id: str) -> dict[str, object]:
    node = service.gql(RUN, {"id": run_id})["node"]
    assert isinstance(node, dict)
    return node


def test_a_block_that_ends_completes_the_run(client: Client, service: Service, project: str) -> None:
    ds = client.register_dataset("tiny", files=[__file__])
    with client.start_run("train", inputs=[(ds, "train")], params={"lr": 0.001}, tags=["exp"], capture=False) as run:
        assert current_run() is run
        run.log_metric("loss", 3.0, step=1)
        run.log_metrics({"loss": 2.0, "acc": 0.5}, step=2)
        run.log_params({"epochs": 10})
        run.log_seeds({"python": 7})
        run.set_notes("baseline")
    assert current_run() is None and run.status == "COMPLETED"
    assert run_of(service, run.id) == {
        "name": "train", "status": "COMPLETED", "error": None, "params": {"lr": 0.001, "epochs": 10},
        "seeds": {"python": 7}, "notes": "baseline", "metrics": {"loss": 2.0, "acc": 0.5}, "tags": ["exp"],
        "project": project, "runKind": "training", "inputs": [{"role": "train", "node": {"id": ds.id}}],
    }


def test_a_block_that_raises_fails_the_run_and_the_exception_propagates(client: Client, service: Service) -> None:
    with pytest.raises(ValueError, match="diverged"):
        with client.start_run("train", capture=False) as run:
            run.log_metric("loss", 1.0)
            raise ValueError("loss diverged at step 3")
    found = run_of(service, run.id)
    assert (found["status"], found["error"], found["metrics"]) == (
        "FAILED", "ValueError: loss diverged at step 3", {"loss": 1.0})


def test_the_decorator_records_each_call(client: Client, service: Service) -> None:
    @provgraph.track("fit", client=client, params={"depth": 2}, capture=False)
    def fit(x: int) -> int:
        run = current_run()
        assert run is not None
        run.log_metric("loss", float(x))
        return x * 2

    assert fit(21) == 42
    runs = client.runs(project=client.project, name="fit")
    assert [(r.status, dict(r.params), dict(r.metrics)) for r in runs] == [("COMPLETED", {"depth": 2}, {"loss": 21.0})]


def test_metric_history_is_complete_and_batched(client: Client, service: Service) -> None:
    with client.start_run("long", capture=False, flush_every=1000) as run:
        began = time.perf_counter()
        for step in range(25_000):
            run.log_metric("loss", 10.0 / (step + 1), step=step)
            if step % 100 == 0:
                run.log_metric("val_loss", 5.0 - step / 10_000)
        logging_s = time.perf_counter() - began
    history = client.metric_history(run, "loss")
    assert [p.step for p in history] == list(range(25_000))
    assert history[-1].value == 10.0 / 25_000
    val = client.metric_history(run.id, "val_loss")
    assert [p.step for p in val] == list(range(250))  # steps counted per key when not given
    summary = {s["key"]: s for s in client.metric_summary(run)}
    assert (summary["loss"]["count"], summary["loss"]["minStep"]) == (25_000, 24_999)
    assert (summary["val_loss"]["min"], summary["val_loss"]["minStep"]) == (5.0 - 24_900 / 10_000, 249)
    assert logging_s < 5.0


def test_a_metric_must_be_a_number(client: Client) -> None:
    run = client.start_run("bad", capture=False)
    with pytest.raises(BadInput, match="metric 'loss': value 'high' is not a number"):
        run.log_metric("loss", "high")  # type: ignore[arg-type]
    run.finish()
