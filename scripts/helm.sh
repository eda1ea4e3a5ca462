#!/usr/bin/env bash
# Helm v3, built from the Go module proxy (no prebuilt binary download), then exec'd with
# the arguments given:
#
#   scripts/helm.sh lint helm/provgraph
#   scripts/helm.sh template provgraph helm/provgraph --set worker.shards=4
#   scripts/helm.sh --build-only      build (or find) the binary, print its path, run nothing
#
# The binary is built once into $PROVGRAPH_CACHE/bin/helm (default
# $HOME/.cache/provgraph/bin/helm) and reused by later runs and by other clones on the same
# machine; Go's module and build caches make a rebuild quick too. A cold build (about 180
# modules downloaded and compiled) took 4-5 minutes on 2 cores; see README "Development".
#
# Environment (all optional):
#   PROVGRAPH_CACHE          cache folder                     [$HOME/.cache/provgraph]
#   PROVGRAPH_HELM_VERSION   helm.sh/helm/v3 version to build [v3.22.0]
#   GO                       go command                       [go on PATH, else /usr/local/go/bin/go]
set -euo pipefail

HELM_VERSION="${PROVGRAPH_HELM_VERSION:-v3.22.0}"
CACHE="${PROVGRAPH_CACHE:-${HOME:-/tmp}/.cache/provgraph}"
BIN_DIR="$CACHE/bin"
HELM="$BIN_DIR/helm"
STAMP="$BIN_DIR/helm.version"
MODULE="helm.sh/helm/v3"

log() { echo "scripts/helm.sh: $*" >&2; }

find_go() {
    if [[ -n "${GO:-}" ]]; then
        echo "$GO"
    elif command -v go >/dev/null; then
        command -v go
    elif [[ -x /usr/local/go/bin/go ]]; then
        echo /usr/local/go/bin/go
    else
        log "no Go toolchain found (needed once to build Helm $HELM_VERSION); install Go >= 1.26 or set GO"
        exit 1
    fi
}

is_built() {
    [[ -x "$HELM" && -f "$STAMP" && "$(cat "$STAMP")" == "$HELM_VERSION" ]]
}

build() {
    local go started tmp gomod client_go minor ldflags
    go="$(find_go)"
    started=$SECONDS
    log "building Helm $HELM_VERSION from the Go module proxy into $HELM (once; a few minutes cold)"
    tmp="$(mktemp -d "$BIN_DIR/.build.XXXXXX")"
    # shellcheck disable=SC2064
    trap "rm -rf '$tmp'" EXIT

    # Same link flags as Helm's own Makefile: the version string, and the Kubernetes version
    # that `helm lint`/`helm template` assume, taken from the k8s.io/client-go it is built with.
    gomod="$(cd "$tmp" && GOFLAGS=-mod=mod "$go" mod download -json "$MODULE@$HELM_VERSION" \
        | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')"
    client_go="$(awk '$1 == "k8s.io/client-go" { print $2 }' "$gomod")"
    minor="$(echo "$client_go" | cut -d. -f2)"
    ldflags="-s -w -X $MODULE/internal/version.version=$HELM_VERSION"
    if [[ "$minor" =~ ^[0-9]+$ ]]; then
        ldflags+=" -X $MODULE/pkg/lint/rules.k8sVersionMajor=1 -X $MODULE/pkg/lint/rules.k8sVersionMinor=$minor"
        ldflags+=" -X $MODULE/pkg/chartutil.k8sVersionMajor=1 -X $MODULE/pkg/chartutil.k8sVersionMinor=$minor"
    fi

    # `go install pkg@version` builds exactly the module's own dependency graph. It refuses
    # modules whose go.mod has replace directives; then build it from a throwaway module.
    if ! (cd "$tmp" && CGO_ENABLED=0 GOBIN="$tmp" "$go" install -trimpath -ldflags "$ldflags" \
            "$MODULE/cmd/helm@$HELM_VERSION"); then
        log "go install refused $MODULE@$HELM_VERSION; building it from a temporary module"
        mkdir -p "$tmp/mod"
        (cd "$tmp/mod" \
            && "$go" mod init provgraph.local/helm-build >/dev/null 2>&1 \
            && "$go" get "$MODULE@$HELM_VERSION" \
            && CGO_ENABLED=0 "$go" build -trimpath -ldflags "$ldflags" -o "$tmp/helm" "$MODULE/cmd/helm")
    fi
    "$tmp/helm" version --short >/dev/null
    mv -f "$tmp/helm" "$HELM"
    echo "$HELM_VERSION" >"$STAMP"
    rm -rf "$tmp"
    trap - EXIT
    log "built $("$HELM" version --short) in $((SECONDS - started)) s"
}

mkdir -p "$BIN_DIR"
if ! is_built; then
    # One builder at a time (parallel test runs, two clones); the others wait and reuse it.
    exec 9>"$BIN_DIR/.helm.lock"
    flock 9
    is_built || build
    exec 9>&-
fi

if [[ "${1:-}" == "--build-only" ]]; then
    echo "$HELM"
    exit 0
fi
exec "$HELM" "$@"
