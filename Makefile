# hue06 — the two commands of the quick start are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RESIDENTS ?= 200000
ifdef FULL
RESIDENTS := 1150000
endif

.PHONY: install demo test bench lint browser-deps java-deps db-check clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "hue06 needs Python 3.11 or newer"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

## Build a demo province (200,000 residents; FULL=1 for 1.15 million) and serve it on :8000.
demo: install
	$(BIN)/hue06 demo --residents $(RESIDENTS)

## Install what the tests need (Chromium for the browser tests) and run the whole suite.
test: install browser-deps java-deps db-check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q -p no:cacheprovider

## Debian's Chromium drives the browser tests through Playwright (no browser download).
browser-deps:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "Chromium missing: sudo apt-get install chromium (browser tests will be skipped)"; fi; fi

## Java for the Spark path of the linkage test (PySpark in local mode).
java-deps:
	@if ! command -v java >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null; \
	  else echo "Java missing: sudo apt-get install openjdk-17-jre-headless (the Spark test will be skipped)"; fi; fi

## PostgreSQL for the suite: use the one configured, start the local cluster if it is down.
db-check:
	@bash scripts/ensure-postgres.sh

bench: install
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) var/*.db var/*.db-* .pytest_cache
