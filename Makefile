# The two commands of the README: `make demo` and `make test`. Both are idempotent on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: demo test lint format lean clean-venv

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Stamps re-run the install only when pyproject.toml changes.
$(VENV)/.installed-all: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[all]'
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[all,dev]'
	touch $@ $(VENV)/.installed-all

## demo: install everything (Python side, elan, Lean, Mathlib cache, REPL) and prove examples/quickstart.lean.
demo: $(VENV)/.installed-all
	bash scripts/demo.sh

## lean: install elan + Lean and build lean_project/ (Mathlib cache + REPL), when missing.
lean:
	bash scripts/setup_lean.sh

## lint: ruff (lint + format check) and mypy (strict on prover/).
lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## test: lint, then the default test suite (no Lean, no network, no GPU needed).
test: lint
	$(VENV)/bin/pytest $(PYTEST_ARGS)

clean-venv:
	rm -rf $(VENV)
