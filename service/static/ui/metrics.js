// A line plot of one metric's history (uPlot), read page by page from Run.metricHistory.

import uPlot from "./vendor/uPlot.esm.js";
import { gql } from "./api.js";
import { h } from "./dom.js";

const PAGE = 10000;
const MAX_POINTS = 200000;
const HISTORY = `query($id: ID!, $key: String!, $first: Int, $after: String) { node(id: $id) { ... on Run {
  metricHistory(key: $key, first: $first, after: $after) { points { step value } pageInfo { hasNextPage endCursor } } } } }`;

async function history(runId, key) {
  const steps = [], values = [];
  let after = null;
  do {
    const page = (await gql(HISTORY, { id: runId, key, first: PAGE, after })).node.metricHistory;
    for (const p of page.points) { steps.push(p.step); values.push(p.value); }
    after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
  } while (after && steps.length < MAX_POINTS);
  return [steps, values];
}

export async function plotMetric(container, runId, key) {
  const box = h("div", { class: "chart", "data-metric": key }, h("p", { class: "muted" }, `${key}: loading…`));
  container.append(box);
  try {
    const data = await history(runId, key);
    box.replaceChildren();
    box.dataset.points = String(data[0].length);
    new uPlot({ title: key, width: Math.min(760, container.clientWidth || 760), height: 220,
      scales: { x: { time: false } }, axes: [{ label: "step" }, {}],
      series: [{ label: "step" }, { label: key, stroke: "#1f77b4", width: 1.5 }] }, data, box);
  } catch (e) {
    box.replaceChildren(h("p", { class: "affected" }, `${key}: ${e.message}`));
  }
}
