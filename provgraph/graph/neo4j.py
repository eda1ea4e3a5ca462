"""``Neo4jGraphStore``: the production graph, on Neo4j 5 through the official async driver.

``PROVGRAPH_GRAPH_URL=bolt://user:password@host:7687`` (or ``neo4j://``; ``?database=``
picks a database). Constraints and indexes are created idempotently at ``open``. Writes
run in managed transactions (retried by the driver on transient errors); a domain error
inside one rolls it back. Every write that changes the graph ticks the graph clock
first (``neo4j_clock``): that serializes graph writes, and lets traversals and lineage
answer from an in-memory index (``neo4j_index``) that catches up with every replica's
writes, one clock read per traversal.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Awaitable, Callable, Collection, Mapping, Sequence, TypeVar
from urllib.parse import parse_qs, unquote, urlsplit, urlunsplit

import anyio.to_thread
from neo4j import AsyncDriver, AsyncGraphDatabase, AsyncManagedTransaction
from neo4j.exceptions import AuthError, ConstraintError, DriverError, Neo4jError, ServiceUnavailable, SessionExpired

from provgraph.checks import CheckResult, Shard
from provgraph.digest import Digest
from provgraph.metrics import MetricPoint, MetricSummary
from provgraph.search import Expr, Hit, Sort
from provgraph.errors import ConfigError, Conflict, ProvgraphError, Unavailable
from provgraph.graph import neo4j_clock as clock
from provgraph.graph import neo4j_cypher as q
from provgraph.graph import neo4j_lifecycle as lifecycle
from provgraph.graph import neo4j_metrics, neo4j_search
from provgraph.graph import neo4j_integrity as integrity
from provgraph.graph import neo4j_writes as writes
from provgraph.graph.neo4j_index import neo4j_index
from provgraph.graph.neo4j_reads import Reads
from provgraph.graph.protocol import GraphStore
from provgraph.lifecycle import Action, LifecyclePlan, LineState, ModelEvent, WebhookDelivery
from provgraph.model import (
    BlobStatus,
    Direction,
    Edge,
    EdgeSpec,
    EdgeType,
    FileEntry,
    Hop,
    HopRef,
    NewNode,
    Node,
    NodeFilter,
    NodeKind,
    Page,
    PathDirection,
    Subgraph,
)

T = TypeVar("T")
logger = logging.getLogger("provgraph.graph.neo4j")
Work = Callable[[AsyncManagedTransaction], Awaitable[T]]


class Neo4jGraphStore:
    def __init__(self, uri: str, auth: tuple[str, str] | None, database: str | None = None) -> None:
        self.uri = uri
        self.auth = auth
        self.database = database
        self._driver: AsyncDriver | None = None
        self._schema_ready = False
        self.reads = Reads(self._read)
        self._index, self._fetch = neo4j_index(self.reads)

    @classmethod
    def from_url(cls, url: str) -> Neo4jGraphStore:
        parts = urlsplit(url)
        if not parts.hostname:
            raise ConfigError(f"PROVGRAPH_GRAPH_URL={url!r} names no host")
        auth = (unquote(parts.username or "neo4j"), unquote(parts.password)) if parts.password else None
        netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
        database = parse_qs(parts.query).get("database", [None])[-1]
        return cls(urlunsplit((parts.scheme, netloc, "", "", "")), auth, database)

    # -- plumbing -------------------------------------------------------------------

    def _unavailable(self, exc: Exception) -> Unavailable:
        if isinstance(exc, AuthError):
            return Unavailable(f"Neo4j at {self.uri} refused the credentials in PROVGRAPH_GRAPH_URL")
        return Unavailable(f"Neo4j at {self.uri} is unavailable: {exc}")

    async def _run(self, work: Work[T], write: bool) -> T:
        if self._driver is None:
            raise Unavailable("graph store is closed")
        await self._ensure_schema()
        try:
            async with self._driver.session(database=self.database) as session:
                runner = session.execute_write if write else session.execute_read
                return await runner(work)
        except clock.ClockMissing:
            self._schema_ready = False  # the next call creates it again
            raise
        except ProvgraphError:
            raise
        except ConstraintError as exc:
            raise Conflict(f"a concurrent write took the same key: {exc.message}") from exc
        except (ServiceUnavailable, SessionExpired, AuthError, DriverError, OSError) as exc:
            raise self._unavailable(exc) from exc
        except Neo4jError as exc:
            raise Unavailable(f"Neo4j at {self.uri} failed: {exc.message}") from exc

    async def _read(self, work: Work[T]) -> T:
        return await self._run(work, write=False)

    async def _write(self, work: Work[T]) -> T:
        return await self._run(work, write=True)

    async def _graph_write(self, work: Callable[[AsyncManagedTransaction, int], Awaitable[T]]) -> T:
        """A write that changes nodes or edges: ``work`` gets the version it ticked first."""
        async def ticked(tx: AsyncManagedTransaction) -> T:
            return await work(tx, await clock.tick(tx))

        return await self._write(ticked)

    async def _indexed(self, answer: Callable[[], T]) -> T:
        """``answer`` from the traversal index, in a worker thread (its queries come back here)."""
        if self._driver is None:
            raise Unavailable("graph store is closed")
        return await anyio.to_thread.run_sync(answer)

    # -- lifecycle ------------------------------------------------------------------

    async def open(self) -> None:
        """Create the driver and, if Neo4j answers, the schema. A Neo4j that is down at
        start-up is not fatal: every call answers ``UNAVAILABLE`` until it is back, and
        the schema is created by the first call that reaches it."""
        # Server notifications ("property key does not exist" on a young graph, …) are
        # hints for humans writing Cypher by hand; logged per query they are only noise.
        self._driver = AsyncGraphDatabase.driver(self.uri, auth=self.auth, connection_timeout=5.0,
                                                 max_transaction_retry_time=5.0,
                                                 notifications_min_severity="OFF")
        try:
            await self._ensure_schema()
        except Unavailable as exc:
            logger.warning("%s; will retry on first use", exc.message)

    async def _ensure_schema(self) -> None:
        if self._schema_ready or self._driver is None:
            return
        try:
            for statement in (*q.SCHEMA, *clock.SCHEMA, *lifecycle.SCHEMA, *neo4j_search.SCHEMA):
                await self._driver.execute_query(statement, database_=self.database)
            await self._backfill_search()
        except (ServiceUnavailable, SessionExpired, AuthError, DriverError, OSError) as exc:
            raise self._unavailable(exc) from exc
        self._schema_ready = True

    async def _backfill_search(self) -> None:
        """Index runs stored before run search existed, a batch per transaction; once done,
        a mark spares later start-ups the scan of every run."""
        assert self._driver is not None
        found = await self._driver.execute_query(neo4j_search.BACKFILLED, database_=self.database)
        if found.records[0][0]:
            return
        async with self._driver.session(database=self.database) as session:
            while await session.execute_write(neo4j_search.backfill_batch):
                pass
        await self._driver.execute_query(neo4j_search.MARK_BACKFILLED, database_=self.database)

    async def close(self) -> None:
        if self._driver is not None:
            driver, self._driver = self._driver, None
            await driver.close()
        # In a thread: a traversal holding the index may be waiting for this event loop.
        await anyio.to_thread.run_sync(self._index.close)

    async def clear(self) -> None:
        """Delete every node and edge (tests and benchmarks on a shared server); the
        constraints, indexes and the graph clock stay, and the clock says that rows went."""
        if self._driver is None:
            raise Unavailable("graph store is closed")
        try:
            # Batches in their own transactions (auto-commit only): one transaction over a
            # large graph would exceed Neo4j's transaction memory.
            async with self._driver.session(database=self.database) as session:
                await (await session.run("MATCH (n) WHERE NOT n:GraphClock "
                                         "CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS")).consume()
                await (await session.run(clock.CLEARED)).consume()
        except (ServiceUnavailable, SessionExpired, AuthError, DriverError, OSError) as exc:
            raise self._unavailable(exc) from exc

    async def ping(self) -> None:
        async def work(tx: AsyncManagedTransaction) -> None:
            await (await tx.run("RETURN 1")).consume()

        await self._read(work)

    # -- writes ---------------------------------------------------------------------

    async def create_node(self, spec: NewNode) -> Node:
        return await self._graph_write(lambda tx, v: writes.create_node(tx, spec, v))

    async def create_nodes(self, specs: Sequence[NewNode]) -> list[Node]:
        async def work(tx: AsyncManagedTransaction, v: int) -> list[Node]:
            return await writes.create_nodes(tx, specs, v)

        return await self._graph_write(work)

    async def update_props(self, node_id: str, kind: NodeKind, changes: Mapping[str, object]) -> Node:
        return await self._graph_write(lambda tx, _: writes.update_props(tx, node_id, kind, changes))

    async def set_alias(self, node_id: str, alias: str) -> Node:
        return await self._graph_write(lambda tx, _: writes.set_alias(tx, node_id, alias))

    async def add_edge(self, source: str, edge: EdgeSpec) -> Edge:
        return await self._graph_write(lambda tx, v: writes.add_edge(tx, source, edge, v))

    async def record_blob(
        self, digest: Digest, size: int, status: BlobStatus, at: datetime, detail: str | None = None
    ) -> Node:
        return await self._graph_write(lambda tx, v: writes.record_blob(tx, digest, size, status, at, detail, v))

    async def append_metrics(self, run_id: str, batch: str, points: Sequence[MetricPoint]) -> int:
        return await self._write(lambda tx: neo4j_metrics.append(tx, run_id, batch, points))

    async def metric_history(self, run_id: str, key: str, first: int, after: str | None) -> Page[MetricPoint]:
        return await self._read(lambda tx: neo4j_metrics.history(tx, run_id, key, first, after))

    async def metric_summary(self, run_id: str) -> list[MetricSummary]:
        return await self._read(lambda tx: neo4j_metrics.summary(tx, run_id))

    # -- registry lifecycle and webhook outbox ---------------------------------------

    async def lifecycle_state(self, project: str, name: str) -> LineState:
        return await self._read(lambda tx: lifecycle.state(tx, project, name))

    async def apply_lifecycle(self, plan: LifecyclePlan) -> bool:
        return await self._write(lambda tx: lifecycle.apply(tx, plan))

    async def model_events(
        self, project: str, name: str, model_id: str | None = None, environment: str | None = None,
        actions: Sequence[Action] | None = None, first: int = 50, after: int | None = None,
    ) -> Page[ModelEvent]:
        return await self._read(lambda tx: lifecycle.events(tx, project, name, model_id, environment,
                                                            actions, first, after))

    async def enqueue_webhooks(self, deliveries: Sequence[WebhookDelivery]) -> None:
        await self._write(lambda tx: lifecycle.enqueue(tx, deliveries))

    async def claim_webhooks(self, now: float, lease_s: float, limit: int) -> list[WebhookDelivery]:
        return await self._write(lambda tx: lifecycle.claim(tx, now, lease_s, limit))

    async def settle_webhook(self, delivery_id: str, state: str, attempts: int, next_at: float,
                             error: str | None) -> None:
        await self._write(lambda tx: lifecycle.settle(tx, delivery_id, state, attempts, next_at, error))

    async def webhook_outbox(self) -> list[tuple[WebhookDelivery, str, str | None]]:
        return await self._read(lambda tx: lifecycle.outbox(tx))

    # -- reads ----------------------------------------------------------------------

    async def get_nodes(self, ids: Sequence[str]) -> dict[str, Node]:
        return await self.reads.get_nodes(ids)

    async def find_versions(self, kinds: Sequence[NodeKind], project: str, name: str, selector: str) -> list[Node]:
        return await self.reads.find_versions(kinds, project, name, selector)

    async def list_nodes(self, kind: NodeKind, where: NodeFilter, first: int, after: str | None) -> Page[Node]:
        return await self.reads.list_nodes(kind, where, first, after)

    async def search_runs(self, where: Expr | None, sort: Sort, first: int, after: str | None) -> Page[Hit]:
        return await self._read(lambda tx: neo4j_search.page(tx, where, sort, first, after))

    async def list_files(self, node_id: str, first: int, after: str | None) -> Page[FileEntry]:
        return await self.reads.list_files(node_id, first, after)

    async def files_of(self, node_ids: Sequence[str], limit: int) -> dict[str, list[FileEntry]]:
        return await self.reads.files_of(node_ids, limit)

    async def traverse(
        self,
        start: Sequence[str],
        direction: Direction,
        max_depth: int | None,
        kinds: Sequence[NodeKind] | None = None,
        edge_types: Sequence[EdgeType] | None = None,
    ) -> list[Hop]:
        _one_way(direction)
        return await self._indexed(lambda: self._index.hops(list(start), direction, max_depth, kinds, edge_types,
                                                            None, self._fetch))

    async def traverse_ids(
        self,
        start: Sequence[str],
        direction: Direction,
        max_depth: int | None,
        kinds: Sequence[NodeKind] | None = None,
        edge_types: Sequence[EdgeType] | None = None,
    ) -> list[HopRef]:
        _one_way(direction)
        return await self._indexed(lambda: self._index.hop_refs(list(start), direction, max_depth, kinds,
                                                                edge_types, None))

    async def traverse_page(
        self,
        start: Sequence[str],
        direction: Direction,
        max_depth: int | None,
        kinds: Sequence[NodeKind] | None,
        edge_types: Sequence[EdgeType] | None,
        first: int,
        after: str | None,
    ) -> Page[HopRef]:
        _one_way(direction)
        return await self._indexed(lambda: self._index.hop_page(list(start), direction, max_depth, kinds,
                                                                edge_types, first, after, None))

    async def lineage(self, node_id: str, direction: Direction, max_depth: int | None) -> Subgraph:
        return await self._indexed(lambda: self._index.lineage(node_id, direction, max_depth, None, self._fetch))

    async def path(self, source: str, target: str, direction: PathDirection = PathDirection.ANY) -> Subgraph | None:
        return await self.reads.path(source, target, direction)

    async def blob_counts(self, projects: Collection[str] | None) -> dict[BlobStatus, int]:
        return await self.reads.blob_counts(projects)

    async def blobs_with_status(self, statuses: Sequence[BlobStatus], projects: Collection[str] | None,
                                limit: int) -> list[Node]:
        return await self.reads.blobs_with_status(statuses, projects, limit)

    async def blob_projects(self, node_id: str) -> frozenset[str]:
        return await self.reads.blob_projects(node_id)

    # -- integrity (workers) --------------------------------------------------------

    async def blobs_due(
        self, shard: Shard, pending_before: datetime, checked_before: datetime, limit: int
    ) -> list[Node]:
        return await self._read(lambda tx: integrity.blobs_due(tx, shard, pending_before, checked_before, limit))

    async def list_blobs(self, shard: Shard, after: str | None, limit: int) -> list[tuple[Node, int]]:
        return await self._read(lambda tx: integrity.list_blobs(tx, shard, after, limit))

    async def record_checks(self, checks: Sequence[CheckResult]) -> list[Node]:
        return await self._graph_write(lambda tx, _: integrity.record_checks(tx, checks))

    async def delete_unreferenced_blobs(self, digests: Sequence[Digest]) -> list[Digest]:
        return await self._graph_write(lambda tx, _: integrity.delete_unreferenced_blobs(tx, digests))

    async def lineage_many(self, start: Sequence[str], direction: Direction) -> Subgraph:
        return await integrity.lineage_many(self.reads, start, direction)

    async def file_status_counts(self, node_ids: Sequence[str]) -> dict[str, dict[BlobStatus, int]]:
        return await self._read(lambda tx: integrity.file_status_counts(tx, node_ids))

    async def edge_pairs(self, type: EdgeType) -> list[tuple[str, str]]:
        return await self._read(lambda tx: integrity.edge_pairs(tx, type))

    async def dangling_edges(self, limit: int) -> list[Edge]:
        return await self._read(lambda tx: integrity.dangling_edges(tx, limit))

    async def nodes_without_files(self, kinds: Sequence[NodeKind], limit: int) -> list[Node]:
        return await self._read(lambda tx: integrity.nodes_without_files(tx, kinds, limit))


def _one_way(direction: Direction) -> None:
    if direction is Direction.BOTH:
        raise ValueError("traverse walks one direction; lineage handles BOTH")


_: type[GraphStore] = Neo4jGraphStore
