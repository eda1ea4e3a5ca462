# provgraph — the two commands of the README's quick start are `make serve` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
STAMP := $(VENV)/.installed
# Package folders: adding or removing a module changes its folder's mtime, which
# re-runs the (strict) editable install so the new module is linked in.
PACKAGE_DIRS := provgraph provgraph/graph provgraph/blobs service schema workers sdk sdk/integrations
# The training frameworks the integration tests use (torch, transformers, lightning, keras:
# ~6 GB, about 2 minutes cold), installed once per virtualenv by `make test`.
FRAMEWORKS := $(VENV)/.frameworks

.PHONY: install frameworks serve test test-suites services services-stop bench typecheck tools browser dist clean

# Creates the virtualenv and installs provgraph with its server and dev extras; re-runs
# when pyproject.toml changes. pip's cache makes a second clone's install quick.
$(STAMP): pyproject.toml $(PACKAGE_DIRS)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]' --config-settings editable_mode=strict
	touch $(STAMP)

install: $(STAMP)

$(FRAMEWORKS): pyproject.toml | $(STAMP)
	$(PY) -m pip install -q -e '.[dev,integrations]' --config-settings editable_mode=strict
	touch $(FRAMEWORKS)

frameworks: $(FRAMEWORKS)

serve: install
	$(VENV)/bin/provgraph serve --host $(HOST) --port $(PORT)

# Starts the real Neo4j and S3 servers the backend suites need, runs every test, and
# stops the servers again whether the tests passed or not.
test: install frameworks typecheck tools browser dist
	$(MAKE) services
	status=0; $(MAKE) test-suites || status=$$?; $(MAKE) services-stop; exit $$status

test-suites: install
	$(PY) -m pytest

# Real servers on loopback ports (jars fetched from Maven Central once, then cached);
# their addresses go to .provgraph/services.env.
services:
	bash scripts/services.sh start

services-stop:
	bash scripts/services.sh stop

# Helm v3 and the Go checkers for the deployment tests (tests/deploy), built once from the
# Go module proxy into $PROVGRAPH_CACHE/bin (default ~/.cache/provgraph); minutes cold.
tools:
	bash scripts/helm.sh --build-only >/dev/null
	bash scripts/gotool.sh kubecheck --build-only >/dev/null
	bash scripts/gotool.sh composecheck --build-only >/dev/null

# Debian's chromium for the UI suite (tests/ui, Playwright via executable_path), installed
# with apt-get only when /usr/bin/chromium is missing.
browser:
	bash scripts/chromium.sh

# Embedded figures, then Neo4j and S3 on the servers `make services` starts.
bench: install browser
	$(MAKE) services
	status=0; $(PY) -m benchmarks || status=$$?; $(MAKE) services-stop; exit $$status

# sdist + wheel (python -m build, twine check), the wheel installed client-only into a fresh
# venv and smoke-tested there (scripts/dist.sh); `make test` fails when the wheel is broken.
dist: install
	bash scripts/dist.sh $(PY)

# mypy runs outside the repository root so that it sees the installed package layout
# (service/ → provgraph.service, …) rather than the bare provgraph/ folder.
typecheck: install
	cd / && $(CURDIR)/$(VENV)/bin/mypy --config-file $(CURDIR)/pyproject.toml \
		--cache-dir $(CURDIR)/.mypy_cache -p provgraph

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache dist
