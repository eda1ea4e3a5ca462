"""One sentence about an artifact, from its lineage: "Model mamba:v2, fine-tuned from
mamba:v1 on replays:v3 (150 files, 125K frames), 10 epochs, final loss 3.68, 31 min"."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

from provgraph.sdk.types import Artifact, Blob, Dataset, Evaluation, Lineage, Model, RunRecord

if TYPE_CHECKING:
    from provgraph.sdk.client import Client

COUNT_KEYS = ("frames", "samples", "examples", "rows", "records", "tokens", "images")
LOSS_KEYS = ("loss", "final_loss", "train_loss", "val_loss")


def compact(value: float) -> str:
    """125000 → 125K, 1500000 → 1.5M, 3.6812 → 3.68."""
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(value) >= size:
            return f"{value / size:.3g}{suffix}"
    return f"{value:.3g}"


def duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def size(total: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if total >= scale:
            return f"{total / scale:.3g} {unit}"
    return f"{total} bytes"


def data_phrase(dataset: Dataset) -> str:
    counts = [f"{dataset.file_count} file{'s' if dataset.file_count != 1 else ''}"]
    counts += [f"{compact(dataset.stats[k])} {k}" for k in COUNT_KEYS if isinstance(dataset.stats.get(k), (int, float))]
    return f"{dataset.label} ({', '.join(counts)})"


def describe(client: Client, ref: str) -> str:
    node = client.get(ref)
    graph = client.lineage(node.id, "up", max_depth=2)
    if isinstance(node, Model):
        return _model(node, graph)
    if isinstance(node, RunRecord):
        return _run(node, graph)
    if isinstance(node, Dataset):
        return _dataset(node, graph)
    if isinstance(node, Evaluation):
        return _evaluation(node, graph)
    assert isinstance(node, Blob)
    owners = [h.node.label for h in client.descendants(node.id, max_depth=1)]
    return f"Blob {node.label}, {size(node.size)}, {node.status}" + (f", file of {', '.join(owners)}" if owners else "")


def _targets(graph: Lineage, source: str, type_: str) -> list[Artifact]:
    return [graph.node(e.target) for e in graph.edges if e.source == source and e.type == type_]


def _run_facts(run: RunRecord, metrics: Mapping[str, Any]) -> list[str]:
    facts = []
    epochs = run.params.get("epochs", run.metrics.get("epochs"))
    if isinstance(epochs, (int, float)):
        facts.append(f"{epochs:g} epoch{'s' if epochs != 1 else ''}")
    merged = {**run.metrics, **metrics}
    key = next((k for k in LOSS_KEYS if isinstance(merged.get(k), (int, float))), None)
    if key is not None:
        facts.append(f"final {key.replace('final_', '').replace('_', ' ')} {compact(merged[key])}")
    if run.duration_s is not None:
        facts.append(duration(run.duration_s))
    return facts


def _inputs(graph: Lineage, run: RunRecord) -> str:
    datasets = [n for n in _targets(graph, run.id, "USED") if isinstance(n, Dataset)]
    return f" on {', '.join(data_phrase(d) for d in datasets)}" if datasets else ""


def _model(model: Model, graph: Lineage) -> str:
    parents = _targets(graph, model.id, "DERIVED_FROM")
    runs = [n for n in _targets(graph, model.id, "GENERATED_BY") if isinstance(n, RunRecord)]
    origin = f"fine-tuned from {', '.join(p.label for p in parents)}" if parents else ("trained" if runs else "")
    parts = [f"Model {model.label}"]
    if runs:
        origin += _inputs(graph, runs[0])
    parts += [origin] if origin else []
    parts += _run_facts(runs[0], model.metrics) if runs else []
    return ", ".join(parts)


def _run(run: RunRecord, graph: Lineage) -> str:
    head = f"Run {run.name} ({run.status.lower()})" + _inputs(graph, run)
    error = [f"failed with {run.error}"] if run.error else []
    return ", ".join([head, *_run_facts(run, {}), *error])


def _dataset(dataset: Dataset, graph: Lineage) -> str:
    parents = _targets(graph, dataset.id, "DERIVED_FROM")
    parts = [f"Dataset {data_phrase(dataset)}", size(dataset.total_bytes)]
    parts += [f"derived from {', '.join(p.label for p in parents)}"] if parents else []
    return ", ".join(parts)


def _evaluation(evaluation: Evaluation, graph: Lineage) -> str:
    models = _targets(graph, evaluation.id, "EVALUATES")
    data = _targets(graph, evaluation.id, "ON")
    metrics = ", ".join(f"{k} {compact(v)}" for k, v in sorted(evaluation.metrics.items()) if isinstance(v, (int, float)))
    target = (models[0].label if models else "?") + (f" on {data[0].label}" if data else "")
    return f"Evaluation of {target}: {metrics}"
