"""Integrity queries of the Neo4j graph store: blobs due for a check, check results,
orphans, impact walks and lineage validation. Each function runs inside one managed
transaction; ``checked_at`` ('' = never) is indexed like in the SQLite store."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Sequence

from neo4j import AsyncManagedTransaction

from provgraph.checks import CheckResult, Shard
from provgraph.digest import Digest
from provgraph.graph import neo4j_clock as clock
from provgraph.graph.neo4j_cypher import cols
from provgraph.graph.neo4j_reads import Reads
from provgraph.graph.neo4j_writes import rows
from provgraph.graph.rows import HISTORY_LIMIT, doc_of, edge_from_row, node_from_row
from provgraph.model import BlobStatus, Direction, Edge, EdgeType, Node, NodeKind, Subgraph

SCHEMA = (
    "CREATE INDEX blob_pending IF NOT EXISTS FOR (n:Blob) ON (n.status, n.checked_at)",
    "CREATE INDEX blob_checked IF NOT EXISTS FOR (n:Blob) ON (n.checked_at)",
)
_DUE = (f"MATCH (n:Blob) WHERE {{status}} AND n.checked_at < $before AND n.id >= $lo AND n.id < $hi "
        f"RETURN {cols()} ORDER BY n.checked_at, n.id LIMIT $limit")
LIST_BLOBS = (f"MATCH (n:Node) WHERE n.id > $after AND n.id >= $lo AND n.id < $hi "
              f"RETURN {cols()}, COUNT {{ (n)<--() }} ORDER BY n.id LIMIT $limit")
# Setting a property write-locks the node, so concurrent recorders queue, not overwrite.
LOCK_BLOBS = (f"UNWIND $ids AS i MATCH (n:Node {{id: i}}) WHERE n.kind = 'BLOB' SET n.locked = true "
              f"RETURN {cols()}, n.checked_at")
UPDATE_BLOBS = """
UNWIND $rows AS r MATCH (n:Node {id: r.id})
SET n.status = r.status, n.verified_at = r.verified_at, n.checked_at = r.checked_at, n.doc = r.doc
"""
UNLOCK_BLOBS = f"UNWIND $ids AS i MATCH (n:Node {{id: i}}) REMOVE n.locked RETURN {cols()}"
DELETE_UNREFERENCED = """
UNWIND $ids AS i MATCH (n:Node {id: i}) WHERE n.kind = 'BLOB' SET n.locked = true
WITH n WHERE NOT (n)<--() DELETE n RETURN count(*)
"""
IDS_PRESENT = "UNWIND $ids AS i MATCH (n:Node {id: i}) RETURN n.id"
FILE_STATUS_COUNTS = "UNWIND $ids AS i MATCH (a:Node {id: i})-[:HAS_FILE]->(b) RETURN a.id, b.status, count(*)"
NODES_WITHOUT_FILES = (f"MATCH (n:Node) WHERE n.kind IN $kinds AND NOT (n)-[:HAS_FILE]->() "
                       f"RETURN {cols()} ORDER BY n.id LIMIT $limit")
_TYPES = "|".join(t.value for t in EdgeType)
# Relationships cannot dangle in Neo4j; what can go wrong is an edge to a node some
# other tool wrote, without provgraph's label or id.
DANGLING = f"""
MATCH (s)-[r:{_TYPES}]->(t) WHERE NOT s:Node OR NOT t:Node OR s.id IS NULL OR t.id IS NULL
RETURN coalesce(s.id, '#' + elementId(s)), coalesce(t.id, '#' + elementId(t)), type(r), r.role, r.path LIMIT $limit
"""


def _iso(at: datetime) -> str:
    return at.isoformat(timespec="microseconds")


def _bounds(shard: Shard) -> dict[str, str]:
    return {"lo": f"sha256:{shard.low}", "hi": f"sha256:{shard.high}"}


async def blobs_due(
    tx: AsyncManagedTransaction, shard: Shard, pending_before: datetime, checked_before: datetime, limit: int
) -> list[Node]:
    found = await rows(tx, _DUE.format(status="n.status = 'PENDING'"), limit=limit,
                       before=_iso(pending_before), **_bounds(shard))
    if len(found) < limit:
        found += await rows(tx, _DUE.format(status="n.status <> 'PENDING'"), limit=limit - len(found),
                            before=_iso(checked_before), **_bounds(shard))
    return [node_from_row(row) for row in found]


async def list_blobs(tx: AsyncManagedTransaction, shard: Shard, after: str | None, limit: int) -> list[tuple[Node, int]]:
    found = await rows(tx, LIST_BLOBS, after=after or "", limit=limit, **_bounds(shard))
    return [(node_from_row(row[:-1]), row[-1]) for row in found]


async def record_checks(tx: AsyncManagedTransaction, checks: Sequence[CheckResult]) -> list[Node]:
    ids = list({c.digest.node_id: None for c in checks})
    current = {row[1]: (node_from_row(row[:-1]), row[-1] or "") for row in await rows(tx, LOCK_BLOBS, ids=ids)}
    updates: dict[str, dict[str, Any]] = {}
    for check in checks:
        node_id = check.digest.node_id
        if node_id not in current or _iso(check.at) < current[node_id][1]:
            continue  # unknown digest, or a newer verdict was recorded meanwhile
        node, checked = current[node_id]
        props = dict(updates[node_id]["props"] if node_id in updates else node.props)
        history = [check.history_entry(), *props.pop("history", [])][:HISTORY_LIMIT]
        verified = _iso(check.at) if check.matched else props.get("verified_at")
        checked = checked if check.quick else _iso(check.at)
        current[node_id] = (node, checked)
        updates[node_id] = {"id": node_id, "status": check.status.value, "verified_at": verified,
                            "checked_at": checked, "props": {**props, "history": history}}
    for update in updates.values():
        kept = {k: v for k, v in update.pop("props").items() if k not in ("digest", "size", "status", "verified_at")}
        update["doc"] = doc_of((), {}, kept)
    await (await tx.run(UPDATE_BLOBS, rows=list(updates.values()))).consume()
    unlocked = {row[1]: node_from_row(row) for row in await rows(tx, UNLOCK_BLOBS, ids=ids)}
    return [unlocked[i] for i in updates]


async def delete_unreferenced_blobs(tx: AsyncManagedTransaction, digests: Sequence[Digest]) -> list[Digest]:
    """Inside a transaction that ticked the graph clock first."""
    ids = [d.node_id for d in digests]
    if (await rows(tx, DELETE_UNREFERENCED, ids=ids))[0][0]:
        await clock.deleted(tx)
    kept = {row[0] for row in await rows(tx, IDS_PRESENT, ids=ids)}
    if kept:
        await (await tx.run(UNLOCK_BLOBS, ids=list(kept))).consume()
    return [d for d in digests if d.node_id not in kept]


async def lineage_many(reads: Reads, start: Sequence[str], direction: Direction) -> Subgraph:
    if direction is Direction.BOTH:
        raise ValueError("lineage_many walks one direction")
    upstream = direction is Direction.UPSTREAM
    depths, walked, nodes = await reads._depths(start, upstream, None, None)
    edges: dict[Edge, None] = {}
    for a, b, type_, role, path in walked:
        src, dst = (a, b) if upstream else (b, a)
        edges[edge_from_row(src, dst, type_, role, path)] = None
    return Subgraph(tuple(sorted((nodes[i] for i in depths), key=lambda n: n.id)), tuple(edges))


async def file_status_counts(tx: AsyncManagedTransaction, node_ids: Sequence[str]) -> dict[str, dict[BlobStatus, int]]:
    counts: dict[str, dict[BlobStatus, int]] = {i: {} for i in node_ids}
    for node_id, status, count in await rows(tx, FILE_STATUS_COUNTS, ids=list(node_ids)):
        counts[node_id][BlobStatus(status)] = count
    return counts


async def edge_pairs(tx: AsyncManagedTransaction, type: EdgeType) -> list[tuple[str, str]]:
    found = await rows(tx, f"MATCH (s:Node)-[:{type.value}]->(t:Node) RETURN s.id, t.id")
    return [(a, b) for a, b in found]


async def dangling_edges(tx: AsyncManagedTransaction, limit: int) -> list[Edge]:
    return [edge_from_row(*row) for row in await rows(tx, DANGLING, limit=limit)]


async def nodes_without_files(tx: AsyncManagedTransaction, kinds: Sequence[NodeKind], limit: int) -> list[Node]:
    found = await rows(tx, NODES_WITHOUT_FILES, kinds=[k.value for k in kinds], limit=limit)
    return [node_from_row(row) for row in found]
