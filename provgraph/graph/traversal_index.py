"""The traversal index: a graph's adjacency in memory, so traversals run at in-memory BFS speed.

Adjacency by integer node ``seq`` in both directions, with each edge's type and label
(USED role, HAS_FILE path), every node's id and kind, a cache of decoded nodes and the
last few whole answers (paging through a 100,000-hop traversal walks it once). What
keeps it fresh is a backend's ``Source``: once per traversal it checks whether the graph
changed since it last looked and, if so, hands the index what is new (``update``) or
everything again (``reset``). Any change drops the node cache and the answers, since
props are updated in place. ``sqlite_index`` and ``neo4j_index`` hold the two sources.

A traversal's start ids are resolved either by the caller before the freshness check
(``resolve``: SQLite asks its own table, and a start the index knows under another id
makes it rebuild) or, with ``resolve=None``, from the index's own id map after it
(``by_id``: a source that hands nodes by id, such as Neo4j's, whose seqs are local).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from contextlib import contextmanager
from typing import Callable, Hashable, Iterator, Protocol, Sequence

from provgraph.errors import NotFound
from provgraph.graph import heap
from provgraph.graph.hops import page_after, parse_cursor
from provgraph.model import Direction, Edge, EdgeType, Hop, HopRef, Node, NodeKind, Page, Subgraph

NODE_CACHE_LIMIT = 250_000
ANSWERS_KEPT = 8  # whole traversal answers kept for paging
FetchNodes = Callable[[list[int]], dict[int, Node]]  # decoded nodes by seq
Resolve = Callable[[list[str]], list[int]]  # seqs of ids, in order; NotFound for an unknown one
Levels = list[list[int]]  # the start nodes, then the nodes first reached at each depth
NodeRow = tuple[int, str, str]  # seq, id, kind
EdgeRow = tuple[int, int, int, str, "str | None"]  # a number (SQLite: the rowid), source seq, target seq, type, label
_EMPTY: list[int] = []  # shared by every node without edges; never appended to
_TYPES = list(EdgeType)
_CODES = {t.value: i for i, t in enumerate(_TYPES)}
_KINDS = {k.value: k for k in NodeKind}
_tuple_new = tuple.__new__


class Source(Protocol):
    """What keeps a ``TraversalIndex`` fresh; called with one refresh at a time."""

    def refresh(self, index: TraversalIndex, rebuild: bool) -> None:
        """Bring ``index`` up to date with every commit made before this call, through
        ``index.update``; nothing when the graph is unchanged. ``rebuild``: from scratch."""

    def close(self) -> None:
        """Release what the source holds (connections) and forget what it has seen."""


class _SharedLock:
    """Many traversals at once, or one refresh alone (it waits for running traversals
    and keeps new ones waiting)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writing = False

    @contextmanager
    def shared(self) -> Iterator[None]:
        with self._cond:
            while self._writing:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        with self._cond:
            while self._writing:
                self._cond.wait()
            self._writing = True
            while self._readers:
                self._cond.wait()
        try:
            yield
        finally:
            with self._cond:
                self._writing = False
                self._cond.notify_all()


class TraversalIndex:
    """Adjacency by node ``seq`` in both directions, with each edge's type and label."""

    def __init__(self, source: Source, by_id: bool = False) -> None:
        self.source = source
        self.by_id = by_id
        self._check = threading.Lock()  # one freshness check (and refresh) at a time
        self._lock = _SharedLock()
        self._answers_lock = threading.Lock()
        self._clear()

    def _clear(self) -> None:
        self.ids: list[str] = [""]  # "" where no node has that seq
        self.kinds: list[NodeKind | None] = [None]
        self.seq_of: dict[str, int] = {}  # filled with ``by_id`` only
        self.out: list[list[int]] = [_EMPTY]  # targets of each node's edges
        self.out_edges: list[list[int]] = [_EMPTY]  # the same edges' numbers
        self.inc: list[list[int]] = [_EMPTY]  # sources of the edges pointing to it
        self.inc_edges: list[list[int]] = [_EMPTY]
        self.e_src: list[int] = []
        self.e_dst: list[int] = []
        self.e_type: list[int] = []
        self.e_edge: list[Edge] = []  # the edge as answered (its role: USED role, or HAS_FILE path)
        self._forget()

    def _forget(self) -> None:
        self.nodes: dict[int, Node] = {}
        self.answers: OrderedDict[Hashable, list[HopRef]] = OrderedDict()

    def close(self) -> None:
        with self._check, self._lock.exclusive():
            self.source.close()
            self._clear()

    # -- freshness ------------------------------------------------------------------

    def fresh(self, rebuild: bool = False) -> None:
        """Catch up with every commit made before this call (``rebuild``: from scratch)."""
        with self._check:
            self.source.refresh(self, rebuild)

    def update(self, nodes: Sequence[NodeRow], edges: Sequence[EdgeRow], reset: bool) -> None:
        """Add ``nodes`` (in ascending seq order) and then ``edges`` (``reset``: in place of
        everything held); the node cache and the answers are dropped either way. Called
        by the source, inside ``fresh``."""
        with self._lock.exclusive():
            if reset:
                self._clear()
            self._forget()
            self._add_nodes(nodes)
            self._add_edges(edges)
        heap.grew(4 * len(nodes) + len(edges))  # four adjacency lists a node, an Edge an edge

    def _add_nodes(self, rows: Sequence[NodeRow]) -> None:
        if not rows:
            return
        grow = rows[-1][0] + 1 - len(self.ids)
        for column in (self.out, self.out_edges, self.inc, self.inc_edges):
            column.extend([_EMPTY] * grow)
        self.ids.extend([""] * grow)
        self.kinds.extend([None] * grow)
        ids, kinds = self.ids, self.kinds
        for seq, id_, kind in rows:
            ids[seq] = id_
            kinds[seq] = _KINDS[kind]
        if self.by_id:
            self.seq_of.update((id_, seq) for seq, id_, _ in rows)

    def _add_edges(self, rows: Sequence[EdgeRow]) -> None:
        ids, out, out_edges, inc, inc_edges = self.ids, self.out, self.out_edges, self.inc, self.inc_edges
        e_src, e_dst, e_type, e_edge = self.e_src, self.e_dst, self.e_type, self.e_edge
        size = len(ids)
        touched: set[int] = set()
        for _, src, dst, type_, label in rows:
            if src >= size or dst >= size or not ids[src] or not ids[dst]:
                continue  # a dangling edge (see ``dangling_edges``) leads nowhere
            k = len(e_dst)
            e_src.append(src)
            e_dst.append(dst)
            code = _CODES[type_]
            e_type.append(code)
            e_edge.append(_tuple_new(Edge, (ids[src], ids[dst], _TYPES[code], label)))
            if out[src] is _EMPTY:
                out[src], out_edges[src] = [], []
            out[src].append(dst)
            out_edges[src].append(k)
            touched.add(src)
            if inc[dst] is _EMPTY:
                inc[dst], inc_edges[dst] = [], []
            inc[dst].append(src)
            inc_edges[dst].append(k)
        self._order_out(touched)

    def _order_out(self, sources: set[int]) -> None:
        """Keep each node's out-edges in answer order (target id, type, role), so a
        lineage lists its edges by filtering them, without sorting per answer."""
        e_dst, e_edge, out, out_edges = self.e_dst, self.e_edge, self.out, self.out_edges
        for u in sources:
            mine = out_edges[u]
            if len(mine) > 1:
                mine.sort(key=lambda k: (e_edge[k].target, e_edge[k].type.value, e_edge[k].role or ""))
                out[u] = [e_dst[k] for k in mine]

    # -- walks ----------------------------------------------------------------------

    @contextmanager
    def _reading(self, start: Sequence[str], resolve: Resolve | None) -> Iterator[list[int]]:
        """The seqs of the start nodes (``NotFound`` for an unknown one), and the index
        up to date and held for reading meanwhile. A start resolved beforehand that the
        index knows under another id (SQLite reused its seq) makes it rebuild."""
        seqs = resolve(list(start)) if resolve is not None else None
        for rebuild in (False, True):
            self.fresh(rebuild)
            with self._lock.shared():
                if seqs is None:
                    yield self._known(start)
                    return
                ids = self.ids
                if all(seq < len(ids) and ids[seq] == node_id for seq, node_id in zip(seqs, start)):
                    yield seqs
                    return
        raise NotFound(f"no node with id {start[0]!r}")  # deleted while being resolved

    def _known(self, start: Sequence[str]) -> list[int]:
        seq_of = self.seq_of
        for node_id in start:
            if node_id not in seq_of:
                raise NotFound(f"no node with id {node_id!r}")
        return [seq_of[i] for i in start]

    def _answer(self, key: Hashable, compute: Callable[[], list[HopRef]]) -> list[HopRef]:
        with self._answers_lock:
            found = self.answers.get(key)
            if found is not None:
                self.answers.move_to_end(key)
                return found
        found = compute()
        with self._answers_lock:
            self.answers[key] = found
            while len(self.answers) > ANSWERS_KEPT:
                self.answers.popitem(last=False)
        return found

    def _walk(
        self, starts: list[int], upstream: bool, max_depth: int | None, types: Sequence[EdgeType] | None
    ) -> Levels:
        """Breadth-first, one level at a time; each level sorted by id."""
        frontier = list(dict.fromkeys(starts))
        seen = set(frontier)
        levels = [frontier]
        step = self._typed_step(upstream, types) if types else None
        adj = self.out if upstream else self.inc
        while max_depth is None or len(levels) <= max_depth:
            following: list[int] = []
            for u in frontier:
                for v in (adj[u] if step is None else step(u)):
                    if v not in seen:
                        seen.add(v)
                        following.append(v)
            if not following:
                break
            following.sort(key=self.ids.__getitem__)
            levels.append(following)
            frontier = following
        return levels

    def _typed_step(self, upstream: bool, types: Sequence[EdgeType]) -> Callable[[int], list[int]]:
        allowed = {_CODES[t.value] for t in types}
        edges_of = self.out_edges if upstream else self.inc_edges
        far, e_type = (self.e_dst if upstream else self.e_src), self.e_type
        return lambda u: [far[k] for k in edges_of[u] if e_type[k] in allowed]

    def _nodes(self, seqs: Sequence[int], fetch: FetchNodes) -> dict[int, Node]:
        """Decoded nodes, from the cache or (for the rest) from ``fetch``. A node deleted
        since the index last caught up is absent."""
        cache = self.nodes
        found = {s: cache[s] for s in seqs if s in cache}
        if len(found) < len(seqs):
            fetched = fetch([s for s in seqs if s not in found])
            found.update(fetched)
            if len(cache) + len(fetched) <= NODE_CACHE_LIMIT:
                cache.update(fetched)
                heap.grew(5 * len(fetched))  # a node, its __dict__, tags, metadata, props
        return found

    # -- answers --------------------------------------------------------------------

    def hop_refs(
        self, start: Sequence[str], direction: Direction, max_depth: int | None,
        kinds: Sequence[NodeKind] | None, types: Sequence[EdgeType] | None, resolve: Resolve | None,
    ) -> list[HopRef]:
        with self._reading(start, resolve) as starts:
            return self._refs(starts, direction, max_depth, kinds, types)

    def hop_page(
        self, start: Sequence[str], direction: Direction, max_depth: int | None, kinds: Sequence[NodeKind] | None,
        types: Sequence[EdgeType] | None, first: int, after: str | None, resolve: Resolve | None,
    ) -> Page[HopRef]:
        """One page of ``hop_refs``; the whole answer is kept until the graph changes, so
        each further page costs its own size only."""
        after_key = parse_cursor(after)
        with self._reading(start, resolve) as starts:
            key = (tuple(starts), direction, max_depth, tuple(kinds or ()), tuple(types or ()))
            refs = self._answer(key, lambda: self._refs(starts, direction, max_depth, kinds, types))
            return page_after(refs, first, after_key)

    def _refs(
        self, starts: list[int], direction: Direction, max_depth: int | None,
        kinds: Sequence[NodeKind] | None, types: Sequence[EdgeType] | None,
    ) -> list[HopRef]:
        levels = self._walk(starts, direction is Direction.UPSTREAM, max_depth, types)
        ids, node_kinds = self.ids, self.kinds
        wanted = set(kinds) if kinds else None
        return [_tuple_new(HopRef, (ids[s], node_kinds[s], depth)) for depth, level in enumerate(levels) if depth
                for s in level if wanted is None or node_kinds[s] in wanted]

    def hops(
        self, start: Sequence[str], direction: Direction, max_depth: int | None,
        kinds: Sequence[NodeKind] | None, types: Sequence[EdgeType] | None, resolve: Resolve | None, fetch: FetchNodes,
    ) -> list[Hop]:
        with self._reading(start, resolve) as starts:
            levels = self._walk(starts, direction is Direction.UPSTREAM, max_depth, types)
            wanted = set(kinds) if kinds else None
            chosen = [(s, depth) for depth, level in enumerate(levels) if depth
                      for s in level if wanted is None or self.kinds[s] in wanted]
            nodes = self._nodes([s for s, _ in chosen], fetch)
            return [_tuple_new(Hop, (nodes[s], depth)) for s, depth in chosen if s in nodes]

    def lineage(
        self, node_id: str, direction: Direction, max_depth: int | None, resolve: Resolve | None, fetch: FetchNodes
    ) -> Subgraph:
        with self._reading([node_id], resolve) as (start,):
            keep = {start}
            for walk in direction.walks():
                for level in self._walk([start], walk is Direction.UPSTREAM, max_depth, None):
                    keep.update(level)
            ordered = sorted(keep, key=self.ids.__getitem__)
            nodes = self._nodes(ordered, fetch)
            present = [s for s in ordered if s in nodes]
            edges = self._edges_among(present, keep if len(present) == len(keep) else set(present))
            return Subgraph(tuple(nodes[s] for s in present), edges, direction)

    def _edges_among(self, seqs: list[int], keep: set[int]) -> tuple[Edge, ...]:
        """Every edge whose two ends are in ``keep``, ordered by source, target, type,
        role; ``seqs`` are the sources, already in id order (each one's out-edges are
        kept in target order, see ``_order_out``)."""
        out_edges, e_dst, e_edge = self.out_edges, self.e_dst, self.e_edge
        return tuple(e_edge[k] for u in seqs for k in out_edges[u] if e_dst[k] in keep)
