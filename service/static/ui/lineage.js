// The interactive lineage graph of one node (Cytoscape.js): up, down or both ways to a
// chosen depth, nodes coloured by kind and integrity, a click on a dashed (frontier)
// node fetches its neighbours, shift-click highlights the path to a node, export as
// PNG, SVG or Mermaid. Graphs past LARGE nodes get a linear-time layered layout and
// lighter drawing, so 10k nodes stay responsive; smaller ones get dagre.

import cytoscape from "./vendor/cytoscape.esm.min.mjs";
import dagre from "./vendor/cytoscape-dagre.min.mjs";
import { GRAPH_NODE, gql, integrityOf, labelOf } from "./api.js";
import { download, h, nodeHref } from "./dom.js";
import { toMermaid, toSvg } from "./export.js";

cytoscape.use(dagre);

const LARGE = 400;
const KIND_COLORS = { DATASET: "#1f77b4", RUN: "#8c564b", MODEL: "#2ca02c", EVALUATION: "#ff7f0e", BLOB: "#7f7f7f" };
const BAD = "#d62728";
const PATH = "#ffbf00";
const LINEAGE = `${GRAPH_NODE}
query($id: ID!, $direction: Direction, $maxDepth: Int) { lineage(id: $id, direction: $direction, maxDepth: $maxDepth) {
  nodes { ...GraphNode } edges { source target type role } } }`;
const PATH_QUERY = `${GRAPH_NODE}
query($source: ID!, $target: ID!) { path(source: $source, target: $target) { nodes { ...GraphNode } edges { source target type role } } }`;

const STYLE = [
  { selector: "node", style: {
    "background-color": (n) => (n.data("integrity") === "bad" ? BAD : KIND_COLORS[n.data("kind")] || "#999"),
    label: "data(label)", "font-size": 10, "text-valign": "bottom", "text-margin-y": 3, "min-zoomed-font-size": 7,
    width: 22, height: 22, "border-width": 2, "border-color": "#fff" } },
  { selector: 'node[kind = "DATASET"]', style: { shape: "round-rectangle" } },
  { selector: 'node[kind = "RUN"]', style: { shape: "diamond" } },
  { selector: 'node[kind = "EVALUATION"]', style: { shape: "hexagon" } },
  { selector: 'node[kind = "BLOB"]', style: { width: 14, height: 14 } },
  { selector: 'node[integrity = "affected"]', style: { "border-color": BAD, "border-width": 4, color: BAD } },
  { selector: 'node[integrity = "bad"]', style: { "border-color": BAD, "border-width": 4, color: BAD } },
  { selector: "node.root", style: { width: 32, height: 32, "font-weight": "bold" } },
  { selector: "node.frontier", style: { "border-style": "dashed", "border-color": "#333", "border-width": 2 } },
  { selector: 'node.frontier[integrity = "affected"]', style: { "border-color": BAD, "border-width": 4 } },
  { selector: "node:selected", style: { "underlay-color": "#1f77b4", "underlay-padding": 6, "underlay-opacity": 0.35 } },
  { selector: "edge", style: { width: 1.5, "line-color": "#aaa", "target-arrow-color": "#aaa", "target-arrow-shape": "triangle",
    "curve-style": "bezier", "arrow-scale": 0.8, label: "data(type)", "font-size": 7, color: "#888", "min-zoomed-font-size": 9,
    "text-rotation": "autorotate" } },
  { selector: "node.path", style: { "underlay-color": PATH, "underlay-padding": 8, "underlay-opacity": 0.9 } },
  { selector: "edge.path", style: { width: 5, "line-color": PATH, "target-arrow-color": PATH, "z-index": 10 } },
  { selector: ".hidden", style: { display: "none" } },
];
const LARGE_STYLE = [
  { selector: "edge", style: { "curve-style": "haystack", "target-arrow-shape": "none", label: "", width: 1 } },
  { selector: "edge.path", style: { "curve-style": "straight", "target-arrow-shape": "triangle", width: 5 } },
];

const edgeId = (e) => `${e.source}|${e.type}|${e.role ?? ""}|${e.target}`;

function nodeData(n) {
  return { id: n.id, kind: n.kind, label: labelOf(n), name: n.name, project: n.project,
    integrity: integrityOf(n), status: n.blobStatus || n.integrity?.status || null };
}

// Hops from the root in the undirected graph, and a column: origins to the left
// (along an edge: -1), derived things to the right (against one: +1).
function layers(cy, rootId) {
  const dist = new Map([[rootId, 0]]), col = new Map([[rootId, 0]]);
  let frontier = [cy.getElementById(rootId)];
  while (frontier.length) {
    const next = [];
    for (const node of frontier) {
      const d = dist.get(node.id()), c = col.get(node.id());
      node.connectedEdges().forEach((edge) => {
        const up = edge.data("source") === node.id();
        const other = up ? edge.target() : edge.source();
        if (dist.has(other.id())) return;
        dist.set(other.id(), d + 1);
        col.set(other.id(), c + (up ? -1 : 1));
        next.push(other);
      });
    }
    frontier = next;
  }
  return { dist, col };
}

// Linear time: each column a block of sub-columns of at most ROWS nodes.
function layeredPositions(cy, col) {
  const ROWS = 60, DX = 90, DY = 36, GAP = 200;
  const groups = new Map();
  cy.nodes().forEach((n) => {
    const c = col.get(n.id()) ?? 0;
    if (!groups.has(c)) groups.set(c, []);
    groups.get(c).push(n);
  });
  const positions = {};
  let x = 0;
  for (const c of [...groups.keys()].sort((a, b) => a - b)) {
    const members = groups.get(c).sort((a, b) => a.data("kind").localeCompare(b.data("kind")) || a.data("label").localeCompare(b.data("label")));
    const rows = Math.min(ROWS, members.length);
    members.forEach((n, i) => {
      positions[n.id()] = { x: x + Math.floor(i / ROWS) * DX, y: ((i % ROWS) - (rows - 1) / 2) * DY };
    });
    x += Math.ceil(members.length / ROWS) * DX + GAP;
  }
  return positions;
}

const nextFrame = () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));

export async function renderLineage(section, rootId, options = {}) {
  const direction = h("select", { id: "lineage-direction", "aria-label": "Direction" },
    ["BOTH", "UPSTREAM", "DOWNSTREAM"].map((d) => h("option", { value: d }, d.toLowerCase())));
  if (["BOTH", "UPSTREAM", "DOWNSTREAM"].includes(options.direction)) direction.value = options.direction;
  const depth = h("input", { id: "lineage-depth", type: "number", min: 1, max: 100000, size: 5, "aria-label": "Depth (empty: all)",
    value: options.depth === "all" ? "" : Number(options.depth) > 0 ? Number(options.depth) : 3 });
  const load = h("button", { id: "lineage-load", type: "button" }, "Load");
  const show = h("input", { id: "lineage-show", type: "range", min: 0, max: 3, value: 3, "aria-label": "Show up to depth" });
  const showLabel = h("span", { id: "lineage-show-label" }, "all");
  const pathTo = h("input", { id: "path-target", type: "text", size: 28, placeholder: "id or ref (or shift-click a node)", "aria-label": "Path to" });
  const pathButton = h("button", { id: "path-show", type: "button" }, "Highlight path");
  const pathClear = h("button", { id: "path-clear", type: "button" }, "Clear");
  const exports = ["png", "svg", "mermaid"].map((f) => h("button", { id: `export-${f}`, type: "button", "data-format": f }, f === "mermaid" ? "Mermaid" : f.toUpperCase()));
  const info = h("div", { id: "graph-info", class: "muted" });
  const side = h("aside", { id: "graph-side" }, h("p", { class: "muted" }, "Click a node for its details; a dashed one has more to fetch."));
  const container = h("div", { id: "graph", "data-state": "loading" });
  const legend = h("p", { class: "legend" }, Object.entries(KIND_COLORS).map(([k, c]) => h("span", {}, h("i", { style: `background:${c}` }), k.toLowerCase())),
    h("span", {}, h("i", { style: `background:#fff;border:3px solid ${BAD}` }), "corrupt or missing upstream"),
    h("span", { class: "muted" }, "arrows point to what a thing came from"));
  section.replaceChildren(
    h("div", { class: "lineage-controls" }, h("label", {}, "Direction ", direction), h("label", {}, "Depth ", depth), load,
      h("label", {}, "Show depth ≤ ", show, showLabel), h("label", {}, "Path to ", pathTo), pathButton, pathClear, "Export:", ...exports),
    legend, info, h("div", { class: "lineage-wrap" }, container, side));

  const cy = cytoscape({ container, style: STYLE, minZoom: 0.02, maxZoom: 4 });
  const state = { rootId, fetchedDepth: 3, dist: new Map(), large: false, expanded: new Set(), lastRender: null };

  function merge(graph, frontierDepth) {
    const added = [];
    for (const n of graph.nodes) {
      if (cy.getElementById(n.id).empty()) added.push({ group: "nodes", data: nodeData(n) });
    }
    for (const e of graph.edges) {
      const id = edgeId(e);
      if (cy.getElementById(id).empty()) added.push({ group: "edges", data: { id, source: e.source, target: e.target, type: e.type, role: e.role } });
    }
    cy.add(added);
    return added;
  }

  function relayout() {
    const { dist, col } = layers(cy, state.rootId);
    state.dist = dist;
    const maxDist = Math.max(0, ...dist.values());
    show.max = String(maxDist);
    if (Number(show.value) > maxDist || showLabel.textContent === "all") show.value = String(maxDist);
    cy.nodes().forEach((n) => n.toggleClass("frontier", !state.expanded.has(n.id()) && dist.get(n.id()) >= state.fetchedDepth));
    const large = cy.nodes().length > LARGE;
    if (large !== state.large) {
      state.large = large;
      cy.style().fromJson(large ? [...STYLE, ...LARGE_STYLE] : STYLE).update();
    }
    if (large) cy.layout({ name: "preset", positions: layeredPositions(cy, col), fit: true, padding: 40 }).run();
    else cy.layout({ name: "dagre", rankDir: "RL", nodeSep: 18, rankSep: 70, fit: true, padding: 40, animate: false }).run();
  }

  function describe() {
    const bad = cy.nodes('[integrity = "bad"], [integrity = "affected"]').length;
    info.textContent = `${cy.nodes().length} nodes, ${cy.edges().length} edges` + (bad ? ` — ${bad} corrupt, missing or affected` : "");
    info.className = bad ? "affected" : "muted";
  }

  async function loadGraph() {
    container.dataset.state = "loading";
    const started = performance.now();
    const maxDepth = Number(depth.value) || null;
    const data = await gql(LINEAGE, { id: rootId, direction: direction.value, maxDepth });
    const fetched = performance.now();
    cy.batch(() => {
      cy.elements().remove();
      state.expanded.clear();
      state.fetchedDepth = maxDepth ?? Infinity;
      merge(data.lineage, maxDepth);
      state.rootId = data.lineage.nodes.find((n) => n.id === rootId || n.id === `sha256:${rootId}`)?.id ?? rootId;
      cy.getElementById(state.rootId).addClass("root");
      relayout();
    });
    showLabel.textContent = "all";
    describe();
    await nextFrame();
    const done = performance.now();
    state.lastRender = { nodes: cy.nodes().length, edges: cy.edges().length, fetchMs: fetched - started, renderMs: done - fetched, totalMs: done - started };
    container.dataset.state = "ready";
  }

  async function expand(node) {
    container.dataset.state = "loading";
    const data = await gql(LINEAGE, { id: node.id(), direction: "BOTH", maxDepth: 1 });
    state.expanded.add(node.id());
    cy.batch(() => { merge(data.lineage); relayout(); });
    describe();
    applyShow();
    await nextFrame();
    container.dataset.state = "ready";
  }

  function applyShow() {
    const limit = Number(show.value);
    const all = limit >= Number(show.max);
    showLabel.textContent = all ? "all" : String(limit);
    cy.batch(() => cy.nodes().forEach((n) => n.toggleClass("hidden", !all && (state.dist.get(n.id()) ?? 0) > limit)));
  }

  async function highlightPath(target) {
    const source = cy.$("node:selected").first();
    const from = source.nonempty() && source.id() !== target ? source.id() : state.rootId;
    const data = await gql(PATH_QUERY, { source: from, target });
    cy.elements().removeClass("path");
    if (!data.path) {
      side.replaceChildren(h("p", { class: "affected", id: "path-result" }, `No derivation path between these two nodes.`));
      return;
    }
    const added = merge(data.path);
    if (added.length) relayout();
    cy.batch(() => {
      for (const n of data.path.nodes) cy.getElementById(n.id).addClass("path").removeClass("hidden");
      for (const e of data.path.edges) cy.getElementById(edgeId(e)).addClass("path");
    });
    side.replaceChildren(h("p", { id: "path-result" }, `Path of ${data.path.edges.length} edge(s): `,
      data.path.nodes.map((n) => labelOf(n)).join(" → ")));
  }

  function select(node) {
    const d = node.data();
    side.replaceChildren(
      h("p", {}, h("strong", {}, d.label)), h("p", { class: "muted" }, `${d.kind} in ${d.project}`),
      h("p", { class: d.integrity === "bad" || d.integrity === "affected" ? "affected" : "" },
        { bad: `${d.status} blob`, affected: "a corrupt or missing blob is upstream", ok: "intact", pending: "not verified yet", none: "no files" }[d.integrity]),
      h("p", {}, `depth ${state.dist.get(d.id) ?? "?"} from the root`),
      h("p", {}, h("a", { href: nodeHref(d.id) }, "Open its page")),
      h("button", { type: "button", onclick: () => expand(node), disabled: state.expanded.has(d.id) }, "Expand neighbours"));
  }

  cy.on("tap", "node", (event) => {
    const node = event.target;
    if (event.originalEvent?.shiftKey) {
      pathTo.value = node.id();
      highlightPath(node.id()).catch(report);
      return;
    }
    select(node);
    if (node.hasClass("frontier")) expand(node).catch(report);
  });
  load.addEventListener("click", () => loadGraph().catch(report));
  show.addEventListener("input", applyShow);
  pathButton.addEventListener("click", () => pathTo.value.trim() && highlightPath(pathTo.value.trim()).catch(report));
  pathClear.addEventListener("click", () => { cy.elements().removeClass("path"); pathTo.value = ""; });
  exports.forEach((button) => button.addEventListener("click", async () => {
    const name = `lineage-${(cy.getElementById(state.rootId).data("label") || "graph").replace(/[^\w.-]+/g, "_")}`;
    if (button.dataset.format === "png") download(`${name}.png`, await cy.png({ output: "blob-promise", full: true, bg: "#ffffff", scale: state.large ? 1 : 2, maxWidth: 8000, maxHeight: 8000 }));
    else if (button.dataset.format === "svg") download(`${name}.svg`, toSvg(cy, KIND_COLORS, BAD), "image/svg+xml");
    else download(`${name}.mmd`, toMermaid(cy), "text/plain");
  }));

  function report(error) {
    container.dataset.state = "error";
    side.replaceChildren(h("p", { class: "affected", role: "alert" }, error.message));
  }

  // For automation and the browser console: what the graph holds and shows.
  window.provgraph = Object.assign(window.provgraph || {}, {
    cy,
    get lastRender() { return state.lastRender; },
    snapshot: () => ({
      root: state.rootId,
      nodes: cy.nodes().map((n) => ({ id: n.id(), label: n.data("label"), kind: n.data("kind"), integrity: n.data("integrity"),
        visible: n.style("display") !== "none", frontier: n.hasClass("frontier"), path: n.hasClass("path"),
        color: n.style("background-color"), border: n.style("border-color") })),
      edges: cy.edges().map((e) => ({ source: e.data("source"), target: e.data("target"), type: e.data("type"), path: e.hasClass("path") })),
    }),
  });
  await loadGraph().catch(report);
}
