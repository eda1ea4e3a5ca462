"""``use``: verified local copies of inputs, recorded as USED edges of the run."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from provgraph.digest import Digest
from provgraph.errors import BadInput, NotFound
from provgraph.sdk import Client, LocalArtifact
from provgraph.sdk.download import PARTIAL, CorruptDownload

from .service import Service

INPUTS = """query($id: ID!) { node(id: $id) { ... on Run { inputs { role node { id } } } } }"""


def inputs_of(service: Service, run_id: str) -> list[tuple[str | None, str]]:
    node = service.gql(INPUTS, {"id": run_id})["node"]
    assert isinstance(node, dict)
    return sorted((i["role"], i["node"]["id"]) for i in node["inputs"])


def _dataset(client: Client, tmp_path: Path) -> dict[str, bytes]:
    src = tmp_path / "src"
    (src / "shards").mkdir(parents=True)
    content = {"labels.csv": b"a,1\nb,2\n", "shards/000.bin": os.urandom(200_000)}
    for rel, data in content.items():
        (src / rel).write_bytes(data)
    client.register_dataset("replays", files=[src])
    return content


def test_use_records_the_used_edge_and_returns_verified_files(
        client: Client, service: Service, tmp_path: Path) -> None:
    content = _dataset(client, tmp_path)
    with client.start_run("train", capture=False) as run:
        local = run.use("replays:v1", role="train")
    assert isinstance(local, LocalArtifact) and local.artifact.name == "replays"
    assert {rel: path.read_bytes() for rel, path in local.files.items()} == content
    assert (local / "labels.csv").read_bytes() == content["labels.csv"] and Path(local) == local.path
    assert local.path == client.settings.cache_dir / "artifacts" / local.artifact.id
    assert inputs_of(service, run.id) == [("train", local.artifact.id)]


def test_client_use_records_on_the_current_run_and_only_once(
        client: Client, service: Service, tmp_path: Path) -> None:
    _dataset(client, tmp_path)
    with client.start_run("train", capture=False) as run:
        first = client.use("replays:v1", "train", dest=tmp_path / "data")
        again = client.use("replays:v1", "train", dest=tmp_path / "data")
    assert first.files == again.files and first.path == tmp_path / "data"
    assert inputs_of(service, run.id) == [("train", first.artifact.id)]


def test_use_outside_a_run_only_fetches(client: Client, tmp_path: Path) -> None:
    content = _dataset(client, tmp_path)
    local = client.use("replays:v1", dest=tmp_path / "data")
    assert (local / "shards/000.bin").read_bytes() == content["shards/000.bin"]


def test_a_changed_local_copy_is_fetched_again(client: Client, service: Service, tmp_path: Path) -> None:
    content = _dataset(client, tmp_path)
    local = client.use("replays:v1", dest=tmp_path / "data")
    (local / "labels.csv").write_bytes(b"a,9\nb,9\n")  # same size, other bytes
    (local / "shards/000.bin").write_bytes(b"truncated")
    with client.start_run("train", capture=False) as run:
        again = run.use("replays:v1", "train", dest=tmp_path / "data")
    assert {rel: path.read_bytes() for rel, path in again.files.items()} == content
    assert inputs_of(service, run.id) == [("train", again.artifact.id)]


def test_bytes_that_fail_verification_are_refused_and_nothing_is_recorded(
        client: Client, service: Service, tmp_path: Path) -> None:
    content = _dataset(client, tmp_path)
    digest = Digest(hashlib.sha256(content["shards/000.bin"]).hexdigest())
    rotten = b"\0" + content["shards/000.bin"][1:]
    (service.data / "blobs" / digest.key).write_bytes(rotten)  # bit rot in the store
    out = tmp_path / "data"
    with client.start_run("train", capture=False) as run:
        with pytest.raises(CorruptDownload) as refused:
            run.use("replays:v1", "train", dest=out)
    size = len(content["shards/000.bin"])
    assert refused.value.message == (
        "cannot use 'replays:v1': 1 of 2 files could not be verified, so it was not recorded as an input "
        f"(shards/000.bin: shards/000.bin: the service sent {size} bytes hashing to "
        f"{hashlib.sha256(rotten).hexdigest()}, not the registered {size} bytes "
        f"of {digest.hex}; nothing was written at {out / 'shards' / '000.bin'}. Run `provgraph verify` on the "
        "artifact: its stored copy may be damaged)")
    assert refused.value.code == "BAD_INPUT"
    assert inputs_of(service, run.id) == []
    assert not (out / "shards" / "000.bin").exists() and not list(out.rglob(f"*{PARTIAL}"))


def test_an_unknown_ref_is_not_found_and_nothing_is_recorded(
        client: Client, service: Service, project: str) -> None:
    with client.start_run("train", capture=False) as run:
        with pytest.raises(NotFound) as missing:
            run.use("nope:v1", "train")
    assert missing.value.message == (
        f"look up '{project}/nope:v1': no dataset or model matches ref '{project}/nope:v1'")
    assert inputs_of(service, run.id) == []


def test_a_script_that_only_uses_and_logs_models_has_complete_lineage(
        client: Client, tmp_path: Path, project: str) -> None:
    _dataset(client, tmp_path)
    (tmp_path / "base.bin").write_bytes(b"base weights")
    base = client.register_model("base", {"checkpoint": tmp_path / "base.bin"})
    with client.start_run("finetune", capture=False) as run:
        data = run.use("replays:v1", role="train")
        weights = run.use("base:v1", role="base_model")
        (tmp_path / "ft.bin").write_bytes((weights / "base.bin").read_bytes() + (data / "labels.csv").read_bytes())
        model = run.log_model("ft", files={"checkpoint": tmp_path / "ft.bin"})
    assert model is not None
    graph = client.lineage(model, "up")
    edges = {(graph.node(e.source).label, e.type, e.role, graph.node(e.target).label) for e in graph.edges
             if e.type != "HAS_FILE"}
    assert edges == {
        ("ft:v1", "GENERATED_BY", None, run.name + f" ({run.id[-6:]})"),
        ("ft:v1", "DERIVED_FROM", None, "base:v1"),
        (run.name + f" ({run.id[-6:]})", "USED", "train", "replays:v1"),
        (run.name + f" ({run.id[-6:]})", "USED", "base_model", "base:v1"),
    }
    kinds = sorted(h.node.kind for h in client.ancestors(model) if h.node.kind != "BLOB")
    assert kinds == ["DATASET", "MODEL", "RUN"] and base.id in {h.node.id for h in client.ancestors(model)}


def test_explicit_parents_replace_the_models_used(client: Client, tmp_path: Path) -> None:
    (tmp_path / "teacher.bin").write_bytes(b"teacher")
    client.register_model("teacher", {"checkpoint": tmp_path / "teacher.bin"})
    with client.start_run("distil", capture=False) as run:
        run.use("teacher:v1", role="teacher")
        student = run.log_model("student", files={"checkpoint": tmp_path / "teacher.bin"}, parents=[])
    assert student is not None
    graph = client.lineage(student, "up", max_depth=1)
    assert {e.type for e in graph.edges if e.source == student.id} == {"GENERATED_BY", "HAS_FILE"}


def test_a_bad_role_is_refused_before_anything_moves(client: Client, service: Service, tmp_path: Path) -> None:
    _dataset(client, tmp_path)
    with client.start_run("train", capture=False) as run:
        with pytest.raises(BadInput) as refused:
            run.use("replays:v1", "train set", dest=tmp_path / "data")
    assert refused.value.message == (
        "invalid input role 'train set': use 1-200 letters, digits, '_', '.', '-' (no ':', '@' or '/', "
        "which refs use), starting with a letter, digit or '_'")
    assert inputs_of(service, run.id) == [] and not (tmp_path / "data").exists()


def test_a_bare_blob_is_one_file_named_by_its_digest(client: Client, service: Service, tmp_path: Path) -> None:
    digest = client.upload_bytes(b"tokenizer table", "vocab")
    with client.start_run("train", capture=False) as run:
        local = run.use(f"sha256:{digest}", "vocab", dest=tmp_path / "blob")
    assert local.files == {digest: tmp_path / "blob" / digest}
    assert (local / digest).read_bytes() == b"tokenizer table"
    assert inputs_of(service, run.id) == [("vocab", f"sha256:{digest}")]
