"""Run search from the SDK and the CLI (``runs --filter --sort``), and ``compare`` of N refs."""

from __future__ import annotations

import json

import pytest

from provgraph import cli
from provgraph.errors import BadInput
from provgraph.sdk import Client

from .service import Service


@pytest.fixture
def three(client: Client, service: Service, project: str, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setenv("PROVGRAPH_URL", service.url)
    monkeypatch.setenv("PROVGRAPH_PROJECT", project)
    ids = []
    for name, lr, loss in (("a", 0.001, 0.4), ("b", 0.01, 0.1), ("c", 0.001, 0.2)):
        with client.start_run(name, params={"lr": lr, "epochs": 3}, capture=False) as run:
            run.log_metric("loss", loss)
        ids.append(run.id)
    return ids


def cli_out(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    status = cli.main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out + captured.err


def test_client_filters_and_sorts_on_the_service(client: Client, project: str, three: list[str]) -> None:
    found = client.runs(project=project, filter="metrics.loss < 0.3", order_by="-metrics.loss")
    assert [r.name for r in found] == ["c", "b"]
    assert [r.name for r in client.runs(project=project, order_by="metrics.loss", limit=2)] == ["b", "c"]
    searched = client.search_runs(f'project = "{project}" AND params.lr = 0.001', order_by="name")
    assert [(r.name, r.metrics["loss"]) for r in searched] == [("a", 0.4), ("c", 0.2)]


def test_a_bad_filter_fails_before_any_request(client: Client, project: str, three: list[str]) -> None:
    with pytest.raises(BadInput) as caught:
        client.runs(project=project, filter="metrics.loss <")
    assert caught.value.message == "filter: 'metrics.loss <' ends too early: expected a number or a quoted string"
    with pytest.raises(BadInput) as caught:
        client.runs(project=project, order_by="-")
    assert caught.value.message.startswith("orderBy '-' is not a sort key")
    assert len(client.runs(project=project)) == 3  # nothing written


def test_cli_runs_filter_and_sort(three: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    status, out = cli_out(capsys, "runs", "--filter", "metrics.loss < 0.3 AND params.epochs = 3", "--sort",
                          "-metrics.loss")
    assert status == 0 and [line.split()[1] for line in out.splitlines()[1:]] == ["c", "b"]
    status, out = cli_out(capsys, "runs", "--sort-by", "metrics.loss", "--desc", "--export", "json")
    assert status == 0 and [r["name"] for r in json.loads(out)] == ["a", "c", "b"]
    status, out = cli_out(capsys, "runs", "--sort=-name")
    assert [line.split()[1] for line in out.splitlines()[1:]] == ["c", "b", "a"]
    assert cli_out(capsys, "runs", "--filter", "lr = 1") == (
        1, "provgraph runs: filter: unknown field 'lr' at column 1: use params.KEY, metrics.KEY, status, name, "
           "project, kind, tags\n")


def test_compare_three_runs(three: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    status, out = cli_out(capsys, "compare", *three, "--format", "json")
    answer = json.loads(out)
    assert status == 0 and len(answer["refs"]) == 3 and "a" not in answer
    assert answer["sections"]["params"]["lr"] == {"values": [0.001, 0.01, 0.001], "same": False}
    assert answer["sections"]["params"]["epochs"] == {"values": [3, 3, 3], "same": True}
    assert answer["sections"]["metrics"]["loss"]["values"] == [0.4, 0.1, 0.2]
    status, out = cli_out(capsys, "compare", *three)
    lines = out.splitlines()
    assert status == 0 and lines[0].split() == [label for ref in answer["refs"] for label in ref.split()]
    assert any(line.split() == ["lr", "0.001", "0.01", "0.001"] for line in lines)
    assert any(line.split() == ["loss", "0.4", "0.1", "0.2"] for line in lines)
    assert not any(line.split()[:1] == ["epochs"] for line in lines)  # identical rows are only counted


def test_compare_two_keeps_the_a_b_form(three: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    status, out = cli_out(capsys, "compare", three[0], three[1], "--format", "json")
    lr = json.loads(out)["sections"]["params"]["lr"]
    assert status == 0 and lr == {"values": [0.001, 0.01], "same": False, "a": 0.001, "b": 0.01}
    assert cli_out(capsys, "compare", three[0]) == (1, "provgraph compare: compare needs at least two refs\n")


def test_client_compare_of_n_runs(client: Client, three: list[str]) -> None:
    result = client.compare(*three)
    assert len(result["refs"]) == 3
    assert result["sections"]["params"]["lr"] == {"values": [0.001, 0.01, 0.001], "same": False}
    with pytest.raises(BadInput) as caught:
        client.compare(three[0])
    assert caught.value.message == "compare needs at least two refs"
