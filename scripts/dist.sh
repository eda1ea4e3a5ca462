#!/usr/bin/env bash
# make dist: build the sdist and the wheel (the wheel from the sdist, as pip would), check
# them with twine and for what users rely on (license, package data), then install the
# wheel alone into a fresh venv -- the client, no server extra -- and smoke-test it there.
#
#   bash scripts/dist.sh [PYTHON]     # PYTHON: the dev venv's (has build and twine)
#
# Output in dist/; the smoke venv in dist/.smoke-venv (recreated each run). pip's cache
# keeps the second run quick. Exits non-zero, naming the failed check, on any problem.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${1:-.venv/bin/python}
OUT=dist
VENV=$OUT/.smoke-venv
export PIP_DISABLE_PIP_VERSION_CHECK=1

fail() { echo "make dist: $*" >&2; exit 1; }

rm -rf "$OUT" && mkdir -p "$OUT"
"$PY" -m build --outdir "$OUT" . >"$OUT/build.log" 2>&1 || { cat "$OUT/build.log" >&2; fail "python -m build failed"; }
version=$("$PY" -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')
wheel=$OUT/provgraph-$version-py3-none-any.whl
sdist=$OUT/provgraph-$version.tar.gz
[[ -f $wheel && -f $sdist ]] || fail "expected $wheel and $sdist, found: $(ls "$OUT")"
"$PY" -m twine check --strict "$wheel" "$sdist" || fail "twine check failed"
"$PY" scripts/dist_contents.py "$wheel" "$sdist" || fail "wheel/sdist contents"

python3 -m venv --clear "$VENV"
"$VENV/bin/python" -m pip install -q "$wheel" || fail "pip install $wheel failed"
"$VENV/bin/python" scripts/dist_smoke.py "$version" || fail "client-only smoke test failed"
echo "make dist: $(basename "$wheel") and $(basename "$sdist") built, checked, installed client-only and smoke-tested"
