"""Datasets, models, evaluations and typed lineage answers; nothing half-registered."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from provgraph.digest import manifest_digest
from provgraph.sdk import Client, Dataset, Hop, Model, RunRecord
from provgraph.sdk.errors import UnreadableFile

from .service import Service

COUNT = 'query($p: String) { datasets(project: $p) { edges { node { id } } } models(project: $p) { edges { node { id } } } }'


def tree(root: Path) -> Path:
    (root / "replays" / "day1").mkdir(parents=True)
    (root / "replays" / "a.jsonl").write_bytes(b"a" * 10)
    (root / "replays" / "day1" / "b.jsonl").write_bytes(b"b" * 20)
    return root / "replays"


def counts(service: Service, project: str) -> tuple[int, int]:
    found = service.gql(COUNT, {"p": project})
    return len(found["datasets"]["edges"]), len(found["models"]["edges"])  # type: ignore[index]


def test_a_folder_becomes_a_manifest_of_relative_paths(client: Client, tmp_path: Path, project: str) -> None:
    ds = client.register_dataset("replays", files=[tree(tmp_path)], stats={"frames": 125_000})
    digests = {"a.jsonl": hashlib.sha256(b"a" * 10).hexdigest(), "day1/b.jsonl": hashlib.sha256(b"b" * 20).hexdigest()}
    assert isinstance(ds, Dataset)
    assert (ds.name, ds.version, ds.project, ds.file_count, ds.total_bytes, dict(ds.stats)) == (
        "replays", "v1", project, 2, 30, {"frames": 125_000})
    assert ds.manifest_digest == manifest_digest(digests.items()).hex
    assert [(f.path, f.digest, f.size, f.status) for f in client.files(ds)] == [
        ("a.jsonl", digests["a.jsonl"], 10, "VERIFIED"), ("day1/b.jsonl", digests["day1/b.jsonl"], 20, "VERIFIED")]
    again = client.register_dataset("replays", files=[tmp_path / "replays"])
    assert (again.version, again.manifest_digest) == ("v2", ds.manifest_digest)


def test_a_symlink_loop_is_refused_and_nothing_registered(client: Client, service: Service, tmp_path: Path,
                                                          project: str) -> None:
    folder = tree(tmp_path)
    os.symlink(folder, folder / "day1" / "back")
    with pytest.raises(UnreadableFile, match=r"symlink loop in .*replays: day1/back leads back to .*replays"):
        client.register_dataset("replays", files=[folder])
    assert counts(service, project) == (0, 0)


def test_an_unreadable_file_is_refused_and_nothing_registered(client: Client, service: Service, tmp_path: Path,
                                                              project: str) -> None:
    folder = tree(tmp_path)
    (folder / "c.jsonl").symlink_to(tmp_path / "deleted.jsonl")
    with pytest.raises(UnreadableFile, match=r"cannot read .*c.jsonl: a broken symbolic link"):
        client.register_dataset("replays", files=[folder])
    assert counts(service, project) == (0, 0)


def test_models_evaluations_and_typed_lineage(client: Client, tmp_path: Path, project: str) -> None:
    ds = client.register_dataset("replays", files=[tree(tmp_path)])
    (tmp_path / "ckpt.bin").write_bytes(b"v1 weights")
    (tmp_path / "config.json").write_text("{}")
    with client.start_run("train", inputs=[ds], capture=False) as run:
        v1 = run.log_model("mamba", files={"checkpoint": tmp_path / "ckpt.bin", "config": tmp_path / "config.json"})
    (tmp_path / "ckpt.bin").write_bytes(b"v2 weights")
    with client.start_run("finetune", inputs={"base_model": "mamba:v1", "train": ds.id}, capture=False) as run2:
        v2 = run2.log_model("mamba", files={"checkpoint": tmp_path / "ckpt.bin"}, parents=["mamba:v1"])
    evaluation = client.record_evaluation(v2, dataset=ds, metrics={"accuracy": 0.85})
    assert isinstance(v2, Model) and (v1.version, v2.version, v2.label) == ("v1", "v2", "mamba:v2")
    assert [(f.role, f.path) for f in client.files(v1)] == [("checkpoint", "ckpt.bin"), ("config", "config.json")]
    hops = client.ancestors("mamba:v2", kinds=["model", "run", "dataset"])
    assert [(h.depth, h.node.kind, h.node.label) for h in hops if h.depth == 1] == [
        (1, "MODEL", "mamba:v1"), (1, "RUN", f"finetune ({run2.id[-6:]})")]  # by depth, then id (creation)
    assert all(isinstance(h, Hop) for h in hops) and any(h.node.id == ds.id and h.depth == 2 for h in hops)
    impact = {h.node.id for h in client.descendants(ds)}
    assert {v1.id, v2.id, evaluation.id, run.id, run2.id} <= impact
    graph = client.lineage(v2, direction="both")
    assert {(e.source, e.target, e.type) for e in graph.edges} >= {
        (v2.id, v1.id, "DERIVED_FROM"), (v2.id, run2.id, "GENERATED_BY"), (evaluation.id, v2.id, "EVALUATES"),
        (evaluation.id, ds.id, "ON")}  # descendant → ancestor: neither walk takes it, the answer has it
    assert graph.direction == "BOTH"
    ids = {n.id for n in graph.nodes}
    assert all(e.source in ids and e.target in ids for e in graph.edges)
    up = client.path(evaluation, ds)
    assert up is not None and up.direction == "UPSTREAM"
    assert [n.id for n in up.nodes] == [evaluation.id, ds.id] and [(e.source, e.target) for e in up.edges] == [
        (evaluation.id, ds.id)]
    down = client.path(ds, "mamba:v1", direction="down")
    assert down is not None and down.direction == "DOWNSTREAM"
    assert [n.id for n in down.nodes] == [ds.id, run.id, v1.id]
    assert [(e.source, e.target, e.type) for e in down.edges] == [(run.id, ds.id, "USED"), (v1.id, run.id, "GENERATED_BY")]
    assert client.path(ds, "mamba:v1", direction="up") is None
    found = client.get(run2.id)
    assert isinstance(found, RunRecord) and found.status == "COMPLETED"
