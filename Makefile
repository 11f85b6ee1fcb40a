# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev

.DEFAULT_GOAL := help
.PHONY: help run test lint format typecheck pytest bench definitions profiles clean

help:
	@echo "make run         install and start the adapter on 127.0.0.1:8000 (SQLite under ./var/)"
	@echo "make test        install and run ruff, mypy --strict and the whole test suite"
	@echo "make lint        ruff (lint and format check) and mypy --strict"
	@echo "make bench       run the benchmarks in bench/"
	@echo "make definitions fetch and verify the FHIR R4 core package"

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is required (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip

$(RUN_STAMP): pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	@touch $@

$(DEV_STAMP): pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@ $(RUN_STAMP)

definitions: $(RUN_STAMP)
	@$(BIN)/mpox-adapter definitions path >/dev/null 2>&1 || $(BIN)/mpox-adapter definitions fetch

# Compile profiles/fsh with the pinned SUSHI (Node and npm needed) and refresh the JSON the
# package ships (mpox_adapter/profiles/*.json).
profiles: definitions
	MPOX_ADAPTER=$(BIN)/mpox-adapter bash profiles/build.sh

run: $(RUN_STAMP) definitions
	@mkdir -p var
	$(BIN)/mpox-adapter serve

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/hadolint Dockerfile
	$(BIN)/mypy

typecheck: $(DEV_STAMP)
	$(BIN)/mypy

format: $(DEV_STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

pytest: $(DEV_STAMP) definitions
	$(BIN)/python -m pytest

test: lint pytest

bench: $(DEV_STAMP) definitions
	$(BIN)/python -m pytest bench -o python_files="bench_*.py" --benchmark-only --benchmark-columns=min,median,mean,ops,rounds

clean:
	rm -rf $(VENV) var build *.egg-info .mypy_cache .ruff_cache
