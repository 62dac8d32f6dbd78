# Two commands matter: `make run` (whole system, embedded mode, demo data) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
ARGS ?=

.PHONY: run test lint format typecheck bench demo migrate clean

$(VENV)/.run-installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.test-installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.run-installed

$(VENV)/.bench-installed: $(VENV)/.test-installed
	$(BIN)/python -m pip install --quiet -e '.[test,embeddings]'
	touch $@

migrate: $(VENV)/.run-installed
	$(BIN)/python manage.py migrate --noinput

## The default model first: the demo's open tickets go through the real triage.
demo: migrate
	$(BIN)/python manage.py train_classifier --csv tickets/triage/seed_corpus.csv --name seed-default --activate --if-missing
	$(BIN)/python manage.py seed_demo --if-empty

## Start web (http://127.0.0.1:8000), Celery worker and beat in the foreground; Ctrl-C stops all.
run: demo
	PATH="$(BIN):$$PATH" $(BIN)/honcho start -f Procfile

## Whole test suite against throwaway PostgreSQL and Redis (unless DATABASE_URL / REDIS_URL are given).
test: $(VENV)/.test-installed
	$(BIN)/python -m tests.servers -- $(BIN)/python -m pytest $(ARGS)

lint: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(VENV)/.test-installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: $(VENV)/.test-installed
	$(BIN)/mypy

## Benchmarks (JSON to stdout and bench/results/latest.json); installs the optional embeddings extra.
bench: $(VENV)/.bench-installed
	$(BIN)/python -m tests.servers -- $(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
