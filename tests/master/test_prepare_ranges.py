"""Preparing in bounded memory (issue 12): the features built by ranges of TINs, the tables
written in key order as they are made, DuckDB's memory limited. The prepared tables are the
ones a batch builds in one statement per table (``prepare_master``), row for row."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from matchgate.batch.workspace import connect_duckdb
from matchgate.errors import MasterFileError
from matchgate.master import build, prepare
from matchgate.match import prepare_master
from matchgate.match.features import tin_range_starts

Rows = Callable[[duckdb.DuckDBPyConnection, str], list[tuple[object, ...]]]

# Every table both a batch and a prepared master build.
SHARED_TABLES = (
    "master_rows",
    "std_master_names",
    "std_master_addresses",
    "taxpayer_features",
    "taxpayer_addresses",
    "taxpayer_namesakes",
    "mk_address",
    "mk_street",
    "mk_locator",
    "mk_city_locator",
    "mk_name",
    "mk_zip_surname",
    "mk_number_zip",
    "mk_dob_zip",
    "mk_number_city",
    "mk_name_edit",
    "mk_name_phonetic",
    "mk_person",
)


def test_features_built_by_many_ranges_equal_one_statement(
    small_world: Path, tmp_path: Path, rows_of: Rows, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 300 taxpayers, 7 a range: 43 ranges, the last one short.
    monkeypatch.setattr(build, "FEATURES_TAXPAYERS_PER_RANGE", 7)
    monkeypatch.setenv("MATCHGATE_PREPARE_MEMORY", "256MB")
    prepared = prepare(small_world / "master.parquet", tmp_path / "ws")
    batch = connect_duckdb(tmp_path / "batch.duckdb")
    _, taxpayers = prepare_master(batch, small_world / "master.parquet")
    new = duckdb.connect(str(prepared.database), read_only=True)
    try:
        assert prepared.taxpayers == taxpayers == 300
        for table in SHARED_TABLES:
            assert rows_of(new, table) == rows_of(batch, table), table
    finally:
        new.close()
        batch.close()


def test_tin_ranges_cover_every_taxpayer_once() -> None:
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE rows AS SELECT lpad(CAST(i // 2 AS VARCHAR), 9, '0') AS tin"
        " FROM range(20) t(i)"
    )  # ten taxpayers, two rows each
    assert tin_range_starts(con, "rows", 3) == ["000000000", "000000003", "000000006", "000000009"]
    assert tin_range_starts(con, "rows", 10) == ["000000000"]
    assert tin_range_starts(con, "rows", 50) == ["000000000"]
    with pytest.raises(ValueError, match="at least 1"):
        tin_range_starts(con, "rows", 0)


def test_a_bad_memory_setting_is_named(
    small_world: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MATCHGATE_PREPARE_MEMORY", "lots")
    with pytest.raises(MasterFileError, match=r"MATCHGATE_PREPARE_MEMORY.*'lots'"):
        prepare(small_world / "master.parquet", tmp_path / "ws")


def test_the_default_memory_limit_is_a_share_of_the_machine(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("MATCHGATE_PREPARE_MEMORY", raising=False)
    limit = build.preparation_memory_limit()
    assert limit.endswith("MB") and int(limit[:-2]) >= 1
    monkeypatch.setenv("MATCHGATE_PREPARE_MEMORY", " 6GB ")
    assert build.preparation_memory_limit() == "6GB"


@pytest.mark.parametrize(
    ("limit", "per_range"),
    [("1GiB", 13_421), ("8GiB", 107_374), ("64MiB", 5_000), ("64GiB", 200_000)],
)
def test_taxpayers_per_range_follow_the_memory_limit(limit: str, per_range: int) -> None:
    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{limit}'")
    assert build.features_taxpayers_per_range(con) == per_range
