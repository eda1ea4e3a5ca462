"""The example training script in a throwaway git repo, then the CLI's answers about it."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from provgraph import cli

from .service import Service

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "train_tiny.py"


@pytest.fixture
def trained(service: Service, project: str, repo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PROVGRAPH_URL", service.url)
    monkeypatch.setenv("PROVGRAPH_PROJECT", project)
    done = subprocess.run([sys.executable, str(EXAMPLE), "--workdir", str(repo / "work")], cwd=repo,
                          capture_output=True, text=True, env={**__import__("os").environ}, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("registered tiny:v1 and tiny:v2 (w=")
    return repo


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    status = cli.main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out + captured.err


def test_the_example_and_the_cli_answers(trained: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out = run_cli(capsys, "lineage", "tiny:v2")
    lines = out.splitlines()
    assert status == 0 and lines[0] == "Model tiny:v2"
    assert lines[1] == "├─ DERIVED_FROM Model tiny:v1"
    assert any(line.endswith("USED (train) Dataset tiny-points:v1") for line in lines)
    assert lines[-1].startswith("└─ HAS_FILE (tiny-v2.json) Blob sha256:")

    status, out = run_cli(capsys, "path", "tiny:v1", "tiny:v2")
    assert (status, out.splitlines()) == (0, ["Model tiny:v1  (what derives from it)", "└─ DERIVED_FROM Model tiny:v2"])
    status, out = run_cli(capsys, "path", "tiny:v2", "tiny:v1", "--format", "json")
    answer = json.loads(out)
    assert status == 0 and answer["direction"] == "UPSTREAM"
    assert [n["label"] for n in answer["nodes"]] == ["tiny:v2", "tiny:v1"]
    assert run_cli(capsys, "path", "tiny:v2", "tiny:v1", "--direction", "down") == (
        1, "no downstream path from tiny:v2 to tiny:v1\n")

    status, out = run_cli(capsys, "describe", "tiny:v2")
    assert status == 0
    assert out.startswith("Model tiny:v2, fine-tuned from tiny:v1 on tiny-points:v1 (2 files, 400 samples), "
                          "10 epochs, final loss 0.0")
    assert out.endswith(" s\n")

    status, out = run_cli(capsys, "compare", "tiny:v1", "tiny:v2", "--format", "json")
    sections = json.loads(out)["sections"]
    assert status == 0 and (sections["params"]["lr"]["a"], sections["params"]["lr"]["b"]) == (0.05, 0.01)
    assert (sections["params"]["epochs"]["a"], sections["params"]["epochs"]["b"]) == (40, 10)
    assert sections["data"]["input train"]["same"] is True and sections["files"]["checkpoint"]["same"] is False
    assert sections["code"]["commit"]["same"] is True and sections["code"]["dirty"]["a"] is False
    status, out = run_cli(capsys, "compare", "tiny:v1", "tiny:v2")
    assert status == 0 and out.splitlines()[0].split() == ["tiny:v1", "tiny:v2"]
    assert any(line.split() == ["lr", "0.05", "0.01"] for line in out.splitlines())

    assert run_cli(capsys, "verify", "tiny:v2") == (0, "model tiny:v2: valid, hash matches registry (1 file, 51 bytes)\n")
    local = trained / "work" / "tiny-v2.json"
    assert run_cli(capsys, "verify", str(local), "--against", "tiny:v2")[0] == 0
    status, out = run_cli(capsys, "verify", str(local), "--against", "tiny:v1")
    assert status == 1 and "which is no file of tiny:v1" in out


def test_runs_sort_and_export(trained: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out = run_cli(capsys, "runs", "--sort-by", "loss")
    names = [line.split()[1] for line in out.splitlines()[1:]]
    assert status == 0 and names == ["finetune", "train"]
    assert [line.split()[1] for line in run_cli(capsys, "runs", "--sort-by", "lr")[1].splitlines()[1:]] == [
        "finetune", "train"]
    assert [line.split()[1] for line in run_cli(capsys, "runs", "--sort-by", "lr", "--desc")[1].splitlines()[1:]] == [
        "train", "finetune"]
    exported = json.loads(run_cli(capsys, "runs", "--export", "json", "--sort-by", "epochs")[1])
    assert [(r["name"], r["params.epochs"]) for r in exported] == [("finetune", 10), ("train", 40)]
    csv = run_cli(capsys, "runs", "--export", "csv")[1].splitlines()
    assert csv[0].startswith("id,name,status,started,duration_s,") and len(csv) == 3


def test_verify_finds_corrupt_bytes(trained: Path, service: Service, project: str,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    nodes = json.loads(run_cli(capsys, "lineage", "tiny:v1", "--format", "json")[1])["nodes"]
    digest = next(n["name"] for n in nodes if n["kind"] == "BLOB")
    stored = service.data / "blobs" / "sha256" / digest[:2] / digest[2:4] / digest
    stored.write_bytes(b"bit rot")
    rot = hashlib.sha256(b"bit rot").hexdigest()
    assert run_cli(capsys, "verify", digest) == (
        1, f"sha256:{digest}: stored bytes hash to {rot}, registry says {digest}\n")
    status, out = run_cli(capsys, "verify", "tiny:v1")
    assert status == 1 and out == (
        f"model tiny:v1: checkpoint tiny-v1.json: stored bytes hash to {rot}, registry says {digest}\n")
    ref = f"{project}/nope:v9"
    assert run_cli(capsys, "describe", "nope:v9") == (
        1, f"provgraph describe: look up {ref!r}: no dataset or model matches ref {ref!r}\n")


def test_upload_prints_digests(service: Service, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROVGRAPH_URL", service.url)
    (tmp_path / "a.bin").write_bytes(b"abc")
    digest = hashlib.sha256(b"abc").hexdigest()
    assert run_cli(capsys, "upload", str(tmp_path / "a.bin")) == (0, f"{digest}  {tmp_path / 'a.bin'}  (stored)\n")
    assert run_cli(capsys, "upload", str(tmp_path / "a.bin")) == (
        0, f"{digest}  {tmp_path / 'a.bin'}  (already stored)\n")
    status, out = run_cli(capsys, "upload", str(tmp_path / "missing.bin"))
    assert (status, out) == (1, f"provgraph upload: cannot read {tmp_path / 'missing.bin'}: no such file or folder\n")
