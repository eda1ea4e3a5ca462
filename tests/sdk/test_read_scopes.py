"""Read scopes through the SDK and CLI against the real service: another project's
artifacts cannot be fetched, pulled, listed or exported by a token that may not read it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

import pytest

from provgraph import cli
from provgraph.errors import NotFound
from provgraph.sdk import Client

from .service import Service, running

TOKENS = "admin-token,team-a-token=a,b-viewer-token=read:b"


@pytest.fixture(scope="module")
def scoped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    with running(tmp_path_factory.mktemp("scoped"), tokens=TOKENS) as found:
        weights = found.data / "weights.bin"
        weights.write_bytes(b"weights of project b" * 1000)
        with Client(found.url, token="admin-token", project="b") as admin:
            admin.start_run("train-b", capture=False).finish()
            admin.register_model("m", {"weights": weights})
        yield found


def test_a_foreign_model_cannot_be_fetched_or_pulled(scoped: Service, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    with Client(scoped.url, token="b-viewer-token") as viewer:
        assert viewer.download("b/m:v1", tmp_path / "seen").ok
    assert (tmp_path / "seen" / "weights.bin").read_bytes() == b"weights of project b" * 1000
    with Client(scoped.url, token="team-a-token") as outsider:
        with pytest.raises(NotFound) as refused:
            outsider.download("b/m:v1", tmp_path / "out")
        assert "no dataset or model matches ref 'b/m:v1'" in refused.value.message
        with pytest.raises(NotFound):
            outsider.get("b/m:v1")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    monkeypatch.setenv("PROVGRAPH_TOKEN", "team-a-token")
    capsys.readouterr()
    assert cli.main(["pull", "b/m:v1", str(tmp_path / "pulled"), "--url", scoped.url]) != 0
    assert "no dataset or model matches ref 'b/m:v1'" in capsys.readouterr().err
    assert not (tmp_path / "pulled").exists() or not any((tmp_path / "pulled").iterdir())


def test_runs_of_a_foreign_project_are_not_listed_or_exported(scoped: Service, monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    with Client(scoped.url, token="team-a-token", project="b") as outsider:
        assert outsider.runs(project="b") == []
    with Client(scoped.url, token="b-viewer-token", project="b") as viewer:
        assert [r.name for r in viewer.runs(project="b")] == ["train-b"]
    for token, expected in (("team-a-token", []), ("b-viewer-token", ["train-b"])):
        monkeypatch.setenv("PROVGRAPH_TOKEN", token)
        capsys.readouterr()
        assert cli.main(["runs", "--export", "json", "--url", scoped.url, "--project", "b"]) == 0
        assert [r["name"] for r in json.loads(capsys.readouterr().out)] == expected
