"""The ``provgraph`` command line: flags over environment, one-line errors."""

from __future__ import annotations

import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

from provgraph import cli


def test_flags_override_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROVGRAPH_PORT", "9000")
    monkeypatch.setenv("PROVGRAPH_GRAPH_URL", "sqlite:////tmp/env.db")
    args = cli.parser().parse_args(["serve", "--host", "0.0.0.0", "--blob-url", "file:///tmp/b"])
    settings = cli.settings_from(args)
    assert (settings.host, settings.port, settings.graph_url, settings.blob_url) == (
        "0.0.0.0", 9000, "sqlite:////tmp/env.db", "file:///tmp/b",
    )


def test_bad_environment_is_one_line_and_exit_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PROVGRAPH_PORT", "eighty")
    assert cli.main(["serve"]) == 1
    assert capsys.readouterr().err == "provgraph serve: PROVGRAPH_PORT='eighty' is not an integer\n"


def test_bad_flag_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["serve", "--port", "70000"])
    assert exit_.value.code == 2
    assert "argument --port: '70000' is not a port (1-65535)" in capsys.readouterr().err


def test_a_subcommand_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main([])
    assert exit_.value.code == 2
    assert capsys.readouterr().err.endswith("error: the following arguments are required: command\n")


def test_version_is_the_installed_distributions(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--version"])
    assert exit_.value.code == 0
    installed = metadata.version("provgraph")
    assert capsys.readouterr().out == f"provgraph {installed}\n"
    # The installed metadata is the project's current version, not a stale install.
    project = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())
    assert installed == project["project"]["version"]


def test_version_when_not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(name: str) -> str:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", missing)
    assert cli.installed_version() == "unknown (not installed)"


@pytest.mark.parametrize("missing", ["uvicorn"])
def test_serve_without_the_server_extra_names_the_fix(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], missing: str
) -> None:
    monkeypatch.setitem(sys.modules, missing, None)  # import of it raises ImportError
    for name in [m for m in sys.modules if m.startswith("provgraph.service")]:
        monkeypatch.delitem(sys.modules, name)
    assert cli.main(["serve"]) == 1
    assert capsys.readouterr().err == (
        f"provgraph serve: serve needs the server extra ({missing} is missing): pip install 'provgraph[server]'\n"
    )
