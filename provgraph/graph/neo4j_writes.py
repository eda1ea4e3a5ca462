"""Write transactions of the Neo4j graph store; each runs inside one managed
transaction, so a domain error raised here rolls everything back."""

from __future__ import annotations

import re
from datetime import datetime
from itertools import groupby
from typing import Any, Mapping, Sequence

from neo4j import AsyncManagedTransaction

from provgraph.digest import Digest
from provgraph.errors import BadInput, Conflict, Cycle, NotFound
from provgraph.graph import neo4j_cypher as q
from provgraph.graph import neo4j_search
from provgraph.graph.rows import HISTORY_LIMIT, doc_of, node_from_row, split_props
from provgraph.ids import new_id, utcnow
from provgraph.model import VERSIONED_KINDS, BlobStatus, Edge, EdgeSpec, NewNode, Node, NodeKind

FILE_BATCH = 10_000
_AUTO_VERSION = re.compile(r"v([1-9][0-9]{0,17})")


async def rows(tx: AsyncManagedTransaction, query: str, **params: Any) -> list[list[Any]]:
    result = await tx.run(query, params)
    values: list[list[Any]] = await result.values()
    return values


async def one_node(tx: AsyncManagedTransaction, query: str, **params: Any) -> Node | None:
    found = await rows(tx, query, **params)
    return node_from_row(found[0]) if found else None


async def create_node(tx: AsyncManagedTransaction, spec: NewNode, v: int) -> Node:
    """``v``: the transaction's version (``neo4j_clock.tick``), like every ``v`` below."""
    if spec.id is not None and (existing := await one_node(tx, q.NODES_BY_ID, ids=[spec.id])):
        if existing.kind is not spec.kind:
            raise Conflict(f"id {spec.id} already names a {existing.kind.value.lower()}")
        return existing
    edges = list(dict.fromkeys(spec.edges))
    present = {r[0] for r in await rows(tx, q.IDS_PRESENT, ids=list({e.target for e in edges}))}
    for edge in edges:
        if edge.target not in present:
            raise NotFound(f"no node with id {edge.target!r}")
    version = await _version(tx, spec) if spec.kind in VERSIONED_KINDS else None
    node_id = spec.id or new_id()
    node = await one_node(tx, q.create_node(spec.kind), props=_values(spec, node_id, version, v))
    assert node is not None
    for type_, group in groupby(sorted(edges, key=lambda e: e.type.value), key=lambda e: e.type):
        await (await tx.run(q.create_edges(type_), id=node_id, v=v,
                            edges=[{"target": e.target, "role": e.role} for e in group])).consume()
    if spec.files:
        await _add_files(tx, node_id, spec, v)
    await neo4j_search.index_new_runs(tx, [node])
    return node


def _values(spec: NewNode, node_id: str, version: str | None, v: int) -> dict[str, Any]:
    """The properties of a new node (Neo4j stores no nulls)."""
    status, props = split_props(dict(spec.props))
    values = {
        "id": node_id, "kind": spec.kind.value, "project": spec.project, "name": spec.name,
        "version": version, "created_at": utcnow().isoformat(), "status": status,
        "doc": doc_of(spec.tags, spec.metadata, props), "tags": list(spec.tags),
        "aliases": list(props.get("aliases", [])),
        "vkey": _vkey(spec, version) if version is not None else None,
        "searchable": True if spec.kind is NodeKind.RUN else None,  # indexed for run search
        "_v": v,
    }
    return {k: v for k, v in values.items() if v is not None}


async def create_nodes(tx: AsyncManagedTransaction, specs: Sequence[NewNode], v: int) -> list[Node]:
    """``create_node`` for each spec, in order; runs of new, unversioned, file-less nodes
    of one kind with client ids (an import, an offline replay) go in one UNWIND each."""
    created: list[Node] = []
    i = 0
    while i < len(specs):
        j = i
        if _batchable(specs[i], specs[i]):
            while j < len(specs) and _batchable(specs[j], specs[i]):
                j += 1
        if j - i > 1:
            created += await _create_batch(tx, specs[i:j], v)
            i = j
        else:
            created.append(await create_node(tx, specs[i], v))
            i += 1
    return created


def _batchable(spec: NewNode, first: NewNode) -> bool:
    return (spec.kind is first.kind and spec.kind not in VERSIONED_KINDS and spec.id is not None
            and not spec.files)


async def _create_batch(tx: AsyncManagedTransaction, specs: Sequence[NewNode], v: int) -> list[Node]:
    ids = [s.id for s in specs if s.id is not None]
    targets = {e.target for s in specs for e in s.edges}
    if targets & set(ids) or await rows(tx, q.IDS_PRESENT, ids=ids):
        # Edges inside the batch, or ids already stored: keep one-by-one semantics.
        return [await create_node(tx, s, v) for s in specs]
    present = {r[0] for r in await rows(tx, q.IDS_PRESENT, ids=list(targets))}
    for spec in specs:
        for edge in spec.edges:
            if edge.target not in present:
                raise NotFound(f"no node with id {edge.target!r}")
    values = [_values(s, s.id, None, v) for s in specs if s.id is not None]
    await (await tx.run(q.create_nodes(specs[0].kind), nodes=values)).consume()
    edges = sorted({(s.id, e) for s in specs for e in s.edges}, key=lambda p: p[1].type.value)
    for type_, group in groupby(edges, key=lambda p: p[1].type):
        await (await tx.run(q.create_edges_between(type_), v=v,
                            edges=[{"source": src, "target": e.target, "role": e.role} for src, e in group])).consume()
    found = {n.id: n for n in map(node_from_row, (await rows(tx, q.NODES_BY_IDS, ids=ids))[0][0])}
    await neo4j_search.index_new_runs(tx, list(found.values()))
    return [found[i] for i in ids]


def _vkey(spec: NewNode, version: str) -> str:
    return "\x1f".join((spec.kind.value, spec.project, spec.name, version))


async def _version(tx: AsyncManagedTransaction, spec: NewNode) -> str:
    key = "\x1f".join((spec.kind.value, spec.project, spec.name))
    # Setting a property on the counter write-locks it, so concurrent allocations queue.
    last = (await rows(tx, q.NEXT_VERSION, key=key))[0][0]
    if spec.version is not None:
        if await rows(tx, q.VERSION_TAKEN, vkey=_vkey(spec, spec.version)):
            raise Conflict(f"{spec.kind.value.lower()} {spec.project}/{spec.name}:{spec.version} already exists")
        match = _AUTO_VERSION.fullmatch(spec.version)
        if match and int(match.group(1)) > last:
            await (await tx.run(q.SET_VERSION_COUNTER, key=key, last=int(match.group(1)))).consume()
        return spec.version
    n = last + 1
    while await rows(tx, q.VERSION_TAKEN, vkey=_vkey(spec, f"v{n}")):
        n += 1
    await (await tx.run(q.SET_VERSION_COUNTER, key=key, last=n)).consume()
    return f"v{n}"


async def _add_files(tx: AsyncManagedTransaction, node_id: str, spec: NewNode, v: int) -> None:
    # validate.files gives each digest one size within a manifest, so checking every batch
    # against the blobs already stored, before writing it, catches every clash.
    files = [{"path": f.path, "blob": f.digest.node_id, "digest": f.digest.hex, "size": f.size, "role": f.role}
             for f in spec.files]
    now = utcnow().isoformat()
    for start in range(0, len(files), FILE_BATCH):
        batch = files[start:start + FILE_BATCH]
        clash = await rows(tx, q.SIZE_CLASH, files=batch)
        if clash:
            path, claimed, stored, name = clash[0]
            raise BadInput(f"file {path!r} claims size {claimed} but blob {name} is {stored} bytes")
        await (await tx.run(q.ADD_FILES, id=node_id, files=batch, now=now, v=v)).consume()


async def update_props(tx: AsyncManagedTransaction, node_id: str, kind: NodeKind, changes: Mapping[str, Any]) -> Node:
    node = await one_node(tx, q.NODE_OF_KIND, id=node_id, kind=kind.value)
    if node is None:
        raise NotFound(f"no {kind.value.lower()} with id {node_id!r}")
    status, props = split_props({**node.props, **changes})
    updated = await one_node(tx, q.UPDATE_NODE, id=node_id, status=status,
                             doc=doc_of(node.tags, node.metadata, props), tags=list(node.tags))
    assert updated is not None
    if kind is NodeKind.RUN:
        await neo4j_search.index_run(tx, updated)
    return updated


async def set_alias(tx: AsyncManagedTransaction, node_id: str, alias: str) -> Node:
    node = await one_node(tx, q.NODE_OF_KIND, id=node_id, kind=NodeKind.MODEL.value)
    if node is None:
        raise NotFound(f"no model with id {node_id!r}")
    for row in await rows(tx, q.ALIAS_HOLDERS, project=node.project, name=node.name, alias=alias, id=node_id):
        previous = node_from_row(row)
        kept = [a for a in previous.props.get("aliases", []) if a != alias]
        await update_props(tx, previous.id, NodeKind.MODEL, {"aliases": kept})
        await (await tx.run(q.SET_ALIASES, id=previous.id, aliases=kept)).consume()
    aliases = sorted({*node.props.get("aliases", []), alias})
    await (await tx.run(q.SET_ALIASES, id=node_id, aliases=aliases)).consume()
    return await update_props(tx, node_id, NodeKind.MODEL, {"aliases": aliases})


async def add_edge(tx: AsyncManagedTransaction, source: str, edge: EdgeSpec, v: int) -> Edge:
    present = {r[0] for r in await rows(tx, q.IDS_PRESENT, ids=[source, edge.target])}
    for end in (source, edge.target):
        if end not in present:
            raise NotFound(f"no node with id {end!r}")
    if source == edge.target or await rows(tx, q.REACHES, source=source, target=edge.target):
        raise Cycle(
            f"{edge.type.value} from {source} to {edge.target} would close a cycle: "
            f"{edge.target} already derives from {source}"
        )
    params: dict[str, Any] = {"source": source, "target": edge.target, "role": edge.role}
    if not await rows(tx, q.EDGE_EXISTS, type=edge.type.value, **params):
        await (await tx.run(q.add_edge(edge.type), v=v, **params)).consume()
    return Edge(source, edge.target, edge.type, edge.role)


async def record_blob(
    tx: AsyncManagedTransaction, digest: Digest, size: int, status: BlobStatus, at: datetime, detail: str | None,
    v: int,
) -> Node:
    node = await one_node(tx, q.NODES_BY_ID, ids=[digest.node_id])
    check = {"status": status.value, "at": at.isoformat(), "size": size, "detail": detail}
    history = ([check] + list(node.props.get("history", [])) if node else [check])[:HISTORY_LIMIT]
    props = {k: v for k, v in (node.props if node else {}).items()
             if k not in ("digest", "size", "status", "verified_at")}
    verified = at.isoformat() if status is BlobStatus.VERIFIED else (node.props.get("verified_at") if node else None)
    blob = await one_node(tx, q.UPSERT_BLOB, id=digest.node_id, digest=digest.hex, now=at.isoformat(),
                          status=status.value, size=size, verified_at=verified, v=v,
                          checked_at=at.isoformat(timespec="microseconds"),
                          doc=doc_of((), {}, {**props, "history": history}))
    assert blob is not None
    return blob
