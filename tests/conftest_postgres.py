"""pytest plugin: a real PostgreSQL database per test module.

Load it from ``tests/conftest.py`` with ``pytest_plugins = ["tests.conftest_postgres"]``
(or ``-p tests.conftest_postgres``). The server comes from ``MATCHGATE_TEST_POSTGRES_URL``;
``eval "$(scripts/postgres-for-tests.sh)"`` starts a throwaway one and sets it. Without
the variable, tests that ask for PostgreSQL fail with that command: they are never
skipped silently.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

__all__ = ["POSTGRES_URL_VARIABLE", "START_COMMAND", "postgres_url"]

POSTGRES_URL_VARIABLE = "MATCHGATE_TEST_POSTGRES_URL"
START_COMMAND = 'eval "$(scripts/postgres-for-tests.sh)"'


def _database_name(module_name: str) -> str:
    stem = re.sub(r"[^a-z0-9]+", "_", module_name.lower()).strip("_")[-30:]
    return f"mgtest_{stem}_{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="module")
def postgres_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """SQLAlchemy URL of a new, empty database, dropped after the test module."""
    base = os.environ.get(POSTGRES_URL_VARIABLE, "").strip()
    if not base:
        pytest.fail(
            f"{POSTGRES_URL_VARIABLE} is not set: these tests need a real PostgreSQL server."
            f" From the repository root run:\n    {START_COMMAND}\nthen run pytest again"
            " in the same shell.",
            pytrace=False,
        )
    name = _database_name(request.module.__name__)
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except SQLAlchemyError as exc:
        admin.dispose()
        pytest.fail(
            f"cannot create a test database on {POSTGRES_URL_VARIABLE}"
            f" ({make_url(base).render_as_string(hide_password=True)}): {exc}."
            f" Is the server running? Start one with:\n    {START_COMMAND}",
            pytrace=False,
        )
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
