"""The lineage graph in a real browser: the right nodes and edges of a diamond DAG, red
downstream of a corrupt blob, click to expand (page by page past one page of neighbours),
a highlighted path, collapse by depth, and the PNG, SVG and Mermaid exports."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from .conftest import FAN, HUB, HUB_PAGE, Seeded, UI
from .seed import CKPT, sha

KIND_COLORS = {"DATASET": "rgb(31,119,180)", "RUN": "rgb(140,86,75)", "MODEL": "rgb(44,160,44)",
               "EVALUATION": "rgb(255,127,14)", "BLOB": "rgb(127,127,127)"}
RED = "rgb(214,39,40)"


def edges(ui: UI) -> set[tuple[object, object, object]]:
    return {(e["source"], e["type"], e["target"]) for e in ui.snapshot()["edges"]}


def nodes(ui: UI) -> dict[object, dict[str, object]]:
    return {n["id"]: n for n in ui.snapshot()["nodes"]}


def graphql_sent(ui: UI, since: int = 0) -> list[dict[str, Any]]:
    """The GraphQL requests (query and variables) the page sent, from the ``since``-th request on."""
    return [json.loads(r.post_data or "{}") for r in ui.requests[since:] if r.url.endswith("/graphql")]


def wait_ready(ui: UI, node_count: int) -> None:
    """Until the graph is drawn with ``node_count`` nodes and fetches nothing more."""
    ui.page.wait_for_function("n => document.querySelector('#graph').dataset.state === 'ready'"
                              " && window.provgraph.snapshot().nodes.length === n", arg=node_count)


def click_node(ui: UI, node_id: str, shift: bool = False) -> None:
    """A real mouse click where Cytoscape drew the node."""
    at = ui.page.evaluate("id => window.provgraph.cy.getElementById(id).renderedPosition()", node_id)
    box = ui.page.locator("#graph").bounding_box()
    assert box is not None
    if shift:
        ui.page.keyboard.down("Shift")
    ui.page.mouse.click(box["x"] + at["x"], box["y"] + at["y"])
    if shift:
        ui.page.keyboard.up("Shift")


def test_a_diamond_dag_shows_exactly_its_nodes_and_edges_coloured_by_kind(ui: UI, seeded: Seeded) -> None:
    d = seeded.diamond
    ui.node(d.model, direction="UPSTREAM", depth=10)
    ckpt = f"sha256:{sha(CKPT)}"
    assert edges(ui) == {
        (d.model, "GENERATED_BY", d.train), (d.model, "HAS_FILE", ckpt),
        (d.train, "USED", d.left), (d.train, "USED", d.right),
        (d.left, "DERIVED_FROM", d.raw), (d.right, "DERIVED_FROM", d.raw),
        (d.raw, "HAS_FILE", d.blob), (d.left, "HAS_FILE", d.blob), (d.right, "HAS_FILE", d.blob),
    }
    shown = nodes(ui)
    assert set(shown) == {d.model, d.train, d.left, d.right, d.raw, d.blob, ckpt}
    assert {n["label"] for n in shown.values()} == {"mewtwo:v1", "train-mewtwo", "replays-left:v1", "replays-right:v1",
                                                     "replays-raw:v1", f"sha256:{d.blob[7:19]}", f"sha256:{sha(CKPT)[:12]}"}
    for node in shown.values():
        assert node["color"] == KIND_COLORS[str(node["kind"])] and node["integrity"] in ("ok", "none"), node
        assert node["visible"] and not node["frontier"] and node["border"] != RED, node
    assert ui.page.inner_text("#graph-info") == "7 nodes, 9 edges"
    # downstream of the raw dataset: the same diamond seen from below, with the evaluation on it
    ui.node(d.raw, direction="DOWNSTREAM", depth=10)
    assert set(nodes(ui)) == {d.raw, d.left, d.right, d.train, d.model, d.model_v2, d.evaluation}
    assert (d.model_v2, "DERIVED_FROM", d.model) in edges(ui) and (d.evaluation, "ON", d.raw) in edges(ui)


def test_a_corrupt_blob_is_red_and_so_is_everything_downstream_of_it(ui: UI, seeded: Seeded) -> None:
    c = seeded.corrupt
    ui.node(c.blob, direction="DOWNSTREAM", depth=10)
    shown = nodes(ui)
    assert set(shown) == {c.blob, c.dataset, c.run, c.model, c.evaluation}
    assert shown[c.blob]["integrity"] == "bad" and shown[c.blob]["color"] == RED
    for node_id in (c.dataset, c.run, c.model, c.evaluation):
        node = shown[node_id]
        assert node["integrity"] == "affected" and node["border"] == RED, node
        assert node["color"] == KIND_COLORS[str(node["kind"])], node  # the kind still shows
    assert ui.page.inner_text("#graph-info") == "5 nodes, 5 edges — 5 corrupt, missing or affected"
    # the page of the model says why, and the dataset's file says CORRUPT
    ui.node(c.model)
    assert ui.page.inner_text("p.affected").startswith("Affected: a CORRUPT blob is 3 edge(s) upstream")
    ui.node(c.dataset)
    assert "CORRUPT" in ui.page.locator("#files tbody tr").inner_text()
    # an intact graph elsewhere has no red in it
    ui.node(seeded.diamond.model, direction="BOTH", depth=10)
    assert all(n["integrity"] in ("ok", "none") and n["border"] != RED for n in nodes(ui).values())


def test_a_click_on_a_frontier_node_fetches_its_neighbours(ui: UI, seeded: Seeded) -> None:
    d = seeded.diamond
    ui.node(d.train, direction="UPSTREAM", depth=1)
    shown = nodes(ui)
    assert set(shown) == {d.train, d.left, d.right}
    assert shown[d.left]["frontier"] and shown[d.right]["frontier"] and not shown[d.train]["frontier"]
    click_node(ui, d.left)
    wait_ready(ui, 5)
    shown = nodes(ui)
    assert set(shown) == {d.train, d.left, d.right, d.raw, d.blob}
    assert edges(ui) == {(d.train, "USED", d.left), (d.train, "USED", d.right),
                         (d.left, "DERIVED_FROM", d.raw), (d.left, "HAS_FILE", d.blob), (d.raw, "HAS_FILE", d.blob)}
    assert not shown[d.left]["frontier"] and shown[d.raw]["frontier"] and shown[d.right]["frontier"]
    side = ui.page.inner_text("#graph-side")
    assert "replays-left:v1" in side and "DATASET in lab" in side and "depth 1 from the root" in side


def test_the_path_between_two_nodes_is_highlighted(ui: UI, seeded: Seeded) -> None:
    d = seeded.diamond
    ui.node(d.model_v2, direction="UPSTREAM", depth=10)
    ui.page.fill("#path-target", "lab/replays-raw:v1")
    ui.page.click("#path-show")
    ui.page.wait_for_selector("#path-result")
    on_path = [n["id"] for n in ui.snapshot()["nodes"] if n["path"]]
    assert len(on_path) == 5 and {d.model_v2, d.model, d.train, d.raw} <= set(on_path)
    assert len(set(on_path) & {d.left, d.right}) == 1
    lit = [e for e in ui.snapshot()["edges"] if e["path"]]
    assert len(lit) == 4 and {e["type"] for e in lit} == {"DERIVED_FROM", "GENERATED_BY", "USED"}
    assert ui.page.inner_text("#path-result").startswith("Path of 4 edge(s): mewtwo:v2 → mewtwo:v1 → train-mewtwo → ")
    ui.page.click("#path-clear")
    assert not [n for n in ui.snapshot()["nodes"] if n["path"]]
    # shift-click picks the other end; between the two projects there is no path
    ui.node(d.model, direction="BOTH", depth=10)
    click_node(ui, d.model)
    click_node(ui, d.evaluation, shift=True)
    ui.page.wait_for_selector("#path-result")
    assert ui.page.inner_text("#path-result") == "Path of 1 edge(s): mewtwo:v1 → mewtwo-v1-eval"
    ui.page.fill("#path-target", seeded.corrupt.model)
    ui.page.click("#path-show")
    ui.page.wait_for_selector("#path-result:has-text('No derivation path')")


def test_collapsing_by_depth_hides_what_lies_further(ui: UI, seeded: Seeded) -> None:
    d = seeded.diamond
    ui.node(d.model, direction="UPSTREAM", depth=10)
    slider = ui.page.locator("#lineage-show")
    assert slider.get_attribute("max") == "3"  # model → run → left/right → raw and the rows' blob
    slider.fill("1")
    visible = {n["id"] for n in ui.snapshot()["nodes"] if n["visible"]}
    assert visible == {d.model, d.train, f"sha256:{sha(CKPT)}"} and ui.page.inner_text("#lineage-show-label") == "1"
    slider.fill("2")
    assert {n["id"] for n in ui.snapshot()["nodes"] if not n["visible"]} == {d.raw, d.blob}
    slider.fill("3")
    assert all(n["visible"] for n in ui.snapshot()["nodes"]) and ui.page.inner_text("#lineage-show-label") == "all"


def test_the_graph_exports_as_png_svg_and_mermaid(ui: UI, seeded: Seeded, tmp_path: Path) -> None:
    c = seeded.corrupt
    ui.node(c.model, direction="UPSTREAM", depth=10)
    saved = {}
    for fmt in ("png", "svg", "mermaid"):
        with ui.page.expect_download() as info:
            ui.page.click(f"#export-{fmt}")
        download = info.value
        saved[fmt] = tmp_path / download.suggested_filename
        download.save_as(saved[fmt])
    assert {p.name for p in saved.values()} == {"lineage-rotten_v1.png", "lineage-rotten_v1.svg", "lineage-rotten_v1.mmd"}
    assert saved["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and saved["png"].stat().st_size > 2000
    svg = ET.parse(saved["svg"]).getroot()
    groups = svg.findall("{http://www.w3.org/2000/svg}g")
    assert {g.get("data-id"): g.get("data-integrity") for g in groups} == {
        c.model: "affected", c.run: "affected", c.dataset: "affected", c.blob: "bad"}
    assert len(svg.findall("{http://www.w3.org/2000/svg}line")) == 3
    mermaid = saved["mermaid"].read_text().splitlines()
    assert mermaid[0] == "flowchart LR" and len([l for l in mermaid if "-->" in l]) == 3
    labels = {line.split('["')[1].rstrip('"]') for line in mermaid if '["' in line}
    assert labels == {"Model rotten:v1", "Run train-rot", "Dataset rotten-rows:v1", f"Blob sha256:{c.blob[7:19]}"}
    assert "  classDef bad fill:#d62728,color:#fff" in mermaid
    assert any(l.startswith("  class ") and l.endswith(" bad") for l in mermaid)


def test_past_the_budget_further_columns_fold_into_one_node_that_a_click_unfolds(ui: UI, seeded: Seeded) -> None:
    d = seeded.diamond
    ui.node(d.model, direction="UPSTREAM", depth=10, budget=3)
    ckpt = f"sha256:{sha(CKPT)}"
    shown = nodes(ui)
    group = "group:beyond:upstream"
    assert set(shown) == {d.model, d.train, ckpt, group}
    assert shown[group]["label"] == "+4 more upstream from depth 2" and shown[group]["count"] == 4
    assert edges(ui) == {(d.model, "GENERATED_BY", d.train), (d.model, "HAS_FILE", ckpt), (d.train, "USED", group)}
    assert ui.page.inner_text("#graph-info") == '7 nodes, 9 edges (4 folded into "+N more" nodes)'
    click_node(ui, group)
    ui.page.wait_for_function("() => window.provgraph.snapshot().nodes.length === 7")
    assert set(nodes(ui)) == {d.model, d.train, ckpt, d.left, d.right, d.raw, d.blob}
    assert len(edges(ui)) == 9 and ui.page.inner_text("#graph-info") == "7 nodes, 9 edges"


def test_a_wide_column_shows_its_first_nodes_and_folds_the_rest_keeping_red_visible(ui: UI, seeded: Seeded) -> None:
    ui.node(seeded.fan, direction="DOWNSTREAM", depth=1)
    shown = nodes(ui)
    runs = [n for n in shown.values() if n["kind"] == "RUN"]
    group = shown["group:column:1"]
    assert len(shown) == 52 and len(runs) == 50 and group["count"] == FAN - 50
    assert [n["label"] for n in runs] == [f"sweep-{i:03d}" for i in range(50)]  # by kind, then label
    assert group["label"] == f"+{FAN - 50} more at depth 1" and group["integrity"] == "affected" and group["border"] == RED
    assert all(n["integrity"] == "affected" and n["border"] == RED for n in runs)
    assert ui.page.inner_text("#graph-info") == (
        f'{FAN + 1} nodes, {FAN} edges ({FAN - 50} folded into "+N more" nodes) — {FAN + 1} corrupt, missing or affected')
    click_node(ui, "group:column:1")
    ui.page.wait_for_function(f"() => window.provgraph.snapshot().nodes.length === {FAN + 1}")
    assert "group:column:1" not in nodes(ui) and len(edges(ui)) == FAN


def test_expanding_a_node_with_more_neighbours_than_a_page_fetches_them_page_by_page(ui: UI, seeded: Seeded) -> None:
    hub = seeded.hub
    first_run = hub.runs[0]
    ui.node(first_run, direction="BOTH", depth=1, page=HUB_PAGE)
    assert set(nodes(ui)) == {first_run, hub.dataset} and nodes(ui)[hub.dataset]["frontier"]
    loaded = len(ui.requests)
    in_order = sorted(hub.runs)  # hops come by depth, then id
    more = f"more:DOWN:{hub.dataset}"

    def expect(runs: set[str], more_left: bool) -> None:
        shown = nodes(ui)
        assert set(shown) == {hub.dataset, hub.blob} | runs | ({more} if more_left else set())
        snapshot_edges = ui.snapshot()["edges"]
        assert len(snapshot_edges) == len(edges(ui))  # one edge per pair of nodes
        assert edges(ui) == ({(r, "USED", hub.dataset) for r in runs} | {(hub.dataset, "HAS_FILE", hub.blob)}
                             | ({(more, "", hub.dataset)} if more_left else set()))
        assert not shown[hub.dataset]["frontier"] and shown[hub.blob]["frontier"]
        assert all(shown[r]["kind"] == "RUN" and shown[r]["frontier"] == (r != first_run) for r in runs)
        if more_left:
            assert shown[more]["kind"] == "MORE" and shown[more]["label"] == "more downstream…" and not shown[more]["frontier"]

    click_node(ui, hub.dataset)
    shown_runs = set(in_order[:HUB_PAGE]) | {first_run}
    wait_ready(ui, 2 + len(shown_runs) + 1)
    expect(shown_runs, more_left=True)
    click_node(ui, more)
    shown_runs |= set(in_order[HUB_PAGE:2 * HUB_PAGE])
    wait_ready(ui, 2 + len(shown_runs) + 1)
    expect(shown_runs, more_left=True)
    click_node(ui, more)
    wait_ready(ui, 2 + HUB)
    expect(set(hub.runs), more_left=False)
    assert ui.page.inner_text("#graph-info") == f"{HUB + 2} nodes, {HUB + 1} edges"
    # three pages of descendants (and one of ancestors, with the first), each from where
    # the last one ended; no unbounded lineage call
    sent = graphql_sent(ui, loaded)
    assert len(sent) == 3 and not any("lineage(" in str(q["query"]) for q in sent)
    assert "ancestorsConnection" in str(sent[0]["query"]) and "descendantsConnection" in str(sent[0]["query"])
    assert all("descendantsConnection" in str(q["query"]) and "ancestorsConnection" not in str(q["query"]) for q in sent[1:])
    assert [q["variables"] for q in sent][0] == {"id": hub.dataset, "first": HUB_PAGE}
    assert all(q["variables"]["first"] == HUB_PAGE and q["variables"]["after"] for q in sent[1:])
    assert len({q["variables"]["after"] for q in sent[1:]}) == 2


def test_expanding_upstream_fetches_ancestors_only_and_then_the_exact_edges(ui: UI, seeded: Seeded) -> None:
    hub = seeded.hub
    ui.node(hub.runs[0], direction="UPSTREAM", depth=1, page=HUB_PAGE)
    loaded = len(ui.requests)
    click_node(ui, hub.dataset)
    wait_ready(ui, 3)
    assert set(nodes(ui)) == {hub.runs[0], hub.dataset, hub.blob}
    assert edges(ui) == {(hub.runs[0], "USED", hub.dataset), (hub.dataset, "HAS_FILE", hub.blob)}
    sent = graphql_sent(ui, loaded)
    assert len(sent) == 2
    assert "ancestorsConnection" in str(sent[0]["query"]) and "descendantsConnection" not in str(sent[0]["query"])
    # one page held them all: their typed edges come from one lineage call of depth 1
    assert "lineage(" in str(sent[1]["query"]) and sent[1]["variables"] == {"id": hub.dataset, "direction": "UPSTREAM"}


def test_an_edge_a_hop_cannot_type_is_drawn_and_exported_untyped(ui: UI, seeded: Seeded, tmp_path: Path) -> None:
    # Run → Blob may be USED or HAS_FILE, and a hop does not say which; a page of one
    # neighbour keeps the exact lineage call out
    hub = seeded.hub
    first, second = hub.log_runs
    ui.node(first, direction="BOTH", depth=1, page=1)
    assert set(nodes(ui)) == {first, hub.log}
    click_node(ui, hub.log)
    more = f"more:DOWN:{hub.log}"
    wait_ready(ui, 3 if min(hub.log_runs) == first else 4)
    click_node(ui, more)
    ui.page.wait_for_function("more => document.querySelector('#graph').dataset.state === 'ready'"
                              " && !window.provgraph.snapshot().nodes.some(n => n.id === more)", arg=more)
    assert set(nodes(ui)) == {first, second, hub.log}
    assert edges(ui) == {(first, "HAS_FILE", hub.log), (second, "", hub.log)}
    with ui.page.expect_download() as info:
        ui.page.click("#export-mermaid")
    saved = tmp_path / "lineage.mmd"
    info.value.save_as(saved)
    arrows = [line for line in saved.read_text().splitlines() if "-->" in line]
    assert len(arrows) == 2
    assert sum(" -->|HAS_FILE (log.txt)| " in a for a in arrows) == 1
    assert sum(re.fullmatch(r"  n\d+ --> n\d+", a) is not None for a in arrows) == 1


def test_a_page_size_out_of_range_or_not_a_number_falls_back_or_is_capped(ui: UI, seeded: Seeded) -> None:
    hub = seeded.hub
    cases = (("0", 1000), ("-5", 1000), ("abc", 1000), ("99999", 10_000), ("2.7", 2))
    for run, (given, asked) in zip(hub.runs, cases):  # another root each time: a fresh graph
        ui.node(run, direction="UPSTREAM", depth=1, page=given)
        loaded = len(ui.requests)
        click_node(ui, hub.dataset)
        wait_ready(ui, 3)
        first = graphql_sent(ui, loaded)[0]
        assert "ancestorsConnection" in first["query"] and first["variables"] == {"id": hub.dataset, "first": asked}, given
        assert set(nodes(ui)) == {run, hub.dataset, hub.blob}
