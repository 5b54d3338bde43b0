# Two commands do all set-up on a fresh machine (Python 3.11, git, make): `make demo`, `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CONFIG ?= config/sites.yaml
PYTEST_ARGS ?=

.PHONY: help bootstrap demo run test lint format constraints clean

help:
	@echo "make demo                      run the whole pipeline on the bundled demo site"
	@echo "make run CONFIG=path/sites.yaml run crawl + warehouse + alerts for your sites"
	@echo "make test                      ruff + pytest (unit and integration)"
	@echo "make constraints               re-resolve and re-pin constraints.txt"

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

bootstrap: $(STAMP)

demo: bootstrap
	$(BIN)/linkwarehouse demo

run: bootstrap
	$(BIN)/linkwarehouse run --config "$(CONFIG)"

lint: bootstrap
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: bootstrap
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: lint
	$(BIN)/pytest $(PYTEST_ARGS)

# Resolve the newest allowed versions in a scratch venv and pin the full set (Airflow-style),
# benchmark-only extras included so `pip install -c constraints.txt -e '.[bench]'` is pinned too.
constraints:
	rm -rf .venv-constraints
	$(PYTHON) -m venv .venv-constraints
	.venv-constraints/bin/python -m pip install --quiet -e '.[dev,bench]'
	{ echo "# Full resolved set for linkwarehouse; regenerate with 'make constraints'."; \
	  .venv-constraints/bin/python -m pip freeze --exclude-editable | LC_ALL=C sort -f; } > constraints.txt
	rm -rf .venv-constraints

clean:
	rm -rf .airflow .demo lake warehouse dbt_project/target dbt_project/logs
