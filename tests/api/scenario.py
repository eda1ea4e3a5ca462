"""The reference lineage of the API suite, built through GraphQL mutations.

raw ──DERIVED_FROM── filtered          (datasets; filtered keeps a.jsonl only)
run1 USED raw (train)              → v1 GENERATED_BY run1, files ckpt.bin (C1, 3 GB)
run2 USED filtered (train), v1 (base_model) → v2 GENERATED_BY run2, DERIVED_FROM v1 (C2)
evaluation EVALUATES v2, ON filtered
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from .support import TestClient, data


def hexdigest(label: str) -> str:
    return hashlib.sha256(label.encode()).hexdigest()


A, B, C1, C2 = (hexdigest(x) for x in ("a.jsonl", "b.jsonl", "ckpt-v1", "ckpt-v2"))
BIG = 3_000_000_000  # past 2 GiB: Long, not Int


@dataclass(frozen=True)
class Scenario:
    raw: str
    filtered: str
    run1: str
    v1: str
    run2: str
    v2: str
    evaluation: str

    def blob(self, digest: str) -> str:
        return f"sha256:{digest}"

    def names(self) -> dict[str, str]:
        """Node id → a readable label, for exact comparisons."""
        labels = {getattr(self, f): f for f in self.__dataclass_fields__}
        labels.update({f"sha256:{d}": n for d, n in ((A, "A"), (B, "B"), (C1, "C1"), (C2, "C2"))})
        return labels


DATASET = "mutation($name: String!, $files: [FileInput!]!, $from: [ID!]) { registerDataset(name: $name, files: $files, derivedFrom: $from) { id } }"
START = "mutation($name: String!, $inputs: [RunInputRef!]) { startRun(name: $name, inputs: $inputs) { id } }"
FINISH = "mutation($id: ID!) { finishRun(id: $id, status: COMPLETED, metrics: {loss: 0.5}) { id } }"
MODEL = """mutation($run: ID, $parents: [ID!], $files: [FileInput!]) {
  registerModel(name: "mamba", run: $run, parents: $parents, files: $files) { id version } }"""
EVALUATE = """mutation($model: ID!, $dataset: ID) {
  recordEvaluation(model: $model, dataset: $dataset, metrics: {accuracy: 0.85}) { id } }"""


def build(client: TestClient) -> Scenario:
    def dataset(name: str, files: list[tuple[str, str, int]], derived_from: list[str] | None = None) -> str:
        variables = {"name": name, "files": [{"path": p, "digest": d, "size": s} for p, d, s in files], "from": derived_from}
        node_id: str = data(client, DATASET, variables)["registerDataset"]["id"]
        return node_id

    def run(name: str, inputs: list[dict[str, str]]) -> str:
        run_id: str = data(client, START, {"name": name, "inputs": inputs})["startRun"]["id"]
        data(client, FINISH, {"id": run_id})
        return run_id

    def model(run_id: str, parents: list[str], digest: str, size: int) -> str:
        files = [{"path": "ckpt.bin", "digest": digest, "size": size, "role": "checkpoint"}]
        result = data(client, MODEL, {"run": run_id, "parents": parents, "files": files})["registerModel"]
        node_id: str = result["id"]
        return node_id

    raw = dataset("replays", [("a.jsonl", A, 10), ("b.jsonl", B, 20)])
    filtered = dataset("replays-filtered", [("a.jsonl", A, 10)], [raw])
    run1 = run("train", [{"id": raw, "role": "train"}])
    v1 = model(run1, [], C1, BIG)
    run2 = run("finetune", [{"id": filtered, "role": "train"}, {"id": "mamba:v1", "role": "base_model"}])
    v2 = model(run2, [v1], C2, 1234)
    evaluation = data(client, EVALUATE, {"model": "mamba:v2", "dataset": filtered})["recordEvaluation"]["id"]
    return Scenario(raw, filtered, run1, v1, run2, v2, evaluation)
