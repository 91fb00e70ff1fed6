# The two set-up commands of the README: `make run` and `make test`. Both install what they need.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

.PHONY: run test bench clean

$(INSTALLED): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

## make run: the API, the workers and the web pages on the embedded local AWS, with demo data.
## Ports: make run API_PORT=8000 WEB_PORT=8001 AWS_PORT=5100
run: $(INSTALLED)
	$(PY) -m chalicelib.local.stack

## make test: the whole suite (unit, integration against moto, end-to-end over HTTP).
test: $(INSTALLED)
	$(PY) -m pytest

## make bench: benchmarks, figures written to bench/README.md (never part of make test).
bench: $(INSTALLED)
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) .local .pytest_cache
