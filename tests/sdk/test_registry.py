"""Promote and roll back from the SDK and the CLI against the real service: deploy,
rollback, deployed, history, set_status, and `provgraph registry …` in table and JSON."""

from __future__ import annotations

import json

import pytest

from provgraph import cli
from provgraph.sdk import Client
from provgraph.sdk.errors import ProvgraphError

from .service import Service


def register(client: Client, acc: float) -> str:
    return client.register_model("clf", metrics={"acc": acc}).version


def test_deploy_rollback_and_what_runs_where(client: Client) -> None:
    for acc in (0.85, 0.87, 0.88):
        register(client, acc)
    first = client.deploy("clf:v1", note="baseline")
    assert (first.version, first.status, first.deployed_in) == ("v1", "DEPLOYED", ("production",))
    client.deploy("clf:v1", "staging")
    client.deploy("clf:v3")
    now = client.deployed("clf")
    assert {env: d.model.version for env, d in now.items()} == {"production": "v3", "staging": "v1"}
    back = client.rollback("clf", note="v3 regressed")
    assert (back.version, back.deployed_in) == ("v1", ("production", "staging"))
    assert client.get("clf:v3").status == "DEPRECATED"  # type: ignore[attr-defined]
    assert [(e.action, e.version, e.replaces) for e in client.deployments("clf", "production")] == [
        ("ROLLBACK", "v1", "v3"), ("DEPLOY", "v3", "v1"), ("DEPLOY", "v1", None)]
    events = client.history("clf:v3")
    assert [(e.action, e.to_status, e.note) for e in events] == [
        ("REPLACED", "DEPRECATED", "replaced by v1 in production"), ("DEPLOY", "DEPLOYED", None)]
    archived = client.set_status("clf:v2", "archived", note="never shipped")
    assert archived.status == "ARCHIVED"
    with pytest.raises(ProvgraphError) as caught:
        client.deploy("clf:v2")
    assert caught.value.code == "CONFLICT"
    assert "cannot go from ARCHIVED to DEPLOYED" in caught.value.message


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = cli.main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_registry_cli(service: Service, project: str, client: Client, capsys: pytest.CaptureFixture[str]) -> None:
    for acc in (0.85, 0.87, 0.88):
        register(client, acc)
    common = ("--url", service.url, "--project", project)
    assert run_cli(capsys, "registry", "deploy", "clf:v1", "--note", "first", *common)[:2] == (
        0, f"{project}/clf:v1 deployed in production\n")
    assert run_cli(capsys, "registry", "deploy", "clf:v3", *common)[0] == 0
    status, out, _ = run_cli(capsys, "registry", "status", "clf", *common)
    assert status == 0
    lines = out.splitlines()
    assert lines[:2] == [f"{project}/clf", "  Versions: 3 (1 deployed)"]
    assert lines[2].startswith("  ● v3       (deployed  ) acc=0.880 production since ")
    assert lines[3:] == ["  ○ v2       (completed ) acc=0.870", "  ○ v1       (deprecated) acc=0.850"]
    assert run_cli(capsys, "registry", "rollback", "clf", *common)[:2] == (0, f"production now runs {project}/clf:v1 (rolled back)\n")
    status, out, _ = run_cli(capsys, "registry", "history", "clf", "--format", "json", *common)
    assert [(e["action"], e["version"], e["replaces"]) for e in json.loads(out)] == [
        ("ROLLBACK", "v1", "v3"), ("DEPLOY", "v3", "v1"), ("DEPLOY", "v1", None)]
    status, out, _ = run_cli(capsys, "registry", "history", "clf:v1", *common)
    table = out.splitlines()
    assert table[0].split() == ["AT", "(UTC)", "ACTION", "VERSION", "STATUS", "ENV", "REPLACES", "BY", "NOTE"]
    assert [row.split()[2:4] for row in table[1:]] == [["ROLLBACK", "v1"], ["REPLACED", "v1"], ["DEPLOY", "v1"]]
    assert table[-1].endswith("anonymous  first")
    status, out, _ = run_cli(capsys, "registry", "status", "clf", "--format", "json", *common)
    assert [(v["version"], v["status"], v["deployed_in"]) for v in json.loads(out)["versions"]] == [
        ("v3", "DEPRECATED", []), ("v2", "COMPLETED", []), ("v1", "DEPLOYED", ["production"])]
    status, _, err = run_cli(capsys, "registry", "rollback", "clf", "--env", "staging", *common)
    assert status != 0 and err == (f"provgraph registry: roll back '{project}/clf' in staging: nothing of model "
                                   f"{project}/clf is deployed in staging: nothing to roll back\n")
    assert run_cli(capsys, "registry", "status", "nope", *common)[:2] == (1, f"no model {project}/nope\n")
