"""Lineage as text: an indented tree, JSON, Mermaid or Graphviz DOT."""

from __future__ import annotations

import json
from typing import Any, Iterator

from provgraph.sdk.types import Artifact, Edge, Lineage

FORMATS = ("tree", "json", "mermaid", "dot")


def node_label(node: Artifact) -> str:
    return f"{node.kind.title()} {node.label}"


def edge_label(edge: Edge) -> str:
    return f"{edge.type} ({edge.role})" if edge.role else edge.type


def render(graph: Lineage, root: str, direction: str, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(as_json(graph, root), indent=2, default=str)
    if fmt == "mermaid":
        return mermaid(graph)
    if fmt == "dot":
        return dot(graph)
    walks = ["UPSTREAM", "DOWNSTREAM"] if direction == "BOTH" else [direction]
    return "\n".join(line for walk in walks for line in tree(graph, root, walk == "UPSTREAM"))


def tree(graph: Lineage, root: str, upstream: bool) -> Iterator[str]:
    """The root, then each node it reaches, indented; a node met again is not expanded twice."""
    nodes = {n.id: n for n in graph.nodes}
    children: dict[str, list[tuple[Edge, str]]] = {}
    for edge in graph.edges:
        parent, child = (edge.source, edge.target) if upstream else (edge.target, edge.source)
        children.setdefault(parent, []).append((edge, child))
    yield node_label(nodes[root]) + ("" if upstream else "  (what derives from it)")
    yield from _branches(nodes, children, root, "", {root})


def _branches(nodes: dict[str, Artifact], children: dict[str, list[tuple[Edge, str]]], parent: str,
              indent: str, seen: set[str]) -> Iterator[str]:
    below = sorted(children.get(parent, []), key=lambda ec: (ec[0].type, node_label(nodes[ec[1]])))
    for i, (edge, child) in enumerate(below):
        last = i == len(below) - 1
        repeated = child in seen
        yield f"{indent}{'└─' if last else '├─'} {edge_label(edge)} {node_label(nodes[child])}" + (
            "  (see above)" if repeated and children.get(child) else "")
        if not repeated:
            seen.add(child)
            yield from _branches(nodes, children, child, indent + ("   " if last else "│  "), seen)


def as_json(graph: Lineage, root: str) -> dict[str, Any]:
    return {
        "root": root,
        "direction": graph.direction,
        "nodes": [{"id": n.id, "kind": n.kind, "label": n.label, "project": n.project, "name": n.name,
                   "version": getattr(n, "version", None)} for n in graph.nodes],
        "edges": [{"source": e.source, "target": e.target, "type": e.type, "role": e.role} for e in graph.edges],
    }


def _ids(graph: Lineage) -> dict[str, str]:
    return {n.id: f"n{i}" for i, n in enumerate(graph.nodes)}


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def mermaid(graph: Lineage) -> str:
    ids = _ids(graph)
    lines = ["flowchart LR"]
    lines += [f'  {ids[n.id]}["{_quote(node_label(n)).replace(chr(92) + chr(34), "#quot;")}"]' for n in graph.nodes]
    lines += [f"  {ids[e.source]} -->|{edge_label(e)}| {ids[e.target]}" for e in graph.edges]
    return "\n".join(lines)


def dot(graph: Lineage) -> str:
    lines = ["digraph lineage {", "  rankdir=LR;", "  node [shape=box];"]
    lines += [f'  "{n.id}" [label="{_quote(node_label(n))}"];' for n in graph.nodes]
    lines += [f'  "{e.source}" -> "{e.target}" [label="{_quote(edge_label(e))}"];' for e in graph.edges]
    return "\n".join(lines + ["}"])
