#!/usr/bin/env bash
# The small Go checkers kept in this repo, each a module of its own under scripts/NAME/:
#
#   kubecheck     decodes manifests (helm template output) strictly into k8s.io/api types
#   composecheck  loads a Compose file as `docker compose config` does (compose-go)
#
#   scripts/gotool.sh kubecheck < manifests.yaml
#   scripts/gotool.sh composecheck docker-compose.yml
#   scripts/gotool.sh NAME --build-only     build (or find) the binary, print its path
#
# Each is built once into $PROVGRAPH_CACHE/bin/NAME (default $HOME/.cache/provgraph) and
# rebuilt when its source changes; modules come from the Go module proxy (kubecheck's are
# a subset of Helm's, see scripts/helm.sh). GO picks the go command [go on PATH].
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NAME="${1:?usage: scripts/gotool.sh kubecheck|composecheck [--build-only | ARGS...]}"
shift
SRC="$ROOT/scripts/$NAME"
[[ "$NAME" =~ ^[a-z]+$ && -f "$SRC/go.mod" ]] || { echo "scripts/gotool.sh: no tool $NAME" >&2; exit 2; }
CACHE="${PROVGRAPH_CACHE:-${HOME:-/tmp}/.cache/provgraph}"
BIN_DIR="$CACHE/bin"
BIN="$BIN_DIR/$NAME"
STAMP="$BIN_DIR/$NAME.source"

log() { echo "scripts/gotool.sh: $*" >&2; }

find_go() {
    if [[ -n "${GO:-}" ]]; then echo "$GO"
    elif command -v go >/dev/null; then command -v go
    elif [[ -x /usr/local/go/bin/go ]]; then echo /usr/local/go/bin/go
    else log "no Go toolchain found (needed once to build $NAME); install Go >= 1.26 or set GO"; exit 1
    fi
}

source_hash="$(cat "$SRC"/*.go "$SRC/go.mod" "$SRC/go.sum" | sha256sum | cut -d' ' -f1)"
is_built() { [[ -x "$BIN" && -f "$STAMP" && "$(cat "$STAMP")" == "$source_hash" ]]; }

mkdir -p "$BIN_DIR"
if ! is_built; then
    exec 9>"$BIN_DIR/.$NAME.lock"
    flock 9
    if ! is_built; then
        go="$(find_go)"
        started=$SECONDS
        tmp="$(mktemp "$BIN_DIR/.$NAME.XXXXXX")"
        if ! (cd "$SRC" && CGO_ENABLED=0 "$go" build -mod=readonly -buildvcs=false -trimpath -o "$tmp" .); then
            rm -f "$tmp"
            log "building $NAME failed"
            exit 1
        fi
        mv -f "$tmp" "$BIN"
        echo "$source_hash" >"$STAMP"
        log "built $BIN in $((SECONDS - started)) s"
    fi
    exec 9>&-
fi

if [[ "${1:-}" == "--build-only" ]]; then
    echo "$BIN"
    exit 0
fi
exec "$BIN" "$@"
