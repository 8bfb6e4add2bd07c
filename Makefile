# Dask Sites: every target sets up what it needs, so a fresh clone needs only
#   make demo       (testbed + JupyterLab with Dask Sites)
#   make test       (the linters, then every test)
# and, while working on it (CONTRIBUTING.md):
#   make lint       (prettier, eslint, stylelint, tsc, ruff, mypy)
#   make test-fast  (jest and the Python tests that start no process)
# Python lives in .venv, JavaScript in node_modules (npm, from package-lock.json).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMPS := .stamps
TS_SOURCES := $(shell find src schema style -type f 2>/dev/null) package.json tsconfig.json tsconfig.node.json scripts/bundle.mjs jupyter_ext_server/registry/site-registry.schema.json

.PHONY: setup system demo test test-fast test-js test-py ui-test lint benchmark wheel clean

setup: $(STAMPS)/python

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

# The Python packages, editable, with the test and lint tools. The
# labextension is built by $(STAMPS)/build, not by pip's build hook
# (SKIP_JUPYTER_BUILDER), so the fast targets never wait for a build.
$(STAMPS)/python-deps: $(STAMPS)/venv pyproject.toml
	SKIP_JUPYTER_BUILDER=1 $(BIN)/pip install --quiet --no-build-isolation -e ".[test]"
	@mkdir -p $(STAMPS) && touch $@

$(STAMPS)/python: $(STAMPS)/python-deps $(STAMPS)/build
	$(BIN)/jupyter-builder develop --overwrite . > /dev/null
	$(BIN)/jupyter server extension enable --sys-prefix jupyter_ext_server > /dev/null
	@mkdir -p $(STAMPS) && touch $@

demo: system setup
	$(BIN)/dask-sites demo --size medium

test: lint system setup test-js test-py ui-test

# Every linter and type checker; any finding fails (CI runs it first).
lint: $(STAMPS)/node $(STAMPS)/ui-node $(STAMPS)/python-deps
	npm run lint
	npm run typecheck
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The quick loop: no build, no process started (tests/conftest.py keeps it so).
test-fast: $(STAMPS)/node $(STAMPS)/python-deps
	npm test -- --ci
	$(BIN)/python -m pytest -m "not integration"

test-js: $(STAMPS)/node
	npm test -- --ci

test-py: $(STAMPS)/python
	$(BIN)/python -m pytest

# Galata (Playwright) tests in Debian's Chromium against a testbed that the test
# server starts and stops, then through a real JupyterHub (playwright.hub.config.ts;
# UI_HUB_TEST_ARGS to pass it arguments) (ui-tests/README.md). ui-tests/ is its own npm package
# (Galata brings all of JupyterLab; the root install stays small). Never a
# browser download. Screenshots: ui-tests/artifacts/, report: ui-tests/playwright-report/.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1
$(STAMPS)/ui-node: ui-tests/package.json ui-tests/package-lock.json
	cd ui-tests && npm install --no-audit --no-fund
	@mkdir -p $(STAMPS) && touch $@

ui-test: system $(STAMPS)/python $(STAMPS)/ui-node
	rm -rf ui-tests/artifacts
	cd ui-tests && ../node_modules/.bin/tsc -p tsconfig.json
	cd ui-tests && { ./node_modules/.bin/playwright test $(UI_TEST_ARGS) 2>&1; echo $$? > .playwright-status; } | tee playwright.log; \
	  status=$$(cat .playwright-status); status=$${status:-1}; rm -f .playwright-status; \
	  ../$(BIN)/dask-sites testbed down --state-dir .testbed > /dev/null; \
	  { ./node_modules/.bin/playwright test -c playwright.hub.config.ts $(UI_HUB_TEST_ARGS) 2>&1; echo $$? > .playwright-status; } | tee -a playwright.log; \
	  hub_status=$$(cat .playwright-status); hub_status=$${hub_status:-1}; rm -f .playwright-status; \
	  ../$(BIN)/dask-sites testbed down --state-dir .hub-testbed > /dev/null; \
	  [ $$hub_status -eq 0 ] || status=$$hub_status; \
	  if [ $$status -ne 0 ]; then \
	    if [ -f artifacts/jupyter-server.log ]; then \
	      echo "--- last lines of ui-tests/artifacts/jupyter-server.log ---"; tail -n 40 artifacts/jupyter-server.log; fi; \
	    if [ $$hub_status -ne 0 ] && [ -f .hub-testbed/logs/hub.log ]; then \
	      echo "--- last lines of ui-tests/.hub-testbed/logs/hub.log (tokens hidden) ---"; \
	      tail -n 40 .hub-testbed/logs/hub.log | sed -E 's/([?&]token=)[^& ]+/\1[secret]/g'; fi; \
	    echo "--- which UI tests failed, and why (ui-tests/playwright.log) ---"; \
	    grep -E '✘|^ +[0-9]+\) |Error:|expect\(|Timeout|failed|flaky|passed' playwright.log | head -n 40; fi; \
	  exit $$status

# Tables of speed and bandwidth figures; BENCH_ARGS=--quick for a short run.
benchmark: setup
	node benchmarks/live_encoding.mjs
	$(BIN)/python benchmarks/sidecar_bench.py $(BENCH_ARGS)
	$(BIN)/python benchmarks/routing_bench.py
	$(BIN)/python benchmarks/placement_bench.py --size medium
	$(BIN)/python benchmarks/cluster_ready_bench.py $(BENCH_ARGS)
	$(BIN)/python benchmarks/footprint_bench.py $(BENCH_ARGS)
	$(BIN)/python benchmarks/slow_link_bench.py $(BENCH_ARGS)
	$(BIN)/python benchmarks/scale_bench.py $(BENCH_ARGS)

# A wheel as users install it, checked to carry the labextension and the bundles.
wheel: setup
	rm -rf dist && $(BIN)/pip wheel --no-deps --no-build-isolation -w dist . > /dev/null
	$(BIN)/python scripts/check_wheel.py dist/*.whl

clean:
	rm -rf $(STAMPS) lib jupyter_ext_server/labextension jupyter_ext_server/bundled dist tsconfig.tsbuildinfo
	rm -rf ui-tests/test-results ui-tests/playwright-report ui-tests/artifacts
