# Two commands: `make run` (the app with demo data and live traffic) and `make test` (lint, types, the suite).
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && echo $$p && break; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PORT ?= 8501
# the real WireMock (standalone jar, run on the machine's Java 17) from the npm registry, for the stub tests
WIREMOCK_VERSION := 3.13.2
WIREMOCK_JAR := $(VENV)/wiremock/node_modules/wiremock/build/wiremock-standalone-$(WIREMOCK_VERSION).jar

.PHONY: run test setup lint typecheck unit later bench clean help

help:
	@echo "make run    start the backoffice at http://localhost:$(PORT) with demo data and live demo traffic"
	@echo "make test   lint, type-check and run the whole test suite, then again on a later date (make later)"
	@echo "make bench  run the benchmarks under bench/"

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is needed (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

$(WIREMOCK_JAR):
	npm install --prefix $(VENV)/wiremock --no-audit --no-fund --silent wiremock@$(WIREMOCK_VERSION)

setup: $(STAMP)
	$(BIN)/sre-backoffice db upgrade
	$(BIN)/sre-backoffice demo seed --if-empty --recent-days 2

run: setup
	@echo "SRE Backoffice on http://localhost:$(PORT) (Ctrl+C stops the app, the API, the worker and the demo traffic)"
	@$(BIN)/sre-backoffice run --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP) $(WIREMOCK_JAR)
	SRE_WIREMOCK_JAR=$(WIREMOCK_JAR) $(BIN)/pytest -n 2

# The same suite (less the browser, whose server runs on the real clock, and the heavy memory and process tests) on a
# leap day more than a year ahead, in a time zone far from UTC: a test that depends on the day it runs or on the
# machine's zone fails here.
later: $(STAMP)
	SRE_TEST_CLOCK=2028-02-29T23:30:00+00:00 TZ=Asia/Bangkok $(BIN)/pytest -n 2 -m "not browser and not heavy"

test: lint typecheck unit later

bench: $(STAMP)
	$(BIN)/python bench/slo_bench.py
	$(BIN)/python bench/kql_compat_bench.py
	$(BIN)/python bench/k6_import_bench.py
	$(BIN)/python bench/worker_bench.py
	$(BIN)/python bench/monitoring_bench.py
	$(BIN)/python bench/live_clef_bench.py
	$(BIN)/python bench/audit_bench.py
	$(BIN)/python bench/api_bench.py
	$(BIN)/python bench/ingest_bench.py
	$(BIN)/python bench/workflow_bench.py
	$(BIN)/python bench/testrun_bench.py
	$(BIN)/python bench/ui_load_bench.py

clean:
	rm -rf $(VENV) .data .pytest_cache .mypy_cache .ruff_cache
