"""``SqliteGraphStore``: the embedded default graph, in one SQLite file (stdlib sqlite3, WAL).

Writes go through one connection in ``BEGIN IMMEDIATE`` transactions (serialised, also
across processes); reads use a small pool of connections, so a long registration does
not block queries. Every call runs in a worker thread to keep the event loop free.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Callable, Collection, Iterator, Mapping, Sequence, TypeVar
from urllib.parse import unquote, urlsplit

import anyio.to_thread

from provgraph.checks import CheckResult, Shard
from provgraph.digest import Digest
from provgraph.metrics import MetricPoint, MetricSummary
from provgraph.search import Expr, Hit, Sort
from provgraph.errors import ConfigError, ProvgraphError, Unavailable
from provgraph.graph import sqlite_lifecycle as lifecycle
from provgraph.graph import sqlite_metrics, sqlite_search
from provgraph.graph import sqlite_integrity as integrity
from provgraph.graph import sqlite_writes as writes
from provgraph.graph.protocol import GraphStore
from provgraph.graph.sqlite_index import sqlite_index
from provgraph.graph.sqlite_reads import Reader
from provgraph.graph.sqlite_schema import connect, migrate
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
READERS = 4


class SqliteGraphStore:
    """The embedded graph store. ``sqlite:///relative.db`` or ``sqlite:////abs/path.db``."""

    def __init__(self, path: str) -> None:
        self.db_path = path
        self._writer: sqlite3.Connection | None = None
        self._write_lock = threading.Lock()
        # Guards the reader pool and the open/closed state: a connection in use by a
        # worker thread is closed when it comes back, never under a running query.
        self._pool_lock = threading.Lock()
        self._readers: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()
        self._index = sqlite_index(lambda: connect(path))

    @classmethod
    def from_url(cls, url: str) -> SqliteGraphStore:
        path = unquote(urlsplit(url).path)
        if url.startswith("sqlite:///"):
            path = unquote(url[len("sqlite:///"):])
            path = path if path.startswith("/") or path == ":memory:" else str(Path(path).absolute())
        if not path:
            raise ConfigError(f"PROVGRAPH_GRAPH_URL={url!r} names no database file")
        return cls(path)

    # -- plumbing -------------------------------------------------------------------

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except ProvgraphError:
            raise
        except sqlite3.Error as exc:
            raise Unavailable(f"graph store {self.db_path}: {exc}") from exc


    def _write_sync(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        with self._errors(), self._write_lock:
            if self._writer is None:
                raise Unavailable("graph store is closed")
            conn = self._writer
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = fn(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return result

    def _read_sync(self, fn: Callable[[Reader], T]) -> T:
        with self._errors():
            conn = self._checkout()
            try:
                return fn(Reader(conn))
            finally:
                self._checkin(conn)

    def _checkout(self) -> sqlite3.Connection:
        with self._pool_lock:
            if self._writer is None:
                raise Unavailable("graph store is closed")
            try:
                return self._readers.get_nowait()
            except queue.Empty:
                return connect(self.db_path)

    def _checkin(self, conn: sqlite3.Connection) -> None:
        with self._pool_lock:
            if self._writer is None:
                conn.close()
            else:
                self._readers.put(conn)

    async def _write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        return await anyio.to_thread.run_sync(self._write_sync, fn)

    async def _read(self, fn: Callable[[Reader], T]) -> T:
        return await anyio.to_thread.run_sync(self._read_sync, fn)

    # -- lifecycle ------------------------------------------------------------------

    async def open(self) -> None:
        def _open() -> None:
            with self._errors():
                if self.db_path != ":memory:":
                    Path(self.db_path).parent.mkdir(parents=True, exist_ok=True)
                writer = connect(self.db_path)
                migrate(writer)
                self._writer = writer

        await anyio.to_thread.run_sync(_open)

    async def close(self) -> None:
        """Close idle connections now; one still running a request (a field resolved
        after its sibling failed, a shutdown mid-request) is closed when it finishes."""

        def _close() -> None:
            with self._write_lock, self._pool_lock:
                writer, self._writer = self._writer, None
                if writer is not None:
                    writer.close()
                while not self._readers.empty():
                    self._readers.get_nowait().close()
            self._index.close()

        await anyio.to_thread.run_sync(_close)

    async def ping(self) -> None:
        await self._read(lambda r: r.conn.execute("SELECT 1").fetchone())

    # -- writes ---------------------------------------------------------------------

    async def create_node(self, spec: NewNode) -> Node:
        return await self._write(lambda c: writes.create_node(c, spec))

    async def create_nodes(self, specs: Sequence[NewNode]) -> list[Node]:
        return await self._write(lambda c: [writes.create_node(c, spec) for spec in specs])

    async def update_props(self, node_id: str, kind: NodeKind, changes: Mapping[str, object]) -> Node:
        return await self._write(lambda c: writes.update_props(c, node_id, kind, changes))

    async def set_alias(self, node_id: str, alias: str) -> Node:
        return await self._write(lambda c: writes.set_alias(c, node_id, alias))

    async def add_edge(self, source: str, edge: EdgeSpec) -> Edge:
        return await self._write(lambda c: writes.add_edge(c, source, edge))

    async def record_blob(
        self, digest: Digest, size: int, status: BlobStatus, at: datetime, detail: str | None = None
    ) -> Node:
        return await self._write(lambda c: writes.record_blob(c, digest, size, status, at, detail))

    async def append_metrics(self, run_id: str, batch: str, points: Sequence[MetricPoint]) -> int:
        return await self._write(lambda c: sqlite_metrics.append(c, run_id, batch, points))

    async def metric_history(self, run_id: str, key: str, first: int, after: str | None) -> Page[MetricPoint]:
        return await self._read(lambda r: sqlite_metrics.history(r.conn, run_id, key, first, after))

    async def metric_summary(self, run_id: str) -> list[MetricSummary]:
        return await self._read(lambda r: sqlite_metrics.summary(r.conn, run_id))

    # -- registry lifecycle and webhook outbox ---------------------------------------

    async def lifecycle_state(self, project: str, name: str) -> LineState:
        return await self._read(lambda r: lifecycle.state(r.conn, project, name))

    async def apply_lifecycle(self, plan: LifecyclePlan) -> bool:
        return await self._write(lambda c: lifecycle.apply(c, plan))

    async def model_events(
        self, project: str, name: str, model_id: str | None = None, environment: str | None = None,
        actions: Sequence[Action] | None = None, first: int = 50, after: int | None = None,
    ) -> Page[ModelEvent]:
        return await self._read(lambda r: lifecycle.events(r.conn, project, name, model_id, environment,
                                                           actions, first, after))

    async def enqueue_webhooks(self, deliveries: Sequence[WebhookDelivery]) -> None:
        await self._write(lambda c: lifecycle.enqueue(c, deliveries))

    async def claim_webhooks(self, now: float, lease_s: float, limit: int) -> list[WebhookDelivery]:
        return await self._write(lambda c: lifecycle.claim(c, now, lease_s, limit))

    async def settle_webhook(self, delivery_id: str, state: str, attempts: int, next_at: float,
                             error: str | None) -> None:
        await self._write(lambda c: lifecycle.settle(c, delivery_id, state, attempts, next_at, error))

    async def webhook_outbox(self) -> list[tuple[WebhookDelivery, str, str | None]]:
        return await self._read(lambda r: lifecycle.outbox(r.conn))

    # -- reads ----------------------------------------------------------------------

    async def get_nodes(self, ids: Sequence[str]) -> dict[str, Node]:
        return await self._read(lambda r: r.get_nodes(list(ids)))

    async def find_versions(
        self, kinds: Sequence[NodeKind], project: str, name: str, selector: str
    ) -> list[Node]:
        return await self._read(lambda r: r.find_versions(kinds, project, name, selector))

    async def list_nodes(self, kind: NodeKind, where: NodeFilter, first: int, after: str | None) -> Page[Node]:
        return await self._read(lambda r: r.list_nodes(kind, where, first, after))

    async def search_runs(self, where: Expr | None, sort: Sort, first: int, after: str | None) -> Page[Hit]:
        return await self._read(lambda r: sqlite_search.page(r.conn, where, sort, first, after))

    async def list_files(self, node_id: str, first: int, after: str | None) -> Page[FileEntry]:
        return await self._read(lambda r: r.list_files(node_id, first, after))

    async def files_of(self, node_ids: Sequence[str], limit: int) -> dict[str, list[FileEntry]]:
        return await self._read(lambda r: r.files_of(list(node_ids), limit))

    async def traverse(
        self,
        start: Sequence[str],
        direction: Direction,
        max_depth: int | None,
        kinds: Sequence[NodeKind] | None = None,
        edge_types: Sequence[EdgeType] | None = None,
    ) -> list[Hop]:
        if direction is Direction.BOTH:
            raise ValueError("traverse walks one direction; lineage handles BOTH")
        return await self._read(
            lambda r: self._index.hops(list(start), direction, max_depth, kinds, edge_types, r.seqs, r.nodes_by_seq)
        )

    async def traverse_ids(
        self,
        start: Sequence[str],
        direction: Direction,
        max_depth: int | None,
        kinds: Sequence[NodeKind] | None = None,
        edge_types: Sequence[EdgeType] | None = None,
    ) -> list[HopRef]:
        if direction is Direction.BOTH:
            raise ValueError("traverse walks one direction; lineage handles BOTH")
        return await self._read(lambda r: self._index.hop_refs(list(start), direction, max_depth, kinds, edge_types, r.seqs))

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
        if direction is Direction.BOTH:
            raise ValueError("traverse walks one direction; lineage handles BOTH")
        return await self._read(
            lambda r: self._index.hop_page(list(start), direction, max_depth, kinds, edge_types, first, after, r.seqs)
        )

    async def lineage(self, node_id: str, direction: Direction, max_depth: int | None) -> Subgraph:
        return await self._read(lambda r: self._index.lineage(node_id, direction, max_depth, r.seqs, r.nodes_by_seq))

    async def path(self, source: str, target: str, direction: PathDirection = PathDirection.ANY) -> Subgraph | None:
        return await self._read(lambda r: r.path(source, target, direction))

    async def blob_counts(self, projects: Collection[str] | None) -> dict[BlobStatus, int]:
        return await self._read(lambda r: r.blob_counts(projects))

    async def blobs_with_status(
        self, statuses: Sequence[BlobStatus], projects: Collection[str] | None, limit: int
    ) -> list[Node]:
        return await self._read(lambda r: r.blobs_with_status(statuses, projects, limit))

    async def blob_projects(self, node_id: str) -> frozenset[str]:
        return await self._read(lambda r: r.blob_projects(node_id))

    # -- integrity (workers) --------------------------------------------------------

    async def blobs_due(
        self, shard: Shard, pending_before: datetime, checked_before: datetime, limit: int
    ) -> list[Node]:
        return await self._read(lambda r: integrity.blobs_due(r, shard, pending_before, checked_before, limit))

    async def list_blobs(self, shard: Shard, after: str | None, limit: int) -> list[tuple[Node, int]]:
        return await self._read(lambda r: integrity.list_blobs(r, shard, after, limit))

    async def record_checks(self, checks: Sequence[CheckResult]) -> list[Node]:
        return await self._write(lambda c: integrity.record_checks(c, checks))

    async def delete_unreferenced_blobs(self, digests: Sequence[Digest]) -> list[Digest]:
        return await self._write(lambda c: integrity.delete_unreferenced_blobs(c, digests))

    async def lineage_many(self, start: Sequence[str], direction: Direction) -> Subgraph:
        return await self._read(lambda r: integrity.lineage_many(r, start, direction))

    async def file_status_counts(self, node_ids: Sequence[str]) -> dict[str, dict[BlobStatus, int]]:
        return await self._read(lambda r: integrity.file_status_counts(r, node_ids))

    async def edge_pairs(self, type: EdgeType) -> list[tuple[str, str]]:
        return await self._read(lambda r: integrity.edge_pairs(r, type))

    async def dangling_edges(self, limit: int) -> list[Edge]:
        return await self._read(lambda r: integrity.dangling_edges(r, limit))

    async def nodes_without_files(self, kinds: Sequence[NodeKind], limit: int) -> list[Node]:
        return await self._read(lambda r: integrity.nodes_without_files(r, kinds, limit))


_: type[GraphStore] = SqliteGraphStore
