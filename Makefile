# Two commands do everything on a fresh machine:
#   make run    the server on the embedded default (SQLite file, in-memory broker) at http://127.0.0.1:8000
#   make test   lint, types, architecture and the whole test suite against real PostgreSQL and Redis
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint services browser clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/entraide serve

services:
	bash scripts/services.sh

browser:
	bash scripts/browser.sh

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy chat moderation rooms web tests
	$(BIN)/lint-imports

test: $(STAMP) services browser lint
	$(BIN)/pytest -p no:cacheprovider -n 2 --dist loadfile $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache entraide.db entraide.db-wal entraide.db-shm
