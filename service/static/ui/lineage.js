// The interactive lineage graph of one node (Cytoscape.js): up, down or both ways to a
// chosen depth, nodes coloured by kind and integrity, a click on a dashed (frontier)
// node fetches its neighbours, shift-click highlights the path to a node, export as
// PNG, SVG or Mermaid.
//
// Expanding a node walks its neighbours a page at a time (`ancestorsConnection` /
// `descendantsConnection`, maxDepth 1, `page` hops a request, default PAGE), drawing each
// page as it comes; while more remain, a "more" node next to it fetches the next page.
// A hop names no edge type: it is the one the graph model allows between the two kinds
// (EDGE_TYPES), or none (an untyped edge) for the one ambiguous pair, Run → Blob (USED or
// HAS_FILE). A neighbourhood that fits in one page then costs one light
// `lineage(maxDepth: 1)` for its exact edges (types, roles, and edges among neighbours).
//
// Large graphs stay responsive by drawing at most about `budget` nodes (default BUDGET),
// nearest columns first: what lies beyond collapses into one "+N more" node per side,
// and a column wider than WIDE shows its first WIDE_SHOW nodes and a "+N more" node. A
// click on one draws REVEAL more. Past LARGE drawn nodes the layout is a linear-time
// layered one computed before Cytoscape sees the graph; below, dagre.

import cytoscape from "./vendor/cytoscape.esm.min.mjs";
import dagre from "./vendor/cytoscape-dagre.min.mjs";
import { AFFECTED, GRAPH_NODE, gql, integrityOf, labelOf } from "./api.js";
import { download, h, nodeHref } from "./dom.js";
import { toMermaid, toSvg } from "./export.js";

cytoscape.use(dagre);

const LARGE = 400;
const BUDGET = 1000;
const WIDE = 100;
const WIDE_SHOW = 50;
const REVEAL = 1000;
const PAGE = 1000;
const KIND_COLORS = { DATASET: "#1f77b4", RUN: "#8c564b", MODEL: "#2ca02c", EVALUATION: "#ff7f0e", BLOB: "#7f7f7f" };
const BAD = "#d62728";
const PATH = "#ffbf00";
const LINEAGE = `${GRAPH_NODE}
query($id: ID!, $direction: Direction, $maxDepth: Int) { lineage(id: $id, direction: $direction, maxDepth: $maxDepth) {
  nodes { ...GraphNode } edges { source target type role } } }`;
const HOPS = "edges { node { ...GraphNode } } pageInfo { hasNextPage endCursor }";
const NEIGHBOURS = {
  UP: `${GRAPH_NODE}
query($id: ID!, $first: Int, $after: String) { up: ancestorsConnection(id: $id, maxDepth: 1, first: $first, after: $after) { ${HOPS} } }`,
  DOWN: `${GRAPH_NODE}
query($id: ID!, $first: Int, $after: String) { down: descendantsConnection(id: $id, maxDepth: 1, first: $first, after: $after) { ${HOPS} } }`,
  BOTH: `${GRAPH_NODE}
query($id: ID!, $first: Int) { up: ancestorsConnection(id: $id, maxDepth: 1, first: $first) { ${HOPS} }
  down: descendantsConnection(id: $id, maxDepth: 1, first: $first) { ${HOPS} } }`,
};
const NEIGHBOUR_EDGES = `query($id: ID!, $direction: Direction) { lineage(id: $id, direction: $direction, maxDepth: 1) { edges { source target type role } } }`;
// The edge type the graph model allows from a source kind to a target kind (as in
// provgraph.model.EDGE_RULES), where only one is: Run → Blob may be USED or HAS_FILE.
const EDGE_TYPES = {
  "RUN>DATASET": "USED", "RUN>MODEL": "USED",
  "DATASET>RUN": "GENERATED_BY", "MODEL>RUN": "GENERATED_BY", "EVALUATION>RUN": "GENERATED_BY",
  "MODEL>MODEL": "DERIVED_FROM", "DATASET>DATASET": "DERIVED_FROM", "MODEL>DATASET": "DERIVED_FROM", "DATASET>MODEL": "DERIVED_FROM",
  "EVALUATION>MODEL": "EVALUATES", "EVALUATION>DATASET": "ON",
  "DATASET>BLOB": "HAS_FILE", "MODEL>BLOB": "HAS_FILE", "EVALUATION>BLOB": "HAS_FILE",
};
const PATH_QUERY = `${GRAPH_NODE}
query($source: ID!, $target: ID!) { path(source: $source, target: $target) { nodes { ...GraphNode } edges { source target type role } } }`;

const STYLE = [
  { selector: "node", style: {
    "background-color": "data(color)", label: "data(label)", "font-size": 10, "text-valign": "bottom", "text-margin-y": 3,
    "min-zoomed-font-size": 7, width: 22, height: 22, "border-width": 2, "border-color": "#fff" } },
  { selector: 'node[kind = "DATASET"]', style: { shape: "round-rectangle" } },
  { selector: 'node[kind = "RUN"]', style: { shape: "diamond" } },
  { selector: 'node[kind = "EVALUATION"]', style: { shape: "hexagon" } },
  { selector: 'node[kind = "BLOB"]', style: { width: 14, height: 14 } },
  { selector: 'node[integrity = "affected"], node[integrity = "bad"]', style: { "border-color": BAD, "border-width": 4, color: BAD } },
  { selector: 'node[kind = "GROUP"]', style: { shape: "round-tag", width: 40, height: 26, "background-color": "#d9d9d9",
    "border-color": "#777", "border-style": "dotted", "font-style": "italic" } },
  { selector: 'node[kind = "MORE"]', style: { shape: "round-tag", width: 40, height: 26, "background-color": "#fff",
    "border-color": "#333", "border-style": "dashed", "font-style": "italic" } },
  { selector: 'edge[kind = "MORE"]', style: { "line-style": "dashed", "target-arrow-shape": "none", label: "" } },
  { selector: 'node[kind = "GROUP"][integrity = "affected"]', style: { "border-color": BAD, "border-width": 4, "border-style": "solid" } },
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
// Measuring 10k labels is most of the cost of a large graph: only the root, the selection
// and a highlighted path carry theirs (each node's shows in the side panel on a click).
const LARGE_STYLE = [
  { selector: "node", style: { label: "" } },
  { selector: 'node.root, node:selected, node.path, node[kind = "GROUP"], node[kind = "MORE"]', style: { label: "data(label)" } },
  { selector: "edge", style: { "curve-style": "haystack", "target-arrow-shape": "none", label: "", width: 1 } },
  { selector: "edge.path", style: { "curve-style": "straight", "target-arrow-shape": "triangle", width: 5 } },
];

const edgeId = (e) => `${e.source}|${e.type ?? ""}|${e.role ?? ""}|${e.target}`;
// An edge known only from a hop (no type or role fetched) goes by its two ends.
const hopEdgeId = (source, target) => `hop:${source}|${target}`;

// Hops from the root in the undirected graph, and a column: origins to the left (along
// an edge: -1), derived things to the right (against one: +1). Plain maps, linear time.
function layers(nodeIds, edges, rootId) {
  const adjacent = new Map(nodeIds.map((id) => [id, []]));
  for (const e of edges) {
    adjacent.get(e.source)?.push([e.target, -1]);
    adjacent.get(e.target)?.push([e.source, 1]);
  }
  const dist = new Map([[rootId, 0]]), col = new Map([[rootId, 0]]);
  let frontier = [rootId];
  while (frontier.length) {
    const next = [];
    for (const id of frontier) {
      for (const [other, step] of adjacent.get(id) || []) {
        if (dist.has(other)) continue;
        dist.set(other, dist.get(id) + 1);
        col.set(other, col.get(id) + step);
        next.push(other);
      }
    }
    frontier = next;
  }
  return { dist, col };
}

// Each column a block of sub-columns of at most ROWS nodes, by kind then label.
function layeredPositions(nodes, col) {
  const ROWS = 60, DX = 90, DY = 36, GAP = 200;
  const groups = new Map();
  for (const n of nodes) {
    const c = col.get(n.id) ?? 0;
    if (!groups.has(c)) groups.set(c, []);
    groups.get(c).push(n);
  }
  const positions = new Map();
  let x = 0;
  for (const c of [...groups.keys()].sort((a, b) => a - b)) {
    const members = groups.get(c).sort(byKindLabel);
    const rows = Math.min(ROWS, members.length);
    members.forEach((n, i) => positions.set(n.id, { x: x + Math.floor(i / ROWS) * DX, y: ((i % ROWS) - (rows - 1) / 2) * DY }));
    x += Math.ceil(members.length / ROWS) * DX + GAP;
  }
  return positions;
}

const byKindLabel = (a, b) => (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : a.label < b.label ? -1 : a.label > b.label ? 1 : 0);

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

  // nodes and edges by id as fetched; Cytoscape only draws them
  const state = { rootId, fetchedDepth: 3, nodes: new Map(), edges: new Map(), dist: new Map(), affected: new Set(),
    expanded: new Set(), large: false, lastRender: null,
    budget: Number(options.budget) > 0 ? Number(options.budget) : BUDGET, revealed: new Map(), pinned: new Set(), groups: new Map(),
    page: Math.min(10000, Number(options.page) > 0 ? Math.floor(Number(options.page)) : PAGE),
    // node id → { UP: cursor, DOWN: cursor } of its neighbour walks that have more pages
    more: new Map(), pairs: new Set() };
  let cy = null;

  function nodeData(n) {
    const integrity = integrityOf(n, state.affected);
    return { id: n.id, kind: n.kind, label: labelOf(n), name: n.name, project: n.project, integrity,
      status: n.blobStatus || null, color: integrity === "bad" ? BAD : KIND_COLORS[n.kind] || "#999" };
  }

  function remember(graph) {
    const fresh = { nodes: [], edges: [] };
    for (const n of graph.nodes) if (!state.nodes.has(n.id)) { state.nodes.set(n.id, n); fresh.nodes.push(n); }
    for (const e of graph.edges) {
      const id = edgeId(e);
      if (state.edges.has(id)) continue;
      state.edges.delete(hopEdgeId(e.source, e.target));
      state.pairs.add(`${e.source}|${e.target}`);
      state.edges.set(id, e);
      fresh.edges.push(e);
    }
    return fresh;
  }

  // A page of depth-1 hops from `id`: each neighbour, and the edge between them (from the
  // derived thing to its origin: id → an ancestor, a descendant → id) unless one is known.
  function rememberHops(id, up, hops) {
    const kind = state.nodes.get(id)?.kind;
    for (const { node } of hops) {
      if (!state.nodes.has(node.id)) state.nodes.set(node.id, node);
      const [source, target] = up ? [id, node.id] : [node.id, id];
      const [from, to] = up ? [kind, node.kind] : [node.kind, kind];
      if (!state.pairs.has(`${source}|${target}`)) state.edges.set(hopEdgeId(source, target), { source, target, type: EDGE_TYPES[`${from}>${to}`] ?? null, role: null, hop: true });
    }
  }

  function frontierOf(id) {
    return !state.expanded.has(id) && (state.dist.get(id) ?? 0) >= state.fetchedDepth;
  }

  // Which nodes are drawn; the others fold into group nodes ("+N more"), by column.
  function fold(nodes, col) {
    const columns = new Map();
    for (const n of nodes) {
      const c = col.get(n.id) ?? 0;
      if (!columns.has(c)) columns.set(c, []);
      columns.get(c).push(n);
    }
    const order = [...columns.keys()].sort((a, b) => Math.abs(a) - Math.abs(b) || a - b);
    const into = new Map(), groups = new Map();
    const join = (gid, c, n, label) => {
      if (!groups.has(gid)) groups.set(gid, { id: gid, col: c, members: [], label });
      groups.get(gid).members.push(n);
      into.set(n.id, gid);
    };
    let used = 0;
    for (const c of order) {
      const members = columns.get(c).sort(byKindLabel);
      const side = c < 0 ? "upstream" : "downstream";
      if (c !== 0 && used >= state.budget) {
        for (const n of members) if (!state.pinned.has(n.id)) join(`group:beyond:${side}`, c, n, (k) => `+${k} more ${side} from depth ${Math.abs(c)}`);
        continue;
      }
      const limit = members.length > WIDE ? state.revealed.get(c) ?? WIDE_SHOW : members.length;
      members.forEach((n, i) => {
        if (i >= limit && !state.pinned.has(n.id) && n.id !== state.rootId) join(`group:column:${c}`, c, n, (k) => `+${k} more at depth ${Math.abs(c)}`);
      });
      used += Math.min(limit, members.length);
    }
    return { into, groups };
  }

  function groupData(g) {
    const bad = g.members.some((n) => n.integrity === "bad" || n.integrity === "affected");
    return { id: g.id, kind: "GROUP", label: g.label(g.members.length.toLocaleString("en")), name: "", project: "",
      integrity: bad ? "affected" : "ok", color: "#d9d9d9", count: g.members.length };
  }

  // Everything drawn anew: positions computed here for a large graph, dagre otherwise.
  function draw() {
    const all = [...state.nodes.values()].map(nodeData), edges = [...state.edges.values()];
    const { dist, col } = layers(all.map((n) => n.id), edges, state.rootId);
    const { into, groups } = fold(all, col);
    state.groups = groups;
    const nodes = all.filter((n) => !into.has(n.id));
    for (const g of groups.values()) {
      nodes.push(groupData(g));
      col.set(g.id, g.col);
      dist.set(g.id, Math.abs(g.col));
    }
    const moreEdges = [];
    for (const [of, cursors] of state.more) {
      const anchor = into.get(of) ?? of;
      for (const dir of Object.keys(cursors)) {
        const id = `more:${dir}:${of}`, up = dir === "UP";
        nodes.push({ id, kind: "MORE", label: up ? "more upstream…" : "more downstream…", name: "", project: "",
          integrity: "ok", color: "#fff", of, dir });
        col.set(id, (col.get(anchor) ?? 0) + (up ? -1 : 1));
        dist.set(id, (dist.get(anchor) ?? 0) + 1);
        moreEdges.push({ group: "edges", data: { id: `${id}|edge`, kind: "MORE", type: "", role: null,
          source: up ? anchor : id, target: up ? id : anchor } });
      }
    }
    state.dist = dist;
    state.large = nodes.length > LARGE;
    const positions = state.large ? layeredPositions(nodes, col) : null;
    const elements = nodes.map((data) => ({ group: "nodes", data, position: positions?.get(data.id),
      classes: [data.id === state.rootId ? "root" : "", state.nodes.has(data.id) && frontierOf(data.id) ? "frontier" : ""].join(" ").trim() }));
    const drawn = new Set();
    for (const e of edges) {
      const source = into.get(e.source) ?? e.source, target = into.get(e.target) ?? e.target;
      const folded = source !== e.source || target !== e.target;
      const id = folded ? `${source}|${e.type ?? ""}|${target}` : edgeId(e);
      if (source === target || drawn.has(id)) continue;
      drawn.add(id);
      elements.push({ group: "edges", data: { id, source, target, type: e.type ?? "", role: folded ? null : e.role } });
    }
    elements.push(...moreEdges);
    cy?.destroy();
    cy = cytoscape({ container, elements, style: state.large ? [...STYLE, ...LARGE_STYLE] : STYLE, minZoom: 0.02, maxZoom: 4,
      textureOnViewport: state.large, hideEdgesOnViewport: state.large, pixelRatio: state.large ? 1 : "auto",
      layout: state.large ? { name: "preset", fit: true, padding: 40 }
        : { name: "dagre", rankDir: "RL", nodeSep: 18, rankSep: 70, fit: true, padding: 40, animate: false } });
    bind();
    const maxDist = Math.max(0, ...dist.values());
    const showAll = showLabel.textContent === "all" || Number(show.value) > maxDist;
    show.max = String(maxDist);
    if (showAll) show.value = String(maxDist);
    applyShow();
    describe();
  }

  function reveal(gid) {
    const group = state.groups.get(gid);
    if (gid.startsWith("group:beyond:")) state.budget += REVEAL;
    else state.revealed.set(group.col, (state.revealed.get(group.col) ?? WIDE_SHOW) + REVEAL);
    draw();
  }

  function describe() {
    const all = [...state.nodes.values()];
    const bad = all.filter((n) => integrityOf(n, state.affected) !== "ok" && integrityOf(n, state.affected) !== "pending").length;
    const folded = [...state.groups.values()].reduce((k, g) => k + g.members.length, 0);
    info.textContent = `${all.length} nodes, ${state.edges.size} edges` + (folded ? ` (${folded} folded into "+N more" nodes)` : "")
      + (bad ? ` — ${bad} corrupt, missing or affected` : "");
    info.className = bad ? "affected" : "muted";
  }

  async function loadGraph() {
    container.dataset.state = "loading";
    const started = performance.now();
    const maxDepth = Number(depth.value) || null;
    const [data, report] = await Promise.all([
      gql(LINEAGE, { id: rootId, direction: direction.value, maxDepth }), gql(AFFECTED)]);
    const fetched = performance.now();
    state.affected = new Set(report.integrityReport.affected.map((n) => n.id));
    state.nodes.clear(); state.edges.clear(); state.pairs.clear(); state.expanded.clear(); state.revealed.clear(); state.pinned.clear();
    state.more.clear();
    state.fetchedDepth = maxDepth ?? Infinity;
    remember(data.lineage);
    state.rootId = data.lineage.nodes.find((n) => n.id === rootId || n.id === `sha256:${rootId}`)?.id ?? rootId;
    showLabel.textContent = "all";
    draw();
    await nextFrame();
    const done = performance.now();
    state.lastRender = { nodes: state.nodes.size, edges: state.edges.size, drawnNodes: cy.nodes().length, drawnEdges: cy.edges().length, fetchMs: fetched - started, renderMs: done - fetched, totalMs: done - started };
    container.dataset.state = "ready";
  }

  // The neighbours of a node in the direction(s) shown, a page at a time: the first page
  // of each walk now, the next on a click on its "more" node.
  async function expand(id) {
    container.dataset.state = "loading";
    const shown = direction.value;
    const data = await gql(NEIGHBOURS[{ UPSTREAM: "UP", DOWNSTREAM: "DOWN" }[shown] ?? "BOTH"], { id, first: state.page });
    state.expanded.add(id);
    grow(id, { UP: data.up, DOWN: data.down });
    const paged = state.more.has(id);
    await redraw(paged);
    if (paged) return;
    // all of it came in one page: one light lineage call gives the exact edges, their
    // types and roles, and the edges among the neighbours themselves
    const edges = await gql(NEIGHBOUR_EDGES, { id, direction: shown });
    remember({ nodes: [], edges: edges.lineage.edges.filter((e) => state.nodes.has(e.source) && state.nodes.has(e.target)) });
    await redraw();
  }

  async function more(id, dir) {
    const after = state.more.get(id)?.[dir];
    if (!after) return;
    container.dataset.state = "loading";
    const data = await gql(NEIGHBOURS[dir], { id, first: state.page, after });
    grow(id, { [dir]: dir === "UP" ? data.up : data.down });
    await redraw();
  }

  // Remembers pages of hops from `id` (by walk: UP, DOWN) and where each walk goes on.
  function grow(id, walks) {
    const cursors = { ...state.more.get(id) };
    for (const [dir, page] of Object.entries(walks)) {
      if (!page) continue;
      rememberHops(id, dir === "UP", page.edges);
      if (page.pageInfo.hasNextPage) cursors[dir] = page.pageInfo.endCursor;
      else delete cursors[dir];
    }
    if (Object.keys(cursors).length) state.more.set(id, cursors);
    else state.more.delete(id);
  }

  // Draws what is known; `ready` false keeps the graph "loading" for what still comes.
  async function redraw(ready = true) {
    const selected = cy.$("node:selected").map((n) => n.id());
    draw();
    selected.forEach((s) => cy.getElementById(s).select());
    await nextFrame();
    if (ready) container.dataset.state = "ready";
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
      side.replaceChildren(h("p", { class: "affected", id: "path-result" }, "No derivation path between these two nodes."));
      return;
    }
    const fresh = remember(data.path);
    const hidden = data.path.nodes.filter((n) => cy.getElementById(n.id).empty());
    for (const n of data.path.nodes) state.pinned.add(n.id);
    if (fresh.nodes.length || fresh.edges.length || hidden.length) draw();
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
        { bad: `${d.status} blob`, affected: "a corrupt or missing blob is upstream", ok: "nothing corrupt or missing upstream", pending: "not verified yet" }[d.integrity]),
      h("p", {}, `depth ${state.dist.get(d.id) ?? "?"} from the root`),
      h("p", {}, h("a", { href: nodeHref(d.id) }, "Open its page")),
      h("button", { type: "button", onclick: () => expand(d.id).catch(report), disabled: state.expanded.has(d.id) }, "Expand neighbours"));
  }

  function bind() {
    cy.on("tap", "node", (event) => {
      const node = event.target;
      if (event.originalEvent?.shiftKey && state.nodes.has(node.id())) {
        pathTo.value = node.id();
        highlightPath(node.id()).catch(report);
        return;
      }
      if (node.data("kind") === "GROUP") {
        reveal(node.id());
        return;
      }
      if (node.data("kind") === "MORE") {
        more(node.data("of"), node.data("dir")).catch(report);
        return;
      }
      select(node);
      if (node.hasClass("frontier")) expand(node.id()).catch(report);
    });
  }

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
  const api = {
    get cy() { return cy; },
    get lastRender() { return state.lastRender; },
    snapshot: () => (!cy ? { root: null, nodes: [], edges: [] } : {
      root: state.rootId,
      nodes: cy.nodes().map((n) => ({ id: n.id(), label: n.data("label"), kind: n.data("kind"), integrity: n.data("integrity"),
        visible: n.style("display") !== "none", frontier: n.hasClass("frontier"), path: n.hasClass("path"),
        color: n.style("background-color"), border: n.style("border-color"), count: n.data("count") ?? null })),
      edges: cy.edges().map((e) => ({ source: e.data("source"), target: e.data("target"), type: e.data("type"), path: e.hasClass("path") })),
    }),
  };
  await loadGraph().catch(report);
  if (section.isConnected) window.provgraph = api;
}
