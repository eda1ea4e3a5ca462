"""The Neo4j source of the traversal index (``traversal_index``): traversals answered from
memory, kept exact across processes by the graph clock (``neo4j_clock``).

Once per traversal the source reads the clock's ``(v, deleted)``, one round trip. Unchanged:
the index answers as it stands. ``v`` grew and ``deleted`` did not: only nodes and edges
with ``last < _v <= v`` are fetched (through the ``_v`` indexes) and added, and the node
cache is dropped (the change may be a prop update). ``deleted`` changed: everything is
loaded again, ``_v`` or not (rows written before the clock existed have none), up to
``v``: newer rows come with the next catch-up. Rows with a ``_v`` up to a ``v`` once read
are all committed, since a writer takes the clock's lock first and holds it to commit.

Neo4j has no dense node numbers, so the index numbers nodes itself (``by_id``) and
resolves start ids from that map. The index's core is synchronous and runs in a worker
thread; its queries go back to the event loop (``anyio.from_thread``), where the driver
lives. Decoded nodes come from the index's cache, misses in one query per
``FETCH_BATCH`` ids.
"""

from __future__ import annotations

from typing import Any, Sequence

import anyio.from_thread
from neo4j import AsyncManagedTransaction

from provgraph.graph import neo4j_clock as clock
from provgraph.graph import neo4j_cypher as q
from provgraph.graph.neo4j_reads import Reads
from provgraph.graph.neo4j_writes import rows
from provgraph.graph.rows import node_from_row
from provgraph.graph.traversal_index import EdgeRow, FetchNodes, NodeRow, TraversalIndex
from provgraph.model import EdgeType, Node

FETCH_BATCH = 10_000
_ALL_TYPES = "|".join(t.value for t in EdgeType)
NODES_UP_TO = "MATCH (n:Node) WHERE n._v IS NULL OR n._v <= $v RETURN collect([n.id, n.kind])"
NODES_SINCE = "MATCH (n:Node) WHERE n._v > $last AND n._v <= $v RETURN collect([n.id, n.kind])"
EDGES_UP_TO = (f"MATCH (a:Node)-[r:{_ALL_TYPES}]->(b:Node) WHERE r._v IS NULL OR r._v <= $v "
               "RETURN collect([a.id, b.id, type(r), CASE type(r) WHEN 'HAS_FILE' THEN r.path ELSE r.role END])")
# A relationship property index serves one type: a branch per type.
EDGES_SINCE = "CALL () { " + " UNION ALL ".join(
    f"MATCH (a:Node)-[r:{t.value}]->(b:Node) WHERE r._v > $last AND r._v <= $v "
    f"RETURN a.id AS a, b.id AS b, '{t.value}' AS t, r.{'path' if t is EdgeType.HAS_FILE else 'role'} AS l"
    for t in EdgeType) + " } RETURN collect([a, b, t, l])"
Rows = tuple[list[list[Any]], list[list[Any]]]  # (id, kind) of nodes; (source, target, type, label) of edges


def neo4j_index(reads: Reads) -> tuple[TraversalIndex, FetchNodes]:
    """The index, and what fetches its nodes' rows for it."""
    index = TraversalIndex(Neo4jSource(reads), by_id=True)
    return index, _fetcher(index, reads)


class Neo4jSource:
    def __init__(self, reads: Reads) -> None:
        self._reads = reads
        self._seen: tuple[int, int] | None = None  # (v, deleted) the index holds

    def close(self) -> None:
        self._seen = None

    def refresh(self, index: TraversalIndex, rebuild: bool) -> None:
        v, deleted = anyio.from_thread.run(self._clock)
        seen = self._seen
        if seen == (v, deleted) and not rebuild:
            return
        # A clock that went back was made anew (deleted by hand): start over too.
        reset = rebuild or seen is None or seen[1] != deleted or v < seen[0]
        nodes, edges = anyio.from_thread.run(self._rows, v, None if reset or seen is None else seen[0])
        index.update(*_numbered(index, nodes, edges, reset), reset)
        self._seen = (v, deleted)

    async def _clock(self) -> tuple[int, int]:
        found: tuple[int, int] = await self._reads.run(clock.read)
        return found

    async def _rows(self, v: int, last: int | None) -> Rows:
        """Everything up to ``v`` (``last`` None), or what came after ``last``; one transaction."""
        async def work(tx: AsyncManagedTransaction) -> Rows:
            if last is None:
                return (await rows(tx, NODES_UP_TO, v=v))[0][0], (await rows(tx, EDGES_UP_TO, v=v))[0][0]
            return ((await rows(tx, NODES_SINCE, v=v, last=last))[0][0],
                    (await rows(tx, EDGES_SINCE, v=v, last=last))[0][0])

        found: Rows = await self._reads.run(work)
        return found


def _numbered(
    index: TraversalIndex, nodes: list[list[Any]], edges: list[list[Any]], reset: bool
) -> tuple[list[NodeRow], list[EdgeRow]]:
    """Rows numbered for the index: new nodes take the next free seqs (a node already known
    keeps its own), edge ends become seqs (0, which the index skips, for an unknown end)."""
    known: dict[str, int] = {} if reset else index.seq_of
    new: dict[str, int] = {}
    seq = 1 if reset else len(index.ids)
    node_rows: list[NodeRow] = []
    for node_id, kind in nodes:
        if node_id not in known and node_id not in new:
            new[node_id] = seq
            node_rows.append((seq, node_id, kind))
            seq += 1
    def seq_of(node_id: str) -> int:
        return new.get(node_id) or known.get(node_id, 0)

    return node_rows, [(0, seq_of(a), seq_of(b), t, label) for a, b, t, label in edges]


def _fetcher(index: TraversalIndex, reads: Reads) -> FetchNodes:
    async def fetch(ids: Sequence[str]) -> list[list[Any]]:
        found: list[list[Any]] = []
        for start in range(0, len(ids), FETCH_BATCH):
            found += await reads.collected(q.NODES_BY_IDS, ids=list(ids[start:start + FETCH_BATCH]))
        return found

    def nodes(seqs: list[int]) -> dict[int, Node]:
        """Decoded here, in the worker thread, not on the event loop."""
        ids, seq_of = index.ids, index.seq_of
        decoded = map(node_from_row, anyio.from_thread.run(fetch, [ids[s] for s in seqs]))
        return {seq_of[n.id]: n for n in decoded}

    return nodes
