# The two set-up commands of the README: `make run` and `make test`. Both install what they need.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
# cfn-lint lives apart: its SAM translator pins a pydantic older than the app's.
LINT_VENV := .venv-lint
LINT_INSTALLED := $(LINT_VENV)/.installed
# The web pages' front-end packages (DSFR; axe-core for the browser tests), from package-lock.json.
NODE_INSTALLED := node_modules/.installed

.PHONY: run test bench package clean

$(INSTALLED): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

$(NODE_INSTALLED): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(LINT_INSTALLED): requirements-lint.txt
	$(PYTHON) -m venv $(LINT_VENV)
	$(LINT_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-lint.txt
	touch $@

## make run: the API, the workers and the web pages on the embedded local AWS, with demo data.
## Ports: make run API_PORT=8000 WEB_PORT=8001 AWS_PORT=5100 EPHOTO_PORT=8002
run: $(INSTALLED) $(NODE_INSTALLED)
	$(PY) -m chalicelib.local.stack

## make test: the whole suite (unit, integration against moto, end-to-end over HTTP, the pages in
## Debian's Chromium with axe-core, and the deployable templates: make package + cfn-lint + assertions).
## Its files are spread over TEST_WORKERS processes (pytest-xdist), each with its own in-process moto
## and, for the tests that need one, its own local stack: make test TEST_WORKERS=1 runs them in one.
## Each file runs whole on one worker, longest first, except the few whose tests are spread one by one
## (tests/conftest.py: SPREAD_FILES, LONGEST_FIRST).
TEST_WORKERS ?= 3
# Every process the suite starts (workers, stacks, pumps, commands) reuses compiled bytecode, kept
# out of the sources: without it each one recompiles the app (a machine may set
# PYTHONDONTWRITEBYTECODE).
test: export PYTHONDONTWRITEBYTECODE :=
test: export PYTHONPYCACHEPREFIX := $(CURDIR)/.cache/pycache
test: $(INSTALLED) $(LINT_INSTALLED) $(NODE_INSTALLED)
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup --no-loadscope-reorder

## make package: the deployable CloudFormation templates and function zips of every stage, linted.
## Written to dist/<stage>/cdk.out (deploy: see infra/README.md). No AWS account needed.
package: $(INSTALLED) $(LINT_INSTALLED) $(NODE_INSTALLED)
	$(PY) -m infra.package --out dist

## make bench: benchmarks, figures written to bench/README.md (never part of make test).
bench: $(INSTALLED)
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) $(LINT_VENV) node_modules .local .pytest_cache .cache dist test-output
