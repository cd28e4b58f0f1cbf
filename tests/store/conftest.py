"""A fresh database per test, on SQLite and on PostgreSQL.

``database`` is parametrized: ``sqlite`` (a file under the test's tmp_path) and ``postgres``
(a new database on the server of ``MATCHGATE_TEST_POSTGRES_URL``, dropped after the test, so
no test sees another's rows). The PostgreSQL case is marked ``postgres``: ``make check``
leaves it out, and without the variable it is skipped with the command that starts one.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

POSTGRES_URL_VARIABLE = "MATCHGATE_TEST_POSTGRES_URL"


@dataclass(frozen=True)
class Database:
    kind: str
    url: str
    workspace: Path

    def execute(self, *statements: str) -> None:
        engine = create_engine(self.url)
        try:
            with engine.begin() as conn:
                for statement in statements:
                    conn.execute(text(statement))
        finally:
            engine.dispose()

    def scalar(self, statement: str) -> object:
        engine = create_engine(self.url)
        try:
            with engine.connect() as conn:
                return conn.execute(text(statement)).scalar()
        finally:
            engine.dispose()


@pytest.fixture
def postgres_database() -> Iterator[str]:
    base = os.environ.get(POSTGRES_URL_VARIABLE, "").strip()
    if not base:
        pytest.skip(
            f"{POSTGRES_URL_VARIABLE} is not set; run the tests with"
            " `bash scripts/run-tests.sh` (it starts a PostgreSQL server)"
        )
    name = f"mgtest_store_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Database:
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    if request.param == "sqlite":
        return Database("sqlite", f"sqlite:///{tmp_path / 'store.sqlite'}", workspace)
    url = request.getfixturevalue("postgres_database")
    return Database("postgres", url, workspace)
