"""Cypher of the Neo4j graph store. Every value travels as a parameter; the only text
put into a query is a label or relationship type taken from provgraph's own enums.
What a write creates carries ``_v``, its transaction's version (``neo4j_clock``)."""

from __future__ import annotations

from typing import Sequence

from provgraph.model import EdgeType, NodeKind

SCHEMA = (
    "CREATE CONSTRAINT node_id IF NOT EXISTS FOR (n:Node) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT node_vkey IF NOT EXISTS FOR (n:Node) REQUIRE n.vkey IS UNIQUE",
    "CREATE CONSTRAINT counter_key IF NOT EXISTS FOR (c:VersionCounter) REQUIRE c.key IS UNIQUE",
    "CREATE INDEX node_name IF NOT EXISTS FOR (n:Node) ON (n.project, n.name)",
    "CREATE INDEX node_kind IF NOT EXISTS FOR (n:Node) ON (n.kind)",
    "CREATE INDEX blob_status IF NOT EXISTS FOR (n:Blob) ON (n.status, n.verified_at)",
    "CREATE CONSTRAINT metric_chunk_id IF NOT EXISTS FOR (c:MetricChunk) REQUIRE c.id IS UNIQUE",
    "CREATE INDEX metric_chunk_run IF NOT EXISTS FOR (c:MetricChunk) ON (c.run)",
    "CREATE INDEX metric_chunk_batch IF NOT EXISTS FOR (c:MetricChunk) ON (c.batch)",
)

LABELS = {
    NodeKind.DATASET: "Dataset", NodeKind.RUN: "Run", NodeKind.MODEL: "Model",
    NodeKind.EVALUATION: "Evaluation", NodeKind.BLOB: "Blob",
}

# Columns in the order ``rows.node_from_row`` reads (its first, ``seq``, is null).
COLUMNS = ("null, {v}.id, {v}.kind, {v}.project, {v}.name, {v}.version, {v}.created_at, "
           "{v}.status, {v}.size, {v}.verified_at, {v}.doc")


def cols(var: str = "n") -> str:
    return COLUMNS.format(v=var)


def rel_types(types: Sequence[EdgeType] | None) -> str:
    return ":" + "|".join(t.value for t in types) if types else ""


NODES_BY_ID = f"UNWIND $ids AS i MATCH (n:Node {{id: i}}) RETURN {cols()}"
# Queries answering many rows return them as one list in one record: the async driver
# awaits the event loop once per record, which cost ~60 µs a row on 10,000-node answers.
NODES_BY_IDS = f"UNWIND $ids AS i MATCH (n:Node {{id: i}}) RETURN collect([{cols()}])"
IDS_PRESENT = "UNWIND $ids AS i MATCH (n:Node {id: i}) RETURN n.id"

NEXT_VERSION = """
MERGE (c:VersionCounter {key: $key}) ON CREATE SET c.last = 0
SET c.locked = true
RETURN c.last
"""
SET_VERSION_COUNTER = "MATCH (c:VersionCounter {key: $key}) SET c.last = $last"
VERSION_TAKEN = "MATCH (n:Node {vkey: $vkey}) RETURN n.id LIMIT 1"


def create_node(kind: NodeKind) -> str:
    return f"CREATE (n:Node:{LABELS[kind]}) SET n = $props RETURN {cols()}"


def create_nodes(kind: NodeKind) -> str:
    return f"UNWIND $nodes AS p CREATE (n:Node:{LABELS[kind]}) SET n = p"


def create_edges_between(type_: EdgeType) -> str:
    return (f"UNWIND $edges AS e MATCH (s:Node {{id: e.source}}) MATCH (t:Node {{id: e.target}}) "
            f"CREATE (s)-[:{type_.value} {{role: e.role, _v: $v}}]->(t)")


def create_edges(type_: EdgeType) -> str:
    return (f"MATCH (n:Node {{id: $id}}) UNWIND $edges AS e MATCH (t:Node {{id: e.target}}) "
            f"CREATE (n)-[:{type_.value} {{role: e.role, _v: $v}}]->(t)")


SIZE_CLASH = """
UNWIND $files AS f MATCH (b:Node {id: f.blob}) WHERE b.size <> f.size
RETURN f.path, f.size, b.size, b.name LIMIT 1
"""
ADD_FILES = """
MATCH (n:Node {id: $id})
UNWIND $files AS f
MERGE (b:Node:Blob {id: f.blob})
  ON CREATE SET b.kind = 'BLOB', b.project = '', b.name = f.digest, b.created_at = $now,
                b.status = 'PENDING', b.size = f.size, b.doc = '{}', b.checked_at = '', b._v = $v
CREATE (n)-[:HAS_FILE {path: f.path, role: f.role, _v: $v}]->(b)
"""
UPDATE_NODE = f"MATCH (n:Node {{id: $id}}) SET n.status = $status, n.doc = $doc, n.tags = $tags RETURN {cols()}"
NODE_OF_KIND = f"MATCH (n:Node {{id: $id}}) WHERE n.kind = $kind RETURN {cols()}"
ALIAS_HOLDERS = (f"MATCH (n:Model {{project: $project, name: $name}}) WHERE $alias IN n.aliases "
                 f"AND n.id <> $id RETURN {cols()}")
SET_ALIASES = "MATCH (n:Node {id: $id}) SET n.aliases = $aliases"

REACHES = "MATCH p = shortestPath((t:Node {id: $target})-[*]->(s:Node {id: $source})) RETURN 1 LIMIT 1"
EDGE_EXISTS = """
MATCH (s:Node {id: $source})-[r]->(t:Node {id: $target})
WHERE type(r) = $type AND coalesce(r.role, "") = coalesce($role, "") RETURN 1 LIMIT 1
"""


def add_edge(type_: EdgeType) -> str:
    return f"MATCH (s:Node {{id: $source}}), (t:Node {{id: $target}}) CREATE (s)-[:{type_.value} {{role: $role, _v: $v}}]->(t)"


UPSERT_BLOB = f"""
MERGE (b:Node:Blob {{id: $id}})
  ON CREATE SET b.kind = 'BLOB', b.project = '', b.name = $digest, b.created_at = $now, b._v = $v
SET b.status = $status, b.size = $size, b.verified_at = $verified_at, b.doc = $doc,
    b.checked_at = $checked_at
RETURN {cols('b')}
"""

FIND_VERSION = f"MATCH (n:Node {{project: $project, name: $name}}) WHERE n.kind = $kind AND n.version = $version RETURN {cols()}"
FIND_LATEST = (f"MATCH (n:Node {{project: $project, name: $name}}) WHERE n.kind = $kind "
               f"RETURN {cols()} ORDER BY n.created_at DESC, n.id DESC LIMIT 1")
FIND_ALIAS = f"MATCH (n:Node {{project: $project, name: $name}}) WHERE n.kind = $kind AND $alias IN n.aliases RETURN {cols()}"

LIST_FILES = """
MATCH (n:Node {id: $id})-[r:HAS_FILE]->(b)
WHERE $after IS NULL OR r.path > $after
WITH n, r, b ORDER BY r.path LIMIT $limit
RETURN collect([n.id, r.path, r.role, b.id, b.size, b.status])
"""
FILES_OF = """
UNWIND $ids AS i MATCH (n:Node {id: i})
CALL (n) {
  MATCH (n)-[r:HAS_FILE]->(b) RETURN r, b ORDER BY r.path LIMIT $limit
}
RETURN collect([n.id, r.path, r.role, b.id, b.size, b.status])
"""


def walk_all(upstream: bool, types: Sequence[EdgeType] | None) -> str:
    """Every node reachable from ``$ids`` (each visited once: DISTINCT lets the planner
    prune the expansion), with its outgoing edges in the walk's direction: the far end's
    id, the edge's type, role and path."""
    arrow_walk = f"-[{rel_types(types)}*0..]->" if upstream else f"<-[{rel_types(types)}*0..]-"
    arrow_edge = f"-[r{rel_types(types)}]->" if upstream else f"<-[r{rel_types(types)}]-"
    edge = "[y.id, type(r), r.role, r.path]"
    return (f"MATCH (s:Node) WHERE s.id IN $ids MATCH (s){arrow_walk}(x) WITH DISTINCT x "
            f"OPTIONAL MATCH (x){arrow_edge}(y) "
            f"WITH x, collect({edge}) AS out RETURN collect([{cols('x')}, out])")


def walk_level(upstream: bool, types: Sequence[EdgeType] | None) -> str:
    arrow = f"-[r{rel_types(types)}]->" if upstream else f"<-[r{rel_types(types)}]-"
    return f"UNWIND $ids AS i MATCH (x:Node {{id: i}}){arrow}(y) RETURN collect([x.id, y.id, type(r), r.role, r.path])"


def shortest_path(upstream: bool) -> str:
    """A shortest path from $source along the edges (upstream) or against them; its node
    ids in order and each edge as stored (start, end, type, role, path)."""
    arrow = "-[*]->" if upstream else "<-[*]-"
    return (f"MATCH p = shortestPath((a:Node {{id: $source}}){arrow}(b:Node {{id: $target}})) "
            "RETURN [n IN nodes(p) | n.id] AS ids, "
            "[r IN relationships(p) | [startNode(r).id, endNode(r).id, type(r), r.role, r.path]] AS rels")


def blob_scope(projects: bool) -> str:
    if not projects:
        return "MATCH (b:Blob)"
    return "MATCH (a:Node)-[:HAS_FILE]->(b:Blob) WHERE a.project IN $projects WITH DISTINCT b"


BLOB_PROJECTS = "MATCH (b:Node {id: $id})<-[:HAS_FILE]-(a:Node) RETURN DISTINCT a.project"


def blob_counts(project: bool) -> str:
    return f"{blob_scope(project)} RETURN b.status, count(b)"


def blobs_with_status(project: bool) -> str:
    return (f"{blob_scope(project)} WITH b WHERE b.status IN $statuses WITH b ORDER BY b.id LIMIT $limit "
            f"RETURN collect([{cols('b')}])")


def list_nodes(kind: NodeKind, filters: Sequence[str]) -> str:
    where = " AND ".join(["true", *filters])
    return f"MATCH (n:{LABELS[kind]}) WHERE {where} WITH n ORDER BY n.id DESC LIMIT $limit RETURN collect([{cols()}])"
