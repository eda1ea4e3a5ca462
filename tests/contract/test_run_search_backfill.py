"""Runs stored in Neo4j before run search existed are indexed when the store opens."""

from __future__ import annotations

from pathlib import Path

import pytest

from provgraph.graph import neo4j_search, open_graph_store
from provgraph.graph.neo4j import Neo4jGraphStore
from provgraph.metrics import MetricPoint
from provgraph.model import RunStatus
from provgraph.registry import Registry
from provgraph.search import parse_filter, parse_order

from tests.conftest import graph_url, wipe

pytestmark = pytest.mark.anyio
FORGET_INDEX = ("MATCH (v:RunValue) DELETE v", "MATCH (n:Run) REMOVE n.searchable")


@pytest.mark.parametrize("backend", ["neo4j"])
async def test_runs_without_index_nodes_are_indexed_at_open(backend: str, tmp_path: Path) -> None:
    store = open_graph_store(graph_url(backend, tmp_path))
    await store.open()
    try:
        await wipe(store)
        registry = Registry(store)
        live = await registry.start_run("live", params={"lr": 0.01})
        await registry.log_metrics(live.id, [MetricPoint("loss", 0.9, 1), MetricPoint("loss", 0.15, 3),
                                             MetricPoint("loss", 0.5, 2)])
        done = await registry.start_run("done", params={"lr": 0.001}, tags=["base"])
        await registry.finish_run(done.id, RunStatus.COMPLETED, {"loss": 0.1})
        assert isinstance(store, Neo4jGraphStore) and store._driver is not None
        for statement in FORGET_INDEX:  # what a graph written before run search holds
            await store._driver.execute_query(statement)
        assert (await store.search_runs(parse_filter("metrics.loss < 1"), parse_order("name"), 10, None)).items == []
    finally:
        await store.close()
    reopened = open_graph_store(graph_url(backend, tmp_path))
    await reopened.open()
    try:
        page = await reopened.search_runs(parse_filter("metrics.loss < 0.2"), parse_order("-metrics.loss"), 10, None)
        assert [hit.node.id for hit in page.items] == [live.id, done.id]
        page = await reopened.search_runs(parse_filter('tags = "base" AND params.lr = 0.001'), parse_order("name"),
                                          10, None)
        assert [hit.node.id for hit in page.items] == [done.id]
        assert isinstance(reopened, Neo4jGraphStore) and reopened._driver is not None
        marked = await reopened._driver.execute_query(neo4j_search.BACKFILLED)
        assert marked.records[0][0] is True  # the next start-up skips the scan
    finally:
        await reopened.close()
