#!/usr/bin/env bash
# Vendors the libraries of the web UI (/ui) into service/static/ui/vendor/ from the npm
# registry at the versions pinned below: Cytoscape.js (graph rendering), cytoscape-dagre
# (layered layout; its ES module bundles dagre) and uPlot (metric plots), all MIT. SVG
# export is the UI's own code (cytoscape-svg is GPL-3.0, which this wheel cannot ship).
# Files are copied byte-identical from the npm tarballs, and SHA256SUMS records them
# (tests/ui checks the served files against it). The UI's own code is plain ES modules in
# service/static/ui/: no bundler, no build step. Re-run after changing a pin.
set -euo pipefail
cd "$(dirname "$0")/.."
DEST=service/static/ui/vendor
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
PKGS=(cytoscape@3.34.4 cytoscape-dagre@4.0.1 uplot@1.6.32)
(cd "$work" && npm pack --silent "${PKGS[@]}" >/dev/null)
for tgz in "$work"/*.tgz; do mkdir -p "${tgz%.tgz}" && tar xzf "$tgz" -C "${tgz%.tgz}"; done
rm -rf "$DEST" && mkdir -p "$DEST/licenses"
copy() { cp "$work/$1/package/$2" "$DEST/$3"; cp "$work/$1/package/LICENSE"* "$DEST/licenses/$4.LICENSE" 2>/dev/null || true; }
copy cytoscape-3.34.4 dist/cytoscape.esm.min.mjs cytoscape.esm.min.mjs cytoscape
copy cytoscape-dagre-4.0.1 dist/cytoscape-dagre.min.mjs cytoscape-dagre.min.mjs cytoscape-dagre
copy uplot-1.6.32 dist/uPlot.esm.js uPlot.esm.js uplot
copy uplot-1.6.32 dist/uPlot.min.css uPlot.min.css uplot
printf '%s\n' "${PKGS[@]}" > "$DEST/VERSIONS"
(cd "$DEST" && sha256sum -- *.mjs *.js *.css > SHA256SUMS)
echo "vendored into $DEST: $(du -sh "$DEST" | cut -f1)"
