#!/usr/bin/env bash
# Runs the whole test suite: system packages the tests need, a throwaway PostgreSQL
# server, then pytest. Called by `make test` (and so by .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-system-packages.sh

stop_postgres() { bash scripts/postgres-for-tests.sh stop >/dev/null 2>&1 || true; }
if [ -z "${MATCHGATE_TEST_POSTGRES_URL:-}" ]; then
  eval "$(bash scripts/postgres-for-tests.sh)"
  trap stop_postgres EXIT
fi

status=0
# One pytest-xdist worker per core (MATCHGATE_TEST_WORKERS=0 runs in this process); each test
# file stays on one worker, so a module's fixtures (worlds, servers) are made once.
# The slowest tests are listed at the end, so that a suite growing past its budget shows why.
.venv/bin/python -m pytest -n "${MATCHGATE_TEST_WORKERS:-auto}" --dist loadfile \
  --durations=30 --durations-min=5 "$@" || status=$?
# pytest exits 5 when it collected no test: that is a failure here, never a pass.
exit "$status"
