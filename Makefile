# The two commands a newcomer needs:
#   make demo   - install into .venv and run the whole pipeline on a small synthetic world
#   make test   - install into .venv (plus the system packages the tests need) and run all tests
# While working:
#   make check  - ruff, ruff format --check, mypy and the tests not marked slow (no PostgreSQL,
#                 no browser; a few minutes on 2 cores). Also the pre-commit hooks' job.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.matchgate-installed

.PHONY: demo test check install lint benchmarks clean

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

# PYTHONPATH=src: check the code in this tree even when .venv is shared with another checkout.
lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	PYTHONPATH=src $(BIN)/mypy

# The fast lane: what is slow is chosen by the `slow` marker (and `postgres`, which always
# needs a server), so a new test is in this lane unless it is marked.
check: lint
	PYTHONPATH=src $(BIN)/python -m pytest -q -m "not slow and not postgres" \
	  -n "$${MATCHGATE_TEST_WORKERS:-auto}" --dist loadfile

benchmarks: $(STAMP)
	$(BIN)/python benchmarks/bench_matching.py

clean:
	rm -rf demo-output .pytest_cache .ruff_cache .mypy_cache
