"""What differs between runs or models (two or more): params, metrics, data, code, files."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from provgraph.errors import BadInput
from provgraph.sdk.types import Artifact, Dataset, Lineage, Model, RunRecord

if TYPE_CHECKING:
    from provgraph.sdk.client import Client

Facts = dict[str, dict[str, Any]]
SECTIONS = ("params", "metrics", "data", "code", "environment", "files")


def facts(client: Client, ref: str) -> tuple[Artifact, Facts]:
    """The comparable facts of a run or a model (a model's include its run's)."""
    node = client.get(ref)
    if not isinstance(node, (Model, RunRecord)):
        raise BadInput(f"{ref!r} is a {node.kind.lower()}; compare takes runs or models")
    graph = client.lineage(node.id, "up", max_depth=2)
    found: Facts = {section: {} for section in SECTIONS}
    run = node if isinstance(node, RunRecord) else _run_of(graph, node.id)
    if isinstance(node, Model):
        found["metrics"].update(node.metrics)
        found["data"].update({f"parent {i + 1}": p.label for i, p in enumerate(_targets(graph, node.id, "DERIVED_FROM"))})
        found["files"].update({f.role or f.path: f.digest for f in client.files(node.id)})
    if run is not None:
        _run_facts(found, run, graph)
    return node, found


def compare(client: Client, refs: Sequence[str]) -> tuple[list[Artifact], dict[str, dict[str, dict[str, Any]]]]:
    """The artifacts ``refs`` name and ``diff`` of their facts; two refs at least."""
    if len(refs) < 2:
        raise BadInput("compare needs at least two refs")
    found = [facts(client, ref) for ref in refs]
    return [artifact for artifact, _ in found], diff(*[f for _, f in found])


def _targets(graph: Lineage, source: str, type_: str) -> list[Artifact]:
    return [graph.node(e.target) for e in graph.edges if e.source == source and e.type == type_]


def _run_of(graph: Lineage, node_id: str) -> RunRecord | None:
    return next((n for n in _targets(graph, node_id, "GENERATED_BY") if isinstance(n, RunRecord)), None)


def _run_facts(found: Facts, run: RunRecord, graph: Lineage) -> None:
    found["params"].update(run.params)
    found["metrics"] = {**run.metrics, **found["metrics"]}
    for edge in graph.edges:
        if edge.source == run.id and edge.type == "USED":
            used = graph.node(edge.target)
            detail = f" ({used.manifest_digest[:12]})" if isinstance(used, Dataset) else ""
            found["data"][f"input {edge.role or used.name}"] = used.label + detail
    git = run.provenance.get("git") or {}
    found["code"].update({k: git.get(k) for k in ("commit", "branch", "dirty", "remote", "patch_digest") if k in git})
    env = run.provenance.get("environment") or {}
    found["environment"].update({k: env.get(k) for k in ("python", "platform", "hostname") if k in env})
    found["environment"].update({f"package {k}": v for k, v in (env.get("packages") or {}).items()})
    found["environment"]["gpus"] = _gpus(run.provenance.get("gpus") or {})


def _gpus(gpus: Mapping[str, Any]) -> str:
    if not gpus.get("available"):
        return "none"
    return ", ".join(d.get("name", "?") for d in gpus.get("devices", []))


def diff(*facts_: Facts) -> dict[str, dict[str, dict[str, Any]]]:
    """Per section, every key of any side with each side's value (``values``, in the
    order given) and whether they all agree; with two sides also ``a`` and ``b``."""
    result: dict[str, dict[str, dict[str, Any]]] = {}
    for section in SECTIONS:
        keys = sorted({key for found in facts_ for key in found[section]})
        result[section] = {key: _row([found[section].get(key) for found in facts_]) for key in keys}
    return result


def _row(values: list[Any]) -> dict[str, Any]:
    row: dict[str, Any] = {"values": values, "same": all(v == values[0] for v in values)}
    if len(values) == 2:
        row.update(a=values[0], b=values[1])
    return row


def render_json(artifacts: Sequence[Artifact], result: dict[str, dict[str, dict[str, Any]]]) -> str:
    head: dict[str, Any] = {"refs": [a.label for a in artifacts]}
    if len(artifacts) == 2:
        head.update(a=artifacts[0].label, b=artifacts[1].label)
    return json.dumps({**head, "sections": result}, indent=2, default=str)


def render_table(artifacts: Sequence[Artifact], result: dict[str, dict[str, dict[str, Any]]]) -> str:
    """Rows that differ, by section, a column per artifact; identical rows are counted, not shown."""
    rows: list[list[str]] = [["", *[a.label for a in artifacts]]]
    for section, keys in result.items():
        same = sum(1 for v in keys.values() if v["same"])
        differing = [[f"  {k}", *map(_cell, v["values"])] for k, v in keys.items() if not v["same"]]
        if differing or same:
            rows.append([f"{section}" + (f" ({same} identical)" if same else "")] + [""] * len(artifacts))
            rows += differing
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows)


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.6g}"
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text[:17] + "…" if len(text) == 64 and all(c in "0123456789abcdef" for c in text) else text[:60]
