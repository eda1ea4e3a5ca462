// The lineage graph as a file: SVG drawn from the nodes' positions, and Mermaid in the
// CLI's form (`provgraph lineage --format mermaid`) with integrity classes added.

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

export function toSvg(cy, kindColors, bad) {
  const nodes = cy.nodes(":visible"), edges = cy.edges(":visible");
  const box = nodes.boundingBox({ includeLabels: true });
  const pad = 20, width = Math.ceil(box.w + 2 * pad), height = Math.ceil(box.h + 2 * pad);
  const x = (p) => (p.x - box.x1 + pad).toFixed(1), y = (p) => (p.y - box.y1 + pad).toFixed(1);
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<defs><marker id="arrow" viewBox="0 0 10 10" refX="20" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#999"/></marker></defs>`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
  ];
  edges.forEach((e) => {
    const s = e.source().position(), t = e.target().position();
    const stroke = e.hasClass("path") ? "#ffbf00" : "#aaa";
    out.push(`<line x1="${x(s)}" y1="${y(s)}" x2="${x(t)}" y2="${y(t)}" stroke="${stroke}" stroke-width="${e.hasClass("path") ? 4 : 1.5}" marker-end="url(#arrow)"><title>${esc(e.data("type"))}</title></line>`);
  });
  nodes.forEach((n) => {
    const p = n.position(), d = n.data();
    const fill = d.integrity === "bad" ? bad : kindColors[d.kind] || "#999";
    const stroke = d.integrity === "bad" || d.integrity === "affected" ? bad : "#fff";
    out.push(`<g data-id="${esc(d.id)}" data-kind="${d.kind}" data-integrity="${d.integrity}">` +
      `<circle cx="${x(p)}" cy="${y(p)}" r="${(n.width() / 2).toFixed(1)}" fill="${fill}" stroke="${stroke}" stroke-width="${stroke === bad ? 4 : 2}"/>` +
      `<text x="${x(p)}" y="${(Number(y(p)) + n.height() / 2 + 12).toFixed(1)}" font-size="10" text-anchor="middle" fill="${stroke === bad ? bad : "#222"}">${esc(d.label)}</text></g>`);
  });
  out.push("</svg>");
  return out.join("\n");
}

const title = (kind) => kind.charAt(0) + kind.slice(1).toLowerCase();
const quote = (s) => s.replace(/\\/g, "\\\\").replace(/"/g, "#quot;");

export function toMermaid(cy) {
  const ids = new Map();
  const nodes = cy.nodes(":visible");
  nodes.forEach((n, i) => ids.set(n.id(), `n${i}`));
  const lines = ["flowchart LR"];
  nodes.forEach((n) => lines.push(`  ${ids.get(n.id())}["${quote(`${title(n.data("kind"))} ${n.data("label")}`)}"]`));
  cy.edges(":visible").forEach((e) => {
    const label = e.data("role") ? `${e.data("type")} (${e.data("role")})` : e.data("type");
    lines.push(`  ${ids.get(e.data("source"))} -->${label ? `|${label}|` : ""} ${ids.get(e.data("target"))}`);
  });
  const bad = nodes.filter((n) => n.data("integrity") === "bad"), affected = nodes.filter((n) => n.data("integrity") === "affected");
  if (bad.length) lines.push("  classDef bad fill:#d62728,color:#fff", `  class ${bad.map((n) => ids.get(n.id())).join(",")} bad`);
  if (affected.length) lines.push("  classDef affected stroke:#d62728,stroke-width:3px", `  class ${affected.map((n) => ids.get(n.id())).join(",")} affected`);
  return lines.join("\n") + "\n";
}
