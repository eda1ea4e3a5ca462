"""The ``GraphStore`` contract every graph backend fulfils.

All methods are coroutines. Backends translate their driver's failures into
``provgraph.errors`` (``Unavailable`` when the database cannot be reached) and never let
a driver exception escape. Inputs reaching a store are already validated by
``provgraph.registry`` (names, JSON sizes, digests, edge kinds); the store owns what
needs atomicity: version allocation, uniqueness, existence of edge targets, cycles.
"""

from __future__ import annotations

from datetime import datetime
from typing import Collection, Mapping, Protocol, Sequence

from provgraph.checks import CheckResult, Shard
from provgraph.digest import Digest
from provgraph.lifecycle import Action, LifecyclePlan, LineState, ModelEvent, WebhookDelivery
from provgraph.metrics import MetricPoint, MetricSummary
from provgraph.search import Expr, Hit, Sort
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


class GraphStore(Protocol):
    async def open(self) -> None:
        """Connect and create or migrate the schema (idempotent: safe on every start)."""

    async def close(self) -> None:
        """Release connections. The store is unusable afterwards."""

    async def ping(self) -> None:
        """Return when the backend answers; raise ``Unavailable`` otherwise."""

    # -- writes ---------------------------------------------------------------------

    async def create_node(self, spec: NewNode) -> Node:
        """Create a node with its outgoing edges and files, all or nothing.

        - ``spec.version`` None on a versioned kind allocates the next ``v<N>`` for
          (kind, project, name); concurrent callers never get the same version.
          Explicit ``v<N>`` versions move the counter past N.
        - An explicit version that exists raises ``Conflict``.
        - ``spec.id`` given and already stored with the same kind returns that node
          unchanged (idempotent retry); with another kind raises ``Conflict``.
        - An edge target that does not exist raises ``NotFound`` naming it.
        - Each file upserts a Blob node ``sha256:<hex>`` (status ``PENDING`` when new)
          and a ``HAS_FILE`` edge whose role is the file's role or path. A blob already
          known with another size raises ``BadInput``. Duplicate paths raise ``BadInput``.
        On any error nothing is written.
        """

    async def create_nodes(self, specs: Sequence[NewNode]) -> list[Node]:
        """Create many nodes in one transaction, in order, with ``create_node``'s rules;
        a spec may name an earlier spec's (client-chosen) id as an edge target. All or
        nothing: one failing spec writes none of them."""

    async def update_props(self, node_id: str, kind: NodeKind, changes: Mapping[str, object]) -> Node:
        """Merge ``changes`` into the props of node ``node_id`` of ``kind``.

        ``NotFound`` when there is no such node of that kind. Returns the updated node.
        """

    async def set_alias(self, node_id: str, alias: str) -> Node:
        """Point ``alias`` at model ``node_id``, moving it from any other version of the
        same (project, name). ``NotFound`` for an unknown model."""

    async def lifecycle_state(self, project: str, name: str) -> LineState:
        """The lifecycle state of the model line ``project/name`` (revision 0, auto-deprecation
        on and nothing deployed when it never changed)."""

    async def apply_lifecycle(self, plan: LifecyclePlan) -> bool:
        """Apply ``plan`` atomically (prop changes, deployment rows, events, webhook
        deliveries, the revision bumped) if the line is still at ``plan.revision``; False,
        writing nothing, when a concurrent change came first."""

    async def model_events(
        self, project: str, name: str, model_id: str | None = None, environment: str | None = None,
        actions: Sequence[Action] | None = None, first: int = 50, after: int | None = None,
    ) -> Page[ModelEvent]:
        """Events of a model line (of one version, one environment, some actions), newest
        first; ``after`` is a previous page's ``end_cursor`` (an event seq)."""

    async def enqueue_webhooks(self, deliveries: Sequence[WebhookDelivery]) -> None:
        """Add deliveries to the webhook outbox."""

    async def claim_webhooks(self, now: float, lease_s: float, limit: int) -> list[WebhookDelivery]:
        """Up to ``limit`` pending deliveries due at ``now``, oldest first, each leased for
        ``lease_s`` seconds so concurrent workers do not send it twice."""

    async def settle_webhook(self, delivery_id: str, state: str, attempts: int, next_at: float,
                             error: str | None) -> None:
        """Record a delivery attempt: ``state`` DELIVERED, FAILED (gave up) or PENDING (retry at ``next_at``)."""

    async def webhook_outbox(self) -> list[tuple[WebhookDelivery, str, str | None]]:
        """Every delivery with its state and last error (reports and tests)."""

    async def add_edge(self, source: str, edge: EdgeSpec) -> Edge:
        """Add one edge between existing nodes. Idempotent for an identical edge.

        ``NotFound`` for an unknown end; ``Cycle`` when ``edge.target`` already reaches
        ``source`` (the edge would close a cycle), or source and target are one node.
        """

    async def record_blob(
        self,
        digest: Digest,
        size: int,
        status: BlobStatus,
        at: datetime,
        detail: str | None = None,
    ) -> Node:
        """Create or update the Blob node of ``digest`` with a check result.

        Sets size, status and ``verified_at`` (for VERIFIED), appends to a bounded
        history (newest 20 checks). Returns the Blob node.
        """

    async def append_metrics(self, run_id: str, batch: str, points: Sequence[MetricPoint]) -> int:
        """Append ``points`` to the metric history of run ``run_id``, all or nothing.

        Idempotent per ``batch`` (a ULID): a batch already stored for this run writes
        nothing and returns 0; stored for another run raises ``Conflict``. A point
        without a timestamp gets the store's clock. ``NotFound`` for an unknown run.
        Returns the number of points written. Points are validated by the caller.
        """

    async def metric_history(self, run_id: str, key: str, first: int, after: str | None) -> Page[MetricPoint]:
        """The points of ``key`` in history order: by step, then batch id, then order
        within the batch (``provgraph.metrics`` cursors). Unknown keys give an empty
        page; ``NotFound`` for an unknown run."""

    async def metric_summary(self, run_id: str) -> list[MetricSummary]:
        """One summary per logged key (count, last, min/max with their steps), by key;
        ``NotFound`` for an unknown run."""

    # -- reads ----------------------------------------------------------------------

    async def get_nodes(self, ids: Sequence[str]) -> dict[str, Node]:
        """Nodes by id, in one round trip; unknown ids are absent from the result."""

    async def find_versions(
        self, kinds: Sequence[NodeKind], project: str, name: str, selector: str
    ) -> list[Node]:
        """Resolve a ref selector within (project, name) for each of ``kinds``.

        ``selector`` is a version (``v2``, ``1.0.0``), ``latest`` (the newest by
        creation) or ``@alias``. Returns every match (one per kind at most).
        """

    async def list_nodes(
        self, kind: NodeKind, where: NodeFilter, first: int, after: str | None
    ) -> Page[Node]:
        """Nodes of ``kind``, newest first; ``after`` is a previous page's end cursor."""

    async def search_runs(self, where: Expr | None, sort: Sort, first: int, after: str | None) -> Page[Hit]:
        """Runs for which ``where`` holds (None: every run), in ``sort`` order, ``first`` at
        a time; ``after`` is a previous page's end cursor (``provgraph.search``).

        Semantics are ``provgraph.search``'s and ``provgraph.run_values``': with a sort
        field, numbers before strings ascending (the reverse descending), ties by id in
        the sort's direction, runs without the field last (by id); without one, newest
        first (id descending). Pages taken one after the other cover every match once
        while the runs do not change. ``BadInput`` for a cursor this did not make.
        """

    async def list_files(self, node_id: str, first: int, after: str | None) -> Page[FileEntry]:
        """Files of one node ordered by path, paginated."""

    async def files_of(self, node_ids: Sequence[str], limit: int) -> dict[str, list[FileEntry]]:
        """The first ``limit`` files (by path) of each node, in one round trip."""

    async def traverse(
        self,
        start: Sequence[str],
        direction: Direction,
        max_depth: int | None,
        kinds: Sequence[NodeKind] | None = None,
        edge_types: Sequence[EdgeType] | None = None,
    ) -> list[Hop]:
        """Every node reachable from ``start`` with its shortest distance.

        UPSTREAM follows edges outward (ancestors), DOWNSTREAM inward (descendants).
        ``BOTH`` is not accepted here. Start nodes are not part of the answer. Cost
        grows with the nodes and edges reached, never with the number of paths.
        ``kinds`` filters the answer, not the walk; ``edge_types`` restricts the walk.
        Ordered by depth, then id. ``NotFound`` when a start id is unknown.
        """

    async def traverse_ids(
        self,
        start: Sequence[str],
        direction: Direction,
        max_depth: int | None,
        kinds: Sequence[NodeKind] | None = None,
        edge_types: Sequence[EdgeType] | None = None,
    ) -> list[HopRef]:
        """``traverse`` answering only each node's id and kind with its depth (same
        hops, same order), without reading the nodes' other fields."""

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
        """The ``first`` hops of ``traverse_ids`` after the hop cursor ``after`` (None:
        from the start), with the cursor of the page's last hop (``graph.hops``). Pages
        taken one after the other cover every hop exactly once while the graph does not
        change. ``BadInput`` for a cursor ``graph.hops`` did not make."""

    async def lineage(self, node_id: str, direction: Direction, max_depth: int | None) -> Subgraph:
        """The start node and the nodes its walk reaches in ``direction`` within
        ``max_depth`` (``BOTH``: the union of the upward and the downward walk), with
        every edge whose two ends are among them (the induced subgraph: also edges the
        walk did not take, such as a descendant's edge to an ancestor or one between two
        nodes at the depth bound). Nodes by id; edges by source, target, type, role;
        ``direction`` set to the one asked. ``NotFound`` for an unknown start."""

    async def path(self, source: str, target: str, direction: PathDirection = PathDirection.ANY) -> Subgraph | None:
        """A shortest path from ``source`` to ``target``: UPSTREAM along the edges (target
        is an ancestor), DOWNSTREAM against them (a descendant), ANY the upward one if
        there is one, else the downward one. Nodes in order from source to target, the
        edges between consecutive nodes as stored, and ``direction`` the way it went. A
        node to itself is a path of one node. None when no such path exists;
        ``NotFound`` for an unknown end."""

    async def blob_counts(self, projects: Collection[str] | None) -> dict[BlobStatus, int]:
        """Number of Blob nodes by status (for ``projects``: blobs their nodes name)."""

    async def blobs_with_status(
        self, statuses: Sequence[BlobStatus], projects: Collection[str] | None, limit: int
    ) -> list[Node]:
        """Blob nodes in one of ``statuses`` (for ``projects``: that their nodes name)."""

    async def blob_projects(self, node_id: str) -> frozenset[str]:
        """The projects of the nodes that have blob ``node_id`` as a file (empty for an
        unknown or unreferenced blob)."""

    # -- integrity (workers) --------------------------------------------------------

    async def blobs_due(
        self, shard: Shard, pending_before: datetime, checked_before: datetime, limit: int
    ) -> list[Node]:
        """Up to ``limit`` Blob nodes of ``shard`` due for a full check: PENDING ones last
        checked before ``pending_before`` first, then the others last checked before
        ``checked_before``, least recently checked first, ties by digest. A recorded full
        check (``record_checks``, ``record_blob``) takes a blob out of this set, so calling
        again until empty is a complete pass that resumes where it stopped."""

    async def list_blobs(self, shard: Shard, after: str | None, limit: int) -> list[tuple[Node, int]]:
        """Blob nodes of ``shard`` by id, after the id ``after``, each with the number
        of edges pointing to it (0: nothing references it)."""

    async def record_checks(self, checks: Sequence[CheckResult]) -> list[Node]:
        """Record check results on their Blob nodes, in one transaction, in order.

        Each sets the status and appends to the bounded history; a full check also sets
        the last check time, and a matching one ``verified_at``. The registered size is
        kept. A result older than the blob's last recorded full check is dropped (a
        concurrent, newer verdict wins), and so is one for an unknown digest. Returns
        the Blob nodes updated.
        """

    async def delete_unreferenced_blobs(self, digests: Sequence[Digest]) -> list[Digest]:
        """Delete the Blob nodes of ``digests`` that no edge points to, atomically with
        that check. Returns the digests that now have no Blob node (deleted, or never
        there); referenced ones are kept and left out."""

    async def lineage_many(self, start: Sequence[str], direction: Direction) -> Subgraph:
        """``lineage`` from several start nodes at once (UPSTREAM or DOWNSTREAM, no depth
        bound), in one walk. ``NotFound`` when a start id is unknown."""

    async def file_status_counts(self, node_ids: Sequence[str]) -> dict[str, dict[BlobStatus, int]]:
        """For each node, how many of its files are in each status (statuses with no
        file are absent; nodes without files map to ``{}``); one round trip."""

    async def edge_pairs(self, type: EdgeType) -> list[tuple[str, str]]:
        """(source id, target id) of every edge of ``type`` (lineage validation)."""

    async def dangling_edges(self, limit: int) -> list[Edge]:
        """Up to ``limit`` edges with an end that is not a provgraph node; such an end
        appears as ``#<backend key>``. Empty on a healthy graph."""

    async def nodes_without_files(self, kinds: Sequence[NodeKind], limit: int) -> list[Node]:
        """Up to ``limit`` nodes of ``kinds`` with no HAS_FILE edge, by id."""
