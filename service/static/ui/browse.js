// Browse models, datasets and runs page by page (Relay connections), and search by
// name or ref.

import { gql, GraphQLError, labelOf } from "./api.js";
import { badge, h, link, status, when } from "./dom.js";

const PAGE = 25;
const LISTS = {
  models: { field: "models", title: "Models", fragment: "... on Model { version modelStatus: status aliases deployedIn }" },
  datasets: { field: "datasets", title: "Datasets", fragment: "... on Dataset { version fileCount totalBytes }" },
  runs: { field: "runs", title: "Runs", fragment: "... on Run { runKind runStatus: status }" },
};

const listQuery = (list) => `query($first: Int, $after: String, $name: String, $project: String) {
  ${list.field}(first: $first, after: $after, name: $name, project: $project) {
    edges { node { id kind project name createdAt ${list.fragment} } }
    pageInfo { hasNextPage endCursor }
  }
}`;

function statusOf(node) {
  return node.modelStatus || node.runStatus || null;
}

function rows(nodes) {
  if (!nodes.length) return h("p", { class: "muted" }, "Nothing here.");
  return h("table", { class: "listing" },
    h("thead", {}, h("tr", {}, ["Kind", "Name", "Project", "Status", "Created"].map((x) => h("th", {}, x)))),
    h("tbody", {}, nodes.map((n) => h("tr", { "data-id": n.id },
      h("td", {}, badge(n.kind)), h("td", {}, link(n.id, labelOf(n))), h("td", {}, n.project),
      h("td", {}, status(statusOf(n)), n.aliases?.length ? ` @${n.aliases.join(" @")}` : ""),
      h("td", {}, when(n.createdAt))))));
}

export async function renderBrowse(main, kind) {
  const list = LISTS[kind] || LISTS.models;
  const cursors = [null];  // after-cursor of each page seen, for Previous
  const body = h("div");
  const tabs = h("p", { class: "tabs" }, Object.entries(LISTS).map(([key, l]) =>
    h("a", { href: `#/browse/${key}`, class: l === list ? "active" : "" }, l.title)));
  main.replaceChildren(h("h1", {}, list.title), tabs, body);

  async function show(index) {
    const data = await gql(listQuery(list), { first: PAGE, after: cursors[index] });
    const { edges, pageInfo } = data[list.field];
    cursors[index + 1] = pageInfo.endCursor;
    const prev = h("button", { type: "button", disabled: index === 0, onclick: () => show(index - 1) }, "Previous");
    const next = h("button", { type: "button", disabled: !pageInfo.hasNextPage, onclick: () => show(index + 1) }, "Next");
    body.replaceChildren(rows(edges.map((e) => e.node)), h("div", { class: "pager" }, prev, h("span", { class: "muted" }, `page ${index + 1}`), next));
  }
  await show(0);
}

// "project/name:v2" → {project, name}; the version or alias part only matters to `artifact`.
function nameOf(q) {
  const [head, rest] = q.includes("/") ? q.split(/\/(.*)/s) : [null, q];
  return { project: head, name: rest.split(/[:@]/)[0] };
}

export async function renderSearch(main, q) {
  main.replaceChildren(h("h1", {}, `Search: ${q}`), h("p", { class: "muted" }, "Searching…"));
  const { project, name } = nameOf(q);
  const exact = gql(`query($ref: String!) { artifact(ref: $ref) { id kind project name createdAt
      ... on Model { version modelStatus: status aliases } ... on Dataset { version } ... on Run { runStatus: status } } }`, { ref: q })
    .then((d) => (d.artifact ? [d.artifact] : []))
    .catch((e) => { if (e instanceof GraphQLError && (e.code === "NOT_FOUND" || e.code === "BAD_INPUT")) return []; throw e; });
  const named = Object.values(LISTS).map((list) =>
    gql(listQuery(list), { first: 100, name, project }).then((d) => d[list.field].edges.map((e) => e.node)));
  // The exact ref first, then what carries the asked version or alias in any project.
  const [hit, ...lists] = await Promise.all([exact, ...named]);
  const wanted = (n) => q.endsWith(`:${n.version}`) || (n.aliases || []).some((a) => q.endsWith(`@${a}`));
  const all = lists.flat();
  const found = [...hit, ...all.filter(wanted), ...all];
  const seen = new Set();
  const unique = found.filter((n) => !seen.has(n.id) && seen.add(n.id));
  main.replaceChildren(h("h1", {}, `Search: ${q}`),
    h("p", { class: "muted" }, `${unique.length} found (exact name or ref; at most 100 of each kind)`), rows(unique));
}
