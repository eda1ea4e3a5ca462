"""Downloads: an artifact's files fetched into a folder, checked against their digests,
correct local copies skipped, corrupt bytes never left under the final name."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from provgraph import cli
from provgraph.digest import Digest
from provgraph.errors import BadInput
from provgraph.sdk import Client
from provgraph.sdk.download import PARTIAL, target_of

from .service import Service


def _model(client: Client, tmp_path: Path) -> dict[str, bytes]:
    src = tmp_path / "src"
    (src / "tok").mkdir(parents=True)
    content = {"weights.bin": os.urandom(300_000), "tok/vocab.txt": os.urandom(1000), "tok/merges.txt": b""}
    for rel, data in content.items():
        (src / rel).write_bytes(data)
    client.register_model("m", {"weights": src / "weights.bin", "tokenizer": src / "tok"})
    return {"weights.bin": content["weights.bin"], "tokenizer/vocab.txt": content["tok/vocab.txt"],
            "tokenizer/merges.txt": b""}


def test_download_writes_every_file_at_its_path(client: Client, tmp_path: Path) -> None:
    expected = _model(client, tmp_path)
    report = client.download("m", tmp_path / "out")
    assert report.ok and report.count("downloaded") == 3
    assert {p: (tmp_path / "out" / p).read_bytes() for p in expected} == expected
    assert not list((tmp_path / "out").rglob(f"*{PARTIAL}"))


def test_files_already_correct_are_skipped_and_damaged_ones_replaced(client: Client, tmp_path: Path) -> None:
    expected = _model(client, tmp_path)
    out = tmp_path / "out"
    client.download("m", out)
    damaged = out / "weights.bin"
    damaged.write_bytes(b"x" * len(expected["weights.bin"]))  # same size, wrong bytes
    report = client.download("m", out)
    states = {f.path.relative_to(out).as_posix(): f.state for f in report.files}
    assert states == {"weights.bin": "downloaded", "tokenizer/vocab.txt": "skipped", "tokenizer/merges.txt": "skipped"}
    assert damaged.read_bytes() == expected["weights.bin"]


def test_corrupt_stored_bytes_are_detected_and_not_left_in_place(
        client: Client, service: Service, tmp_path: Path) -> None:
    expected = _model(client, tmp_path)
    digest = Digest(hashlib.sha256(expected["weights.bin"]).hexdigest())
    stored = service.data / "blobs" / digest.key
    stored.write_bytes(b"\0" + expected["weights.bin"][1:])  # bit rot in the store
    out = tmp_path / "out"
    report = client.download("m", out)
    failed = [f for f in report.files if f.state == "failed"]
    assert not report.ok and [f.path for f in failed] == [out / "weights.bin"]
    assert failed[0].error is not None and digest.hex in failed[0].error
    assert not (out / "weights.bin").exists()
    assert not list(out.rglob(f"*{PARTIAL}"))
    assert report.count("downloaded") == 2


def test_pull_command_downloads_then_skips(client: Client, service: Service, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    expected = _model(client, tmp_path)
    out = tmp_path / "pulled"
    argv = ["pull", "m", str(out), "--url", service.url, "--project", client.project]
    assert cli.main(argv) == 0
    assert "3 downloaded, 0 already present" in capsys.readouterr().out
    assert (out / "weights.bin").read_bytes() == expected["weights.bin"]
    assert cli.main(argv) == 0
    assert "0 downloaded, 3 already present and correct, 0 failed" in capsys.readouterr().out


@pytest.mark.parametrize("rel", ["../escape.txt", "/etc/passwd", "a/../../b", ""])
def test_a_path_leaving_the_folder_is_refused(tmp_path: Path, rel: str) -> None:
    with pytest.raises(BadInput, match="outside"):
        target_of(tmp_path, rel)


def test_a_nested_path_stays_inside_the_folder(tmp_path: Path) -> None:
    assert target_of(tmp_path, "a/b/c.txt") == tmp_path / "a" / "b" / "c.txt"
