"""Resuming a run after preemption; distributed ranks: only rank 0 records unless asked."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from provgraph.errors import BadInput, ConfigError, Conflict, NotFound
from provgraph.sdk import Client
from provgraph.sdk.settings import ClientSettings

from .service import Service

RUN = """query($id: ID!) { node(id: $id) { ... on Run { status params metrics metadata inputs { role } } } }"""


def run_of(service: Service, run_id: str) -> dict[str, object]:
    node = service.gql(RUN, {"id": run_id})["node"]
    assert isinstance(node, dict)
    return node


def test_a_resumed_run_keeps_its_id_and_metric_steps(client: Client, service: Service, tmp_path: Path) -> None:
    first = client.start_run("train", params={"lr": 0.1}, capture=False)
    for loss in (3.0, 2.0, 1.5):
        first.log_metric("loss", loss)
    first.log_metric("acc", 0.4, step=10)
    first.flush()  # then the job is preempted: the process dies without finishing the run
    client.register_dataset("extra", files=[__file__])
    with client.start_run("train", resume=first.id, params={"resumed": True}, inputs={"val": "extra:v1"},
                          capture=False) as again:
        assert again.id == first.id
        again.log_metric("loss", 1.0)
        again.log_metric("acc", 0.5)
    assert [(p.step, p.value) for p in client.metric_history(first.id, "loss")] == [
        (0, 3.0), (1, 2.0), (2, 1.5), (3, 1.0)]
    assert [p.step for p in client.metric_history(first.id, "acc")] == [10, 11]
    found = run_of(service, first.id)
    assert (found["status"], found["params"], found["metrics"], found["inputs"]) == (
        "COMPLETED", {"lr": 0.1, "resumed": True}, {"loss": 1.0, "acc": 0.5}, [{"role": "val"}])
    assert [r.id for r in client.runs(project=client.project)] == [first.id]


def test_a_finished_run_cannot_be_resumed(client: Client) -> None:
    run = client.start_run("train", capture=False)
    run.finish("FAILED", "preempted")
    with pytest.raises(Conflict) as refused:
        client.start_run(resume=run.id)
    assert refused.value.message == f"cannot resume run {run.id}: it already finished as FAILED; start a new run"


def test_resume_names_a_run_of_that_name(client: Client, tmp_path: Path) -> None:
    run = client.start_run("train", capture=False)
    with pytest.raises(BadInput) as renamed:
        client.start_run("eval", resume=run.id)
    assert renamed.value.message == f"cannot resume run {run.id}: it is named 'train', not 'eval'"
    model = client.register_model("m", {"checkpoint": Path(__file__)})
    with pytest.raises(BadInput) as not_a_run:
        client.start_run(resume=model.id)
    assert not_a_run.value.message == f"cannot resume {model.id!r}: it is a model, not a run"
    with pytest.raises(NotFound):
        client.start_run(resume="01J00000000000000000000000")
    run.finish()


def test_a_bad_input_role_on_resume_writes_nothing(client: Client, service: Service) -> None:
    run = client.start_run("train", capture=False)
    client.register_dataset("extra", files=[__file__])
    with pytest.raises(BadInput, match="invalid input role 'val set'"):
        client.start_run(resume=run.id, inputs={"val set": "extra:v1"}, params={"resumed": True})
    assert (run_of(service, run.id)["inputs"], run_of(service, run.id)["params"]) == ([], {})
    run.finish()


def test_a_run_needs_a_name_or_a_run_to_resume(client: Client) -> None:
    with pytest.raises(BadInput) as refused:
        client.start_run()
    assert refused.value.message == "start_run needs a name (or resume= the id of a run to continue)"
    assert client.runs(project=client.project) == []


def _rank_client(service: Service, project: str, monkeypatch: pytest.MonkeyPatch, **env: str) -> Client:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Client(service.url, project=project)


def test_a_non_zero_rank_records_nothing(service: Service, project: str, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "ckpt.bin").write_bytes(b"rank one weights")
    owner = Client(service.url, project=project)
    owner.register_dataset("data", files=[__file__])
    with _rank_client(service, project, monkeypatch, RANK="1", WORLD_SIZE="2") as client:
        with client.start_run("train", params={"lr": 1}, system_metrics=60) as run:
            local = run.use("data:v1", "train")  # every rank still gets its inputs
            run.log_metric("loss", 1.0)
            run.log_params({"more": 2})
            assert run.log_model("m", {"checkpoint": tmp_path / "ckpt.bin"}) is None
        assert not run.recording and run.status == "COMPLETED"
        assert (local / Path(__file__).name).read_bytes() == Path(__file__).read_bytes()
    assert owner.runs(project=project) == []
    digest = owner.uploader.digest(tmp_path / "ckpt.bin")[0]
    assert httpx.head(f"{service.url}/blobs/sha256/{digest}").status_code == 404
    owner.close()


def test_every_rank_records_when_asked(service: Service, project: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with _rank_client(service, project, monkeypatch, SLURM_PROCID="3", SLURM_NTASKS="4",
                      PROVGRAPH_ALL_RANKS="1") as client:
        with client.start_run("train", metadata={"node": "a"}, capture=False) as run:
            run.log_metric("loss", 2.0)
        assert run.recording
        assert run_of(service, run.id)["metadata"] == {"node": "a", "rank": 3, "world_size": 4}
        assert [r.id for r in client.runs(project=project)] == [run.id]


def test_rank_zero_records_its_place_in_the_job(service: Service, project: str,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    with _rank_client(service, project, monkeypatch, RANK="0", WORLD_SIZE="8") as client:
        with client.start_run("train", capture=False) as run:
            pass
        assert run_of(service, run.id)["metadata"] == {"rank": 0, "world_size": 8}


@pytest.mark.parametrize(("env", "rank"), [
    ({}, 0), ({"LOCAL_RANK": "2"}, 2), ({"RANK": "5", "LOCAL_RANK": "1"}, 5), ({"SLURM_PROCID": "7"}, 7),
    ({"OMPI_COMM_WORLD_RANK": "4"}, 4), ({"PMI_RANK": "6"}, 6), ({"RANK": " ", "SLURM_PROCID": "1"}, 1),
])
def test_the_rank_comes_from_the_launcher(env: dict[str, str], rank: int) -> None:
    assert ClientSettings.from_env(env).rank == rank


@pytest.mark.parametrize(("env", "message"), [
    ({"RANK": "-1"}, "RANK='-1' is not a whole number"),
    ({"WORLD_SIZE": "two"}, "WORLD_SIZE='two' is not a whole number"),
    ({"PROVGRAPH_ALL_RANKS": "maybe"}, "PROVGRAPH_ALL_RANKS='maybe' is not a boolean: use 1 or 0"),
])
def test_a_bad_rank_variable_is_named(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as refused:
        ClientSettings.from_env(env)
    assert refused.value.message == message
