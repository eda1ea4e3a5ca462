"""Lineage validation: what the graph must never hold, and what needs a person.

- cycles in DERIVED_FROM (writes refuse them; checked anyway, over every edge);
- edges with an end that is not a node (SQLite joins by key without a foreign key);
- runs RUNNING longer than a threshold: marked ``stale`` (with when and why), never
  deleted or failed — the run may still report; ``finishRun`` clears the mark;
- datasets, models and evaluations without files (allowed — a fine-tune may name only
  its parent — but worth a look).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Iterable, Iterator

from provgraph.graph import GraphStore
from provgraph.ids import utcnow
from provgraph.model import Edge, EdgeType, Node, NodeFilter, NodeKind, RunStatus
from provgraph.verify import log_event

LIMIT = 1000
PAGE = 500
ARTIFACT_KINDS = (NodeKind.DATASET, NodeKind.MODEL, NodeKind.EVALUATION)


@dataclass
class LineageReport:
    cycles: list[list[str]] = field(default_factory=list)
    dangling: list[Edge] = field(default_factory=list)
    newly_stale: list[Node] = field(default_factory=list)
    stale_runs: int = 0
    without_files: list[Node] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {"derived_from_cycles": len(self.cycles), "dangling_edges": len(self.dangling),
                "stale_runs": self.stale_runs, "newly_stale_runs": len(self.newly_stale),
                "artifacts_without_files": len(self.without_files)}


async def check_lineage(
    graph: GraphStore, stuck_after: timedelta = timedelta(hours=24), now: datetime | None = None
) -> LineageReport:
    """Run every lineage check once; marks stuck runs, changes nothing else."""
    report = LineageReport()
    report.cycles = find_cycles(await graph.edge_pairs(EdgeType.DERIVED_FROM), LIMIT)
    for cycle in report.cycles:
        log_event(logging.ERROR, "derived_from_cycle", nodes=cycle)
    report.dangling = await graph.dangling_edges(LIMIT)
    for edge in report.dangling:
        log_event(logging.ERROR, "dangling_edge", source=edge.source, target=edge.target, type=edge.type.value)
    await _mark_stuck_runs(graph, report, (now or utcnow()) - stuck_after, stuck_after)
    report.without_files = await graph.nodes_without_files(ARTIFACT_KINDS, LIMIT)
    log_event(logging.INFO, "lineage_checked", **report.summary())
    return report


async def _mark_stuck_runs(graph: GraphStore, report: LineageReport, cutoff: datetime, stuck_after: timedelta) -> None:
    after: str | None = None
    while True:
        page = await graph.list_nodes(NodeKind.RUN, NodeFilter(status=RunStatus.RUNNING.value), PAGE, after)
        for run in page.items:
            started = run.props.get("started_at") or run.created_at.isoformat()
            if datetime.fromisoformat(started) >= cutoff:
                continue
            report.stale_runs += 1
            if not run.props.get("stale"):
                note = f"RUNNING since {started}, more than {stuck_after.total_seconds() / 3600:g} h without finishRun"
                marked = await graph.update_props(run.id, NodeKind.RUN, {
                    "stale": True, "stale_since": utcnow().isoformat(), "stale_note": note})
                report.newly_stale.append(marked)
                log_event(logging.WARNING, "run_stale", run=run.id, name=run.name, project=run.project, note=note)
        if not page.has_next:
            return
        after = page.end_cursor


def find_cycles(pairs: Iterable[tuple[str, str]], limit: int) -> list[list[str]]:
    """Cycles among directed edges, each as node ids with the first repeated at the end;
    at least one through every strongly connected tangle, at most ``limit``."""
    adjacent: dict[str, list[str]] = defaultdict(list)
    for a, b in pairs:
        adjacent[a].append(b)
    done: set[str] = set()
    cycles: list[list[str]] = []
    for root in sorted(adjacent):
        if root not in done:
            for cycle in _cycles_from(root, adjacent, done):
                cycles.append(cycle)
                if len(cycles) >= limit:
                    return cycles
    return cycles


def _cycles_from(root: str, adjacent: dict[str, list[str]], done: set[str]) -> Iterator[list[str]]:
    """Depth-first from ``root`` (iterative: chains are 10,000+ deep); each edge back to
    a node on the current path closes a cycle."""
    path, on_path = [root], {root: 0}
    stack = [iter(sorted(adjacent.get(root, ())))]
    while stack:
        following = next(stack[-1], None)
        if following is None:
            stack.pop()
            done.add(path[-1])
            del on_path[path.pop()]
        elif following in on_path:
            yield path[on_path[following]:] + [following]
        elif following not in done:
            on_path[following] = len(path)
            path.append(following)
            stack.append(iter(sorted(adjacent.get(following, ()))))
