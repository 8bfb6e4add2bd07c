# Dask Sites: every target sets up what it needs, so a fresh clone needs only
#   make demo    (testbed + JupyterLab with Dask Sites)
#   make test    (every test)
# Python lives in .venv, JavaScript in node_modules (npm, from package-lock.json).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMPS := .stamps
TS_SOURCES := $(shell find src schema style -type f 2>/dev/null) package.json tsconfig.json tsconfig.node.json scripts/bundle.mjs jupyter_ext_server/registry/site-registry.schema.json

.PHONY: setup system demo test test-js test-py lint benchmark wheel clean

setup: $(STAMPS)/python $(STAMPS)/build

# Debian packages: Chromium for the UI tests (never a browser download).
system: $(STAMPS)/system
$(STAMPS)/system: scripts/install-system-packages.sh
	bash scripts/install-system-packages.sh
	@mkdir -p $(STAMPS) && touch $@

# `npm install` (it follows package-lock.json) rather than `npm ci`: the lock
# file cannot list other platforms' optional rspack bindings here, and
# `npm ci` refuses a lock file without them.
$(STAMPS)/node: package.json package-lock.json
	npm install --no-audit --no-fund
	@mkdir -p $(STAMPS) && touch $@

$(STAMPS)/venv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet "hatchling>=1.21" "hatch-nodejs-version>=0.3.2" "hatch-jupyter-builder>=0.9" "jupyter-builder>=1.3" editables
	@mkdir -p $(STAMPS) && touch $@

$(STAMPS)/build: $(STAMPS)/node $(STAMPS)/venv $(TS_SOURCES)
	PATH="$(CURDIR)/$(BIN):$$PATH" npm run build:prod
	@mkdir -p $(STAMPS) && touch $@

$(STAMPS)/python: $(STAMPS)/venv $(STAMPS)/build pyproject.toml
	$(BIN)/pip install --quiet --no-build-isolation -e ".[test]"
	$(BIN)/jupyter-builder develop --overwrite . > /dev/null
	$(BIN)/jupyter server extension enable --sys-prefix jupyter_ext_server > /dev/null
	@mkdir -p $(STAMPS) && touch $@

demo: system setup
	$(BIN)/dask-sites demo --size medium

test: system setup test-js test-py

test-js: $(STAMPS)/build
	npm run lint
	npm run typecheck
	npm test -- --ci

test-py: $(STAMPS)/python
	$(BIN)/python -m pytest

# Tables of speed and bandwidth figures; BENCH_ARGS=--quick for a short run.
benchmark: setup
	node benchmarks/live_encoding.mjs
	$(BIN)/python benchmarks/sidecar_bench.py $(BENCH_ARGS)
	$(BIN)/python benchmarks/routing_bench.py

# A wheel as users install it, checked to carry the labextension and the bundles.
wheel: setup
	rm -rf dist && $(BIN)/pip wheel --no-deps --no-build-isolation -w dist . > /dev/null
	$(BIN)/python scripts/check_wheel.py dist/*.whl

clean:
	rm -rf $(STAMPS) lib jupyter_ext_server/labextension jupyter_ext_server/bundled dist tsconfig.tsbuildinfo
