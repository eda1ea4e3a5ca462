"""Per-request DataLoaders: fields that need more data per node batch their store calls.

A list of 5,000 models each asking for its files costs one ``files_of`` call, not 5,000.
Loaders live in the request context, so nothing is cached across requests.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Sequence

from strawberry.dataloader import DataLoader

from provgraph.graph import GraphStore
from provgraph.impact import Impact
from provgraph.model import BlobStatus, Direction, EdgeType, FileEntry, Node, Subgraph
from provgraph.visibility import EVERYTHING, ReadScope

FileKey = tuple[str, int]  # node id, at most this many files
RelatedKey = tuple[str, EdgeType]  # node id, the outgoing edge type to follow
IMPACT_BLOBS = 10_000  # bad blobs whose impact a request considers (by digest)


class Loaders:
    """The DataLoaders of one request, all over one ``GraphStore``. Nodes the reader may
    not read are left out of what they load (blobs are not: ``Query.blob`` and the
    registry decide those); the integrity impact walk sees the whole graph."""

    def __init__(self, graph: GraphStore, reads: ReadScope = EVERYTHING) -> None:
        self.graph = graph
        self.reads = reads
        self.nodes: DataLoader[str, Node | None] = DataLoader(load_fn=self._nodes)
        self.files: DataLoader[FileKey, list[FileEntry]] = DataLoader(load_fn=self._files)
        self.related: DataLoader[RelatedKey, list[Node]] = DataLoader(load_fn=self._related)
        self.upstream: DataLoader[str, Subgraph] = DataLoader(load_fn=self._upstream)
        self.file_statuses: DataLoader[str, dict[BlobStatus, int]] = DataLoader(load_fn=self._file_statuses)
        self._impact: asyncio.Future[Impact] | None = None

    def impact(self) -> asyncio.Future[Impact]:
        """What corrupt or missing blobs affect, walked once per request (and only when
        a field asks): one indexed query when no blob is bad."""
        if self._impact is None:
            self._impact = asyncio.ensure_future(Impact.of_bad_blobs(self.graph, IMPACT_BLOBS))
        return self._impact

    async def _file_statuses(self, ids: list[str]) -> list[dict[BlobStatus, int]]:
        found = await self.graph.file_status_counts(ids)
        return [found.get(node_id, {}) for node_id in ids]

    async def _nodes(self, ids: list[str]) -> list[Node | None]:
        found = await self.graph.get_nodes(ids)
        return [node if node is not None and self.reads.sees(node) else None
                for node in (found.get(node_id) for node_id in ids)]

    async def _files(self, keys: list[FileKey]) -> list[list[FileEntry]]:
        by_limit: dict[int, list[str]] = defaultdict(list)
        for node_id, limit in keys:
            by_limit[limit].append(node_id)
        found: dict[FileKey, list[FileEntry]] = {}
        for limit, ids in by_limit.items():  # one store call per distinct limit (usually one)
            for node_id, files in (await self.graph.files_of(ids, limit)).items():
                found[(node_id, limit)] = files
        return [found.get(key, []) for key in keys]

    # The protocol has no batch "edges of these nodes" read yet, so the two loaders below
    # cost one store call per distinct node (run concurrently); they serve the
    # convenience fields (parents, inputs, generatedBy), never the traversals.

    async def _related(self, keys: list[RelatedKey]) -> Sequence[list[Node]]:
        async def one(node_id: str, edge_type: EdgeType) -> list[Node]:
            hops = await self.graph.traverse([node_id], Direction.UPSTREAM, 1, None, [edge_type])
            return [hop.node for hop in hops if self.reads.sees(hop.node)]

        return await asyncio.gather(*(one(*key) for key in keys))

    async def _upstream(self, ids: list[str]) -> Sequence[Subgraph]:
        found = await asyncio.gather(*(self.graph.lineage(i, Direction.UPSTREAM, 1) for i in ids))
        return found if self.reads.everything else [self.reads.induced(graph) for graph in found]
