"""A small world whose master file the prepared-master tests prepare and split, uncached."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from matchgate.master.cache import MASTER_CACHE_ENV
from matchgate.synth import generate_world


@pytest.fixture(scope="module", autouse=True)
def prepare_uncached() -> Iterator[None]:
    """These tests are of preparation itself: they prepare, they do not copy a master the
    run's master cache holds (``tests/master/test_master_cache.py`` sets its own cache).
    Module-wide, so that the modules' own prepared-master fixtures prepare uncached too."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(MASTER_CACHE_ENV, raising=False)
        yield


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
