# The few commands a person types. `make run` and `make test` are all a fresh machine needs.
SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
PY := python3
UV := $(PY) -m uv
VENV := .venv
BIN := $(VENV)/bin
ILP := $(BIN)/ilp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test setup uv browser idp lint format check test-postgres bench bench-postgres serve worker demo clean

uv:
	@$(UV) --version >/dev/null 2>&1 || $(PY) -m pip install --quiet --disable-pip-version-check uv

setup: uv
	@$(UV) sync --locked --quiet

browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

## make idp: node's oidc-provider for the tests' local identity provider (tests/idp)
idp:
	@test -d tests/idp/node_modules/oidc-provider || (cd tests/idp && npm ci --no-audit --no-fund --silent)

## make run: set up, migrate the SQLite default, load demo data if empty, serve portal + worker
run: setup
	@$(ILP) migrate --no-input -v0
	@$(ILP) demo
	@echo "ILP on http://$(HOST):$(PORT)/  (API docs: http://$(HOST):$(PORT)/api/v1/docs)"
	@trap 'kill 0' EXIT INT TERM; \
	  $(ILP) worker & \
	  $(ILP) serve --bind $(HOST):$(PORT) --workers 2

## make test: set up and run the whole suite (SQLite unless DATABASE_URL is set)
test: setup browser idp
	@$(BIN)/ruff check src tests bench
	@$(BIN)/lint-imports --no-cache >/dev/null || $(BIN)/lint-imports --no-cache
	@$(ILP) check --fail-level WARNING
	@$(ILP) makemigrations --check --dry-run >/dev/null || { echo "missing migrations: run '$(ILP) makemigrations'"; exit 1; }
	@$(BIN)/pytest $(PYTEST_ARGS)

## make test-postgres: the database tests against a fresh PostgreSQL database (CI does this)
test-postgres: setup idp
	@bash .ci/postgres-tests

lint: setup
	@$(BIN)/ruff check src tests bench
	@$(BIN)/ruff format --check src tests bench

format: setup
	@$(BIN)/ruff format src tests bench
	@$(BIN)/ruff check --fix src tests bench

## make bench: every benchmark on SQLite (or on DATABASE_URL); BENCH="bench_lists …" picks some
bench: setup
	@$(BIN)/python -m bench $(BENCH)

## make bench-postgres: the same on a throw-away PostgreSQL database (bench/RESULTS.md)
bench-postgres: setup
	@bash bench/postgres-bench $(BENCH)

clean:
	rm -rf $(VENV) var .pytest_cache

## make messages: refresh the German catalogue (src/ilp/locale/de) and compile it (needs gettext)
.PHONY: messages
messages: setup
	@cd src/ilp && ../../$(ILP) makemessages -l de --no-obsolete && ../../$(ILP) compilemessages -l de
