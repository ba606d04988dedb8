# newsflow: `make run` starts everything and shows a search; `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
EXAMPLE_QUERY ?= rotterdam
STACK ?= $(or $(NEWSFLOW_STACK),embedded)

.PHONY: setup run stop status test test-fast lint format bench bench-ingest bench-ingest-memory schemas eval clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] >= (3, 11) else "newsflow needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

setup: $(STAMP)

run: setup
	$(BIN)/newsflow up --stack $(STACK)
	$(BIN)/newsflow feed examples/articles --wait
	$(BIN)/newsflow search $(EXAMPLE_QUERY) --size 3
	@echo
	@echo "Everything is running. Try: $(BIN)/newsflow search <words> | newsflow status | newsflow lag | make stop"

stop: setup
	$(BIN)/newsflow down

status: setup
	$(BIN)/newsflow status

test: setup
	$(BIN)/python -m pytest

test-fast: setup
	$(BIN)/python -m pytest tests/unit

# The same checks tests/unit/test_code_style.py runs in the fast lane; `make format` applies ruff's formatting.
lint: setup
	$(BIN)/ruff check newsflow tests bench evaluation deploy
	$(BIN)/ruff format --check newsflow tests bench evaluation deploy
	$(BIN)/mypy

format: setup
	$(BIN)/ruff format newsflow tests bench evaluation deploy
	$(BIN)/ruff check --fix newsflow tests bench evaluation deploy

bench: setup
	$(BIN)/python -m bench --stack $(STACK)
	$(BIN)/python -m bench.recognisers

# ingest's front door under load, keys and rate limits on (README: "The front door under load").
bench-ingest: setup
	$(BIN)/python -m bench.ingest_load --stack $(or $(BENCH_INGEST_STACK),apache)

# ingest's memory with 8 clients sending the largest requests at once (README: "The largest requests at once").
bench-ingest-memory: setup
	$(BIN)/python -m bench.ingest_memory --stack $(or $(BENCH_INGEST_STACK),apache)

eval: setup
	$(BIN)/python -m evaluation
	$(BIN)/python -m evaluation.story_scores
	$(BIN)/python -m evaluation.public

schemas: setup
	$(BIN)/python -m newsflow.contract.generate

clean: stop
	rm -rf .newsflow
