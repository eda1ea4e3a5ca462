"""The web UI's lineage graph at 10,000 nodes, in the system Chromium (Playwright): the
time from asking /graphql for the lineage to the graph drawn (layout, colours, fit),
split into the fetch and the render, for a layered DAG (100 layers of 100 models, each
derived from two of the layer below, under one tip: 10,001 nodes, ~19,900 edges) and a
fan-out (one dataset used by 10,000 runs). The page draws about 1,000 nodes and folds the
rest into "+N more" nodes (nearest columns first); ``unfolded`` draws all 10,001 of the
layered DAG (``budget`` past its size), the cost a user pays by unfolding everything.
``fan_out_expand``: from one of those runs (both ways, depth 1), a click on the dataset
expands it: its first page of neighbours (1,000 of 10,000) drawn, with a "more" node;
``fan_out_expand_one_page`` asks for all 10,000 in one page (``page=10000``), and then,
the neighbourhood being whole, one ``lineage(maxDepth: 1)`` for the exact edges.
Target: under 3 s from request to drawn graph, folded."""

from __future__ import annotations

import argparse
import asyncio
import random
import json
import statistics
import urllib.request
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Sequence

from playwright.sync_api import Page, sync_playwright

from benchmarks.common import build_fan_out, print_table, write_result, _insert, _model
from benchmarks.server import running_service
from provgraph.graph import open_graph_store
from provgraph.ids import new_id
from provgraph.model import NewNode

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TARGET_MS = 3000


async def build_layers(url: str, layers: int, width: int) -> str:
    """``layers`` × ``width`` models, each derived from one or two of the layer below, and a tip
    derived from the whole top layer; returns the tip's id."""
    rng = random.Random(11)
    store = open_graph_store(url)
    await store.open()
    try:
        specs: list[NewNode] = []
        below: list[str] = []
        for layer in range(layers):
            ids = [new_id() for _ in range(width)]
            # one parent straight below (so the tip reaches every node) and one at random
            specs += [_model(i, f"l{layer}", sorted({below[k], rng.choice(below)}) if below else []) for k, i in enumerate(ids)]
            below = ids
        tip = new_id()
        await _insert(store, [*specs, _model(tip, "tip", below)])
        return tip
    finally:
        await store.close()


async def build_fan(url: str, n: int) -> str:
    store = open_graph_store(url)
    await store.open()
    try:
        return await build_fan_out(store, n)
    finally:
        await store.close()


def render_once(page: Page, first: bool) -> dict[str, Any]:
    if not first:
        page.evaluate("document.querySelector('#graph').dataset.state = 'reloading'")
        page.click("#lineage-load")
    page.wait_for_function("() => document.querySelector('#graph')?.dataset.state === 'ready'", timeout=120_000)
    figures: dict[str, Any] = page.evaluate("window.provgraph.lastRender")
    return figures


@contextmanager
def browser_page(url: str) -> Iterator[Page]:
    """``url`` open in a fresh headless Chromium; the block fails if the page logged a
    console error meanwhile."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(url)
            yield page
            assert not errors, errors
        finally:
            browser.close()


def measure(base: str, node_id: str, direction: str, repeat: int, budget: int | None = None) -> dict[str, Any]:
    extra = f"&budget={budget}" if budget else ""
    with browser_page(f"{base}/ui/#/node/{node_id}?direction={direction}&depth=all{extra}") as page:
        runs = [render_once(page, i == 0) for i in range(repeat)]
    median = {key: round(statistics.median(r[key] for r in runs)) for key in ("totalMs", "fetchMs", "renderMs")}
    return {"nodes": runs[0]["nodes"], "edges": runs[0]["edges"], "drawn_nodes": runs[0]["drawnNodes"],
            "drawn_edges": runs[0]["drawnEdges"], "runs": repeat, "total_ms": median["totalMs"],
            "fetch_ms": median["fetchMs"], "render_ms": median["renderMs"],
            "max_total_ms": round(max(r["totalMs"] for r in runs))}


EXPAND = """async (id) => {
  const graph = document.querySelector('#graph'), started = performance.now();
  window.provgraph.cy.getElementById(id).emit('tap');
  while (graph.dataset.state !== 'ready') await new Promise((resolve) => setTimeout(resolve, 5));
  return { ms: performance.now() - started, drawn: window.provgraph.cy.nodes().length, nodes: Number(document.querySelector('#graph-info').textContent.split(' ')[0]) };
}"""


def first_neighbour(base: str, node_id: str) -> str:
    body = json.dumps({"query": "query($id: ID!) { descendantsConnection(id: $id, maxDepth: 1, first: 1) { edges { node { id } } } }",
                       "variables": {"id": node_id}}).encode()
    request = urllib.request.Request(f"{base}/graphql", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return str(json.load(response)["data"]["descendantsConnection"]["edges"][0]["node"]["id"])


def measure_expand(base: str, node_id: str, repeat: int, page_size: int | None = None) -> dict[str, Any]:
    """A click on ``node_id``, a frontier of the graph around one of its descendants, until
    the expansion is drawn."""
    start = first_neighbour(base, node_id)
    extra = f"&page={page_size}" if page_size else ""
    runs = []
    with browser_page(f"{base}/ui/#/node/{start}?direction=BOTH&depth=1{extra}") as page:
        for i in range(repeat):
            render_once(page, i == 0)  # anew: nothing expanded
            runs.append(page.evaluate(EXPAND, node_id))
    return {"nodes": runs[0]["nodes"], "drawn_nodes": runs[0]["drawn"], "runs": repeat,
            "total_ms": round(statistics.median(r["ms"] for r in runs)), "max_total_ms": round(max(r["ms"] for r in runs))}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--layers", type=int, default=100)
    parser.add_argument("--width", type=int, default=100)
    parser.add_argument("--fan-out", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        url = f"sqlite:///{data / 'graph.db'}"
        tip = asyncio.run(build_layers(url, args.layers, args.width))
        fan = asyncio.run(build_fan(url, args.fan_out))
        with running_service(data) as (base, _):
            figures["layered_dag"] = measure(base, tip, "UPSTREAM", args.repeat)
            figures["fan_out"] = measure(base, fan, "DOWNSTREAM", args.repeat)
            figures["layered_dag_unfolded"] = measure(base, tip, "UPSTREAM", 1, budget=1_000_000)
            figures["fan_out_expand"] = measure_expand(base, fan, args.repeat)
            figures["fan_out_expand_one_page"] = measure_expand(base, fan, args.repeat, page_size=10_000)
    rows = [(f"{name}: {f['nodes']} nodes, {f['drawn_nodes']} drawn", f"{f['total_ms']} ms",
             (f"fetch {f['fetch_ms']} + render {f['render_ms']} ms" if "fetch_ms" in f else "click to drawn")
             + ("" if "unfolded" in name else f" (target < {TARGET_MS} ms)"))
            for name, f in figures.items()]
    print_table("web UI: lineage graph drawn in Chromium (median of runs)", rows)
    print(f"  -> {write_result('ui', figures)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
