"""Offline mode: a local journal, replayed idempotently by ``provgraph sync``."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from provgraph import cli
from provgraph.sdk import Client

from .service import Service

STATE = """query($p: String) { models(project: $p) { edges { node { id version files { digest status } } } }
  datasets(project: $p) { edges { node { id version fileCount } } }
  runs(project: $p) { edges { node { id status metrics } } } }"""


def record_offline(tmp_path: Path, project: str, **options: object) -> tuple[str, str]:
    (tmp_path / "ckpt.bin").write_bytes(b"offline weights")
    (tmp_path / "data.csv").write_text("1,2\n")
    with Client(project=project, **options) as client:  # type: ignore[arg-type]
        ds = client.register_dataset("points", files=[tmp_path / "data.csv"])
        with client.start_run("train", inputs=[ds], capture=False) as run:
            for step in range(100):
                run.log_metric("loss", 1.0 / (step + 1))
            model = run.log_model("tiny", files={"checkpoint": tmp_path / "ckpt.bin"})
        assert model.version is None and client.offline  # numbered by the service at sync
        return run.id, model.id


def test_sync_replays_the_journal_and_a_second_replay_changes_nothing(
    service: Service, project: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("PROVGRAPH_OFFLINE", "1")
    run_id, model_id = record_offline(tmp_path, project)
    journal = tmp_path / "cache" / "offline" / "journal.jsonl"
    kept = tmp_path / "journal-copy.jsonl"
    shutil.copy(journal, kept)
    blobs = tmp_path / "blobs-copy"
    shutil.copytree(journal.parent / "blobs", blobs)
    assert service.gql(STATE, {"p": project}) == {"models": {"edges": []}, "datasets": {"edges": []},
                                                  "runs": {"edges": []}}
    monkeypatch.setenv("PROVGRAPH_URL", service.url)
    assert cli.main(["sync"]) == 0
    assert capsys.readouterr().out == "synced 7 journaled operations (2 blobs uploaded)\n"
    state = service.gql(STATE, {"p": project})
    (model,) = state["models"]["edges"]  # type: ignore[index]
    assert (model["node"]["id"], model["node"]["version"], model["node"]["files"][0]["status"]) == (
        model_id, "v1", "VERIFIED")
    assert state["runs"] == {"edges": [{"node": {"id": run_id, "status": "COMPLETED", "metrics": {"loss": 0.01}}}]}
    assert cli.main(["sync"]) == 0
    assert capsys.readouterr().out == "nothing to sync: the offline journal is empty\n"
    shutil.copy(kept, journal)  # the same journal once more: every write is idempotent
    shutil.copytree(blobs, journal.parent / "blobs")
    assert cli.main(["sync"]) == 0
    assert capsys.readouterr().out == "synced 7 journaled operations (0 blobs uploaded)\n"
    assert service.gql(STATE, {"p": project}) == state
    with Client(service.url, project=project, offline=False) as client:
        assert len(client.metric_history(run_id, "loss")) == 100


def test_an_unreachable_service_falls_back_to_the_journal_when_asked(
    service: Service, project: str, tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    run_id, _ = record_offline(tmp_path, project, url="http://127.0.0.1:9", offline_fallback=True, retries=0)
    assert "recording offline from now on (run `provgraph sync` later)" in caplog.text
    with Client(service.url, project=project) as client:
        assert client.sync().operations == 7
        assert client.get(run_id).status == "COMPLETED"  # type: ignore[attr-defined]
