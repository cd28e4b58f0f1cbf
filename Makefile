# The two commands a newcomer needs:
#   make demo   - install into .venv and run the whole pipeline on a small synthetic world
#   make test   - install into .venv (plus the system packages the tests need) and run all tests
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.matchgate-installed

.PHONY: demo test install lint benchmarks clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/matchgate demo

test: $(STAMP)
	bash scripts/run-tests.sh

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

benchmarks: $(STAMP)
	$(BIN)/python benchmarks/bench_matching.py

clean:
	rm -rf demo-output .pytest_cache .ruff_cache .mypy_cache
