#!/usr/bin/env bash
# Vendors the GraphiQL page's assets into service/static/graphiql/ from the npm registry,
# at the versions pinned below (the ones Strawberry's own page loads from a CDN), and writes
# index.html: Strawberry's page with every CDN URL replaced by a packaged file, so GraphiQL
# loads with no network (air-gapped clusters). Files are kept byte-identical to the npm
# tarballs, so the page's integrity (SRI) hashes still hold. Re-run after changing a pin.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
DEST=service/static/graphiql
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
PKGS=(react@18.2.0 react-dom@18.2.0 js-cookie@3.0.5 graphiql@3.8.3 @graphiql/plugin-explorer@1.0.2)
(cd "$work" && npm pack --silent "${PKGS[@]}" >/dev/null)
for tgz in "$work"/*.tgz; do mkdir -p "${tgz%.tgz}" && tar xzf "$tgz" -C "${tgz%.tgz}"; done
rm -rf "$DEST" && mkdir -p "$DEST/licenses"
copy() { cp "$work/$1/package/$2" "$DEST/$3"; cp "$work/$1/package/LICENSE"* "$DEST/licenses/$4.LICENSE" 2>/dev/null || true; }
copy react-18.2.0 umd/react.production.min.js react.production.min.js react
copy react-dom-18.2.0 umd/react-dom.production.min.js react-dom.production.min.js react-dom
copy js-cookie-3.0.5 dist/js.cookie.min.js js.cookie.min.js js-cookie
copy graphiql-3.8.3 graphiql.min.js graphiql.min.js graphiql
copy graphiql-3.8.3 graphiql.min.css graphiql.min.css graphiql
copy graphiql-plugin-explorer-1.0.2 dist/index.umd.js plugin-explorer.umd.js graphiql-plugin-explorer
copy graphiql-plugin-explorer-1.0.2 dist/style.css plugin-explorer.css graphiql-plugin-explorer
printf '%s\n' "${PKGS[@]}" > "$DEST/VERSIONS"
"$PY" - "$DEST" <<'PY'
import pathlib, sys
from strawberry.http.ides import get_graphql_ide_html
dest = pathlib.Path(sys.argv[1])
html = get_graphql_ide_html("graphiql")
for cdn, local in {
    "https://unpkg.com/react@18.2.0/umd/react.production.min.js": "react.production.min.js",
    "https://unpkg.com/react-dom@18.2.0/umd/react-dom.production.min.js": "react-dom.production.min.js",
    "https://unpkg.com/js-cookie@3.0.5/dist/js.cookie.min.js": "js.cookie.min.js",
    "https://unpkg.com/graphiql@3.8.3/graphiql.min.css": "graphiql.min.css",
    "https://unpkg.com/graphiql@3.8.3/graphiql.min.js": "graphiql.min.js",
    "https://unpkg.com/@graphiql/plugin-explorer@1.0.2/dist/style.css": "plugin-explorer.css",
    "https://unpkg.com/@graphiql/plugin-explorer@1.0.2/dist/index.umd.js": "plugin-explorer.umd.js",
}.items():
    assert cdn in html, f"Strawberry's page no longer loads {cdn}: update the pins"
    html = html.replace(cdn, "static/graphiql/" + local)
assert "unpkg.com" not in html and "crossorigin" in html
(dest / "index.html").write_text(html.replace(' crossorigin="anonymous"', "").replace(" crossorigin", ""))
PY
echo "vendored into $DEST: $(du -sh "$DEST" | cut -f1)"
