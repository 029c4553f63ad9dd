# Alongside — every target sets itself up on a fresh machine.
# `make run` serves the site with demo content; `make test` runs the whole suite.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FORUM := $(VENV)/bin/forum
STAMP := $(VENV)/.installed
ASSETS := static/vendor/nhsuk-frontend/VERSION
HOST ?= 127.0.0.1
PORT ?= 5000

.DEFAULT_GOAL := help
.PHONY: help setup run test test-postgres lint serve bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml scripts/install-python.sh
	@bash scripts/install-python.sh "$(PYTHON)" "$(VENV)"
	@touch $(STAMP)

$(ASSETS): package.json package-lock.json scripts/fetch-assets.sh
	@bash scripts/fetch-assets.sh

setup: $(STAMP) $(ASSETS) ## Create .venv, install the project and fetch the design system

run: setup ## Set up, migrate, load demo content if empty, and serve on http://127.0.0.1:5000
	FORUM_ENV=development $(FORUM) db upgrade
	FORUM_ENV=development $(FORUM) demo --if-empty
	FORUM_ENV=development $(FORUM) run --host $(HOST) --port $(PORT)

lint: $(STAMP) ## ruff over the code and tests
	$(VENV)/bin/ruff check $(wildcard forum moderation config tests bench)

test: setup lint ## Set up and run the whole suite (SQLite; PostgreSQL too when TEST_DATABASE_URL is set)
	@bash scripts/ensure-chromium.sh
	env -u TEST_DATABASE_URL $(PY) -m pytest -p no:cacheprovider
	@if [ -n "$$TEST_DATABASE_URL" ]; then $(MAKE) --no-print-directory test-postgres; fi

test-postgres: setup ## The suite again on PostgreSQL (TEST_DATABASE_URL), browser tests aside
	$(PY) -m pytest -p no:cacheprovider -m "not browser"

serve: setup ## Production set-up: gunicorn + gevent, one process per core (needs DATABASE_URL, REDIS_URL, SECRET_KEY)
	bash scripts/serve.sh

bench: setup ## Measure speed against a ceiling measured in the same run
	$(PY) -m bench

clean: ## Remove the virtual environment, fetched assets and local data
	rm -rf $(VENV) node_modules static/vendor instance
