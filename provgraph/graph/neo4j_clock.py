"""The graph clock of the Neo4j store: the change feed behind its traversal index.

One ``(:GraphClock {key: 'graph'})`` node, created at start-up (never by a MERGE inside a
write transaction: see the deadlock note in ``neo4j_lifecycle``). Every transaction that
changes a ``:Node`` or a relationship first increments its ``v`` (``tick``): the SET takes
the clock's write lock straight away and holds it to commit, so graph writes are
serialized and their versions follow commit order. Whatever such a transaction creates
carries ``_v = v``; a transaction that deletes nodes or edges also increments ``deleted``
(readers then rebuild). A reader that saw ``v`` once knows that every row with a ``_v``
up to it is committed, and that anything newer has a larger ``_v``.
"""

from __future__ import annotations

from neo4j import AsyncManagedTransaction

from provgraph.errors import Unavailable
from provgraph.model import EdgeType

SCHEMA = (
    "CREATE CONSTRAINT graph_clock_key IF NOT EXISTS FOR (c:GraphClock) REQUIRE c.key IS UNIQUE",
    "CREATE INDEX node_v IF NOT EXISTS FOR (n:Node) ON (n._v)",
    *(f"CREATE INDEX edge_v_{t.value.lower()} IF NOT EXISTS FOR ()-[r:{t.value}]-() ON (r._v)" for t in EdgeType),
    # A clock made anew (the old one deleted by hand) starts above every ``_v`` stored, and
    # ``deleted`` where no reader has seen it, so every reader rebuilds and loads it all.
    "CALL () { " + " UNION ALL ".join(
        ["MATCH (n:Node) WHERE n._v IS NOT NULL RETURN n._v AS top ORDER BY top DESC LIMIT 1"]
        + [f"MATCH ()-[r:{t.value}]->() WHERE r._v IS NOT NULL RETURN r._v AS top ORDER BY top DESC LIMIT 1"
           for t in EdgeType]
        + ["RETURN 0 AS top"]) + " } "
    "WITH max(top) AS top MERGE (c:GraphClock {key: 'graph'}) ON CREATE SET c.v = top, c.deleted = timestamp()",
)
READ = "MATCH (c:GraphClock {key: 'graph'}) RETURN c.v, c.deleted"
TICK = "MATCH (c:GraphClock {key: 'graph'}) SET c.v = c.v + 1 RETURN c.v"
DELETED = "MATCH (c:GraphClock {key: 'graph'}) SET c.deleted = c.deleted + 1"
# After a clear (auto-commit batches, no tick first): readers rebuild.
CLEARED = "MATCH (c:GraphClock {key: 'graph'}) SET c.v = c.v + 1, c.deleted = c.deleted + 1"


class ClockMissing(Unavailable):
    """The clock node is gone (deleted by hand); the store creates it again on its next call."""

    def __init__(self) -> None:
        super().__init__("Neo4j holds no (:GraphClock {key: 'graph'}) node; provgraph creates it again "
                         "on the next call")


async def tick(tx: AsyncManagedTransaction) -> int:
    """The version of this write transaction; first in it, before any other lock."""
    found = await (await tx.run(TICK)).single()
    if found is None:
        raise ClockMissing()
    version: int = found[0]
    return version


async def deleted(tx: AsyncManagedTransaction) -> None:
    """Record that this transaction (which ticked first) deleted nodes or edges."""
    await (await tx.run(DELETED)).consume()


async def read(tx: AsyncManagedTransaction) -> tuple[int, int]:
    found = await (await tx.run(READ)).single()
    if found is None:
        raise ClockMissing()
    return found[0], found[1]
