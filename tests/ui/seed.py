"""The graph the UI suite looks at, recorded through the real service's GraphQL API.

``diamond`` (project ``lab``): a raw dataset, two datasets derived from it, a run that used
both, the model it generated (deployed to production, a second version derived from it)
and an evaluation; the run logs a loss curve. ``corrupt`` (project ``rot``): a dataset
whose one file is bit-rotten on disk and caught by ``verifyArtifact``, with a run, a model
and an evaluation downstream of it. ``fillers`` (project ``bulk``): models enough for a
second page of the model listing; ``markup`` (project ``xss``): a model described in HTML. ``fan`` (project ``wide``): a dataset with a missing
file and runs enough that its downstream column is wider than the graph draws at once.
``hub`` (project ``hub``): a dataset with one file and more runs using it than one page of
neighbours the UI fetches at a time in the tests, and a blob that two runs have as a file.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.sdk.service import Service

TOKEN = "ui-suite-token-0123456789"
RAW = b"raw replay rows\n" * 512
CKPT = b"checkpoint bytes " * 1024
ROTTEN = b"rows that will rot " * 512
SWEEP = b"sweep inputs that will vanish " * 64


def sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def file(path: str, content: bytes) -> dict[str, Any]:
    return {"path": path, "digest": sha(content), "size": len(content)}


@dataclass(frozen=True)
class Diamond:
    raw: str
    left: str
    right: str
    train: str
    model: str
    model_v2: str
    evaluation: str
    blob: str


@dataclass(frozen=True)
class Corrupt:
    dataset: str
    run: str
    model: str
    evaluation: str
    blob: str


class Seeder:
    def __init__(self, service: Service) -> None:
        self.service = service

    def put(self, content: bytes) -> None:
        response = httpx.put(f"{self.service.url}/blobs/sha256/{sha(content)}", content=content,
                             headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
        assert response.status_code in (200, 201), response.text

    def do(self, query: str, **variables: Any) -> Any:
        data = self.service.gql(query, variables, token=TOKEN)
        (value,) = data.values()
        return value

    def dataset(self, name: str, project: str, files: list[dict[str, Any]], parents: list[str] | None = None) -> str:
        return str(self.do("""mutation($n: String!, $p: String, $f: [FileInput!]!, $d: [ID!]) {
            registerDataset(name: $n, project: $p, files: $f, derivedFrom: $d, stats: {rows: 512}) { id } }""",
                           n=name, p=project, f=files, d=parents)["id"])

    def run(self, name: str, project: str, inputs: list[dict[str, str]]) -> str:
        run = str(self.do("""mutation($n: String!, $p: String, $i: [RunInputRef!]) {
            startRun(name: $n, project: $p, kind: "training", inputs: $i, params: {lr: 0.001}) { id } }""",
                          n=name, p=project, i=inputs)["id"])
        self.do("mutation($r: ID!, $s: JSON!) { logMetricSeries(run: $r, series: $s) }", r=run,
                s={"loss": {"steps": list(range(1, 51)), "values": [round(3.0 / s, 4) for s in range(1, 51)]}})
        self.do('mutation($r: ID!) { finishRun(id: $r, status: COMPLETED, metrics: {loss: 0.06}) { id } }', r=run)
        return run

    def model(self, name: str, project: str, run: str | None, files: list[dict[str, Any]],
              parents: list[str] | None = None) -> str:
        return str(self.do("""mutation($n: String!, $p: String, $r: ID, $f: [FileInput!], $q: [ID!]) {
            registerModel(name: $n, project: $p, run: $r, files: $f, parents: $q, metrics: {accuracy: 0.91}) { id } }""",
                           n=name, p=project, r=run, f=files, q=parents)["id"])

    def evaluation(self, model: str, dataset: str, project: str) -> str:
        return str(self.do("""mutation($m: ID!, $d: ID, $p: String) {
            recordEvaluation(model: $m, dataset: $d, project: $p, metrics: {accuracy: 0.88}) { id } }""",
                           m=model, d=dataset, p=project)["id"])


def diamond(seed: Seeder) -> Diamond:
    seed.put(RAW)
    seed.put(CKPT)
    raw = seed.dataset("replays-raw", "lab", [file("rows.jsonl", RAW)])
    left = seed.dataset("replays-left", "lab", [file("rows.jsonl", RAW)], [raw])
    right = seed.dataset("replays-right", "lab", [file("rows.jsonl", RAW)], [raw])
    train = seed.run("train-mewtwo", "lab", [{"id": left, "role": "train"}, {"id": right, "role": "val"}])
    model = seed.model("mewtwo", "lab", train, [{**file("ckpt.bin", CKPT), "role": "checkpoint"}])
    seed.do('mutation($m: ID!) { deployModel(model: $m, environment: "production", note: "first launch") { id } }', m=model)
    model_v2 = seed.model("mewtwo", "lab", None, [{**file("ckpt.bin", CKPT), "role": "checkpoint"}], [model])
    evaluation = seed.evaluation(model, raw, "lab")
    return Diamond(raw, left, right, train, model, model_v2, evaluation, f"sha256:{sha(RAW)}")


MARKUP = '<img src="/nothing.png" onerror="window.injected = true">'


def markup(seed: Seeder) -> str:
    """A model (project ``xss``) whose description and tag are HTML."""
    return str(seed.do('mutation($d: String!) { registerModel(name: "markup", project: "xss", description: $d, tags: [$d]) { id } }',
                       d=MARKUP)["id"])


def fillers(seed: Seeder, count: int) -> list[str]:
    """``count`` bare models in project ``bulk``, for listings of more than one page."""
    return [seed.model(f"filler-{i}", "bulk", None, []) for i in range(count)]


def fan(seed: Seeder, count: int) -> str:
    """A dataset (project ``wide``) whose one file's bytes are gone, caught as MISSING, and
    ``count`` runs (left RUNNING) that used it; returns the dataset's id."""
    seed.put(SWEEP)
    dataset = seed.dataset("sweep-data", "wide", [file("sweep.bin", SWEEP)])
    stored_path(seed, SWEEP).unlink()
    assert seed.do('mutation($r: String!) { verifyArtifact(ref: $r) { ok } }', r=dataset) == {"ok": False}
    for i in range(count):
        seed.do('mutation($n: String!, $d: ID!) { startRun(name: $n, project: "wide", inputs: [{id: $d}]) { id } }',
                n=f"sweep-{i:03d}", d=dataset)
    return dataset


@dataclass(frozen=True)
class Hub:
    dataset: str
    blob: str
    runs: list[str]
    log: str
    log_runs: list[str]


HUB = b"hub rows " * 256
LOG = b"one log line\n" * 64


def hub(seed: Seeder, count: int) -> Hub:
    """A dataset (project ``hub``) with one file and ``count`` runs (left RUNNING) that used it;
    and runs ``log-a`` and ``log-b`` with the same file ``log.txt``."""
    seed.put(HUB)
    seed.put(LOG)
    dataset = seed.dataset("hub-data", "hub", [file("rows.bin", HUB)])
    runs = [str(seed.do('mutation($n: String!, $d: ID!) { startRun(name: $n, project: "hub", inputs: [{id: $d, role: "train"}]) { id } }',
                        n=f"hub-{i:03d}", d=dataset)["id"]) for i in range(count)]
    log_runs = [str(seed.do('mutation($n: String!, $f: [FileInput!]) { startRun(name: $n, project: "hub", files: $f) { id } }',
                            n=name, f=[file("log.txt", LOG)])["id"]) for name in ("log-a", "log-b")]
    return Hub(dataset, f"sha256:{sha(HUB)}", runs, f"sha256:{sha(LOG)}", log_runs)


def stored_path(seed: Seeder, content: bytes) -> Path:
    """Where the service's local blob store keeps ``content``."""
    digest = sha(content)
    return seed.service.data / "blobs" / "sha256" / digest[:2] / digest[2:4] / digest


def corrupt(seed: Seeder) -> Corrupt:
    seed.put(ROTTEN)
    digest = sha(ROTTEN)
    path = stored_path(seed, ROTTEN)
    dataset = seed.dataset("rotten-rows", "rot", [file("rows.jsonl", ROTTEN)])
    run = seed.run("train-rot", "rot", [{"id": dataset, "role": "train"}])
    model = seed.model("rotten", "rot", run, [])
    evaluation = seed.evaluation(model, dataset, "rot")
    raw = bytearray(path.read_bytes())
    raw[100] ^= 0xFF  # bit rot, then a check that finds it
    path.write_bytes(bytes(raw))
    check = seed.do('mutation($r: String!) { verifyArtifact(ref: $r) { ok } }', r=dataset)
    assert check == {"ok": False}
    return Corrupt(dataset, run, model, evaluation, f"sha256:{digest}")
