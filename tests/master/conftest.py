"""A small world whose master file the prepared-master tests prepare and split."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from matchgate.synth import generate_world


@pytest.fixture(scope="session")
def small_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    world = tmp_path_factory.mktemp("master-world")
    generate_world(world, people=300, requests=40, seed=23)
    return world


def table_rows(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[object, ...]]:
    """A table's rows as a sorted list, list values sorted: the order DuckDB aggregates a
    list in is not part of what a prepared master means."""

    def canonical(value: object) -> object:
        if isinstance(value, list):
            return tuple(sorted((canonical(v) for v in value), key=repr))
        if isinstance(value, dict):
            return tuple(sorted((k, canonical(v)) for k, v in value.items()))
        return value

    rows = con.execute(f'SELECT * FROM "{table}"').fetchall()
    return sorted((tuple(canonical(v) for v in row) for row in rows), key=repr)


@pytest.fixture
def rows_of():  # type: ignore[no-untyped-def]
    """:func:`table_rows`, for the tests."""
    return table_rows
