"""The prepared master's storage layout (``STORAGE_VERSION`` 2 on): every table a look-up
reads by key stored in key order with an ART index per key column, the tables it fetches
its candidates' rows from with their strings uncompressed (3 on), after ``prepare`` and
after ``add_year``; a master prepared in the older layout is refused and prepared again."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from matchgate.master import PreparedMasterError, add_year, ensure_prepared, open_prepared, prepare
from matchgate.master.store import (
    POINT_READ_INDEXES,
    ROW_FETCHED_TABLES,
    STORAGE_VERSION,
    PreparedMaster,
)

# DuckDB's names (pragma_storage_info) of the string compressions a row fetch decodes whole.
_VECTOR_DECODED = ("Dictionary", "FSST", "DICT_FSST", "ZSTD")


def _compressions(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    rows = con.execute(f"SELECT DISTINCT compression FROM pragma_storage_info('{table}')")
    return {str(name) for (name,) in rows.fetchall()}


def _assert_laid_out(prepared: PreparedMaster) -> None:
    con = duckdb.connect(str(prepared.database), read_only=True)
    try:
        indexes = {
            (str(table), str(sql).replace('"', ""))
            for table, sql in con.execute(
                "SELECT table_name, sql FROM duckdb_indexes() WHERE schema_name = 'main'"
            ).fetchall()
        }
        for table, columns in POINT_READ_INDEXES.items():
            rows = con.execute(f'SELECT count(*) FROM "{table}"').fetchone()
            assert rows is not None and rows[0] > 0, table
            for column in columns:
                assert any(t == table and f"({column})" in sql for t, sql in indexes), (
                    table,
                    column,
                    indexes,
                )
            # Stored in the order of its first key: no row follows a larger key.
            unordered = con.execute(
                f"""SELECT count(*) FROM (
                        SELECT {columns[0]} AS k, lag({columns[0]}) OVER (ORDER BY rowid) AS p
                        FROM "{table}") WHERE p > k"""
            ).fetchone()
            assert unordered == (0,), table
        for table in ROW_FETCHED_TABLES:
            assert not _compressions(con, table) & set(_VECTOR_DECODED), table
        # (DuckDB does compress other tables so: the check above would see it.)
        assert _compressions(con, "master_rows") & set(_VECTOR_DECODED)
        leftovers = con.execute(
            "SELECT table_name FROM duckdb_tables()"
            " WHERE ends_with(table_name, '__ordered') OR ends_with(table_name, '__uncompressed')"
        ).fetchall()
        assert leftovers == []
    finally:
        con.close()


def test_prepare_orders_and_indexes_what_look_ups_read(small_world: Path, tmp_path: Path) -> None:
    prepared = prepare(small_world / "master.parquet", tmp_path / "ws")
    assert prepared.manifest["storage_version"] == STORAGE_VERSION
    assert f".{STORAGE_VERSION}-" in prepared.key
    _assert_laid_out(prepared)


def test_add_year_keeps_the_layout(small_world: Path, tmp_path: Path) -> None:
    master = small_world / "master.parquet"
    con = duckdb.connect()
    latest = con.execute(f"SELECT max(tax_year) FROM read_parquet('{master}')").fetchone()
    assert latest is not None
    base, year = tmp_path / "base.parquet", tmp_path / "year.parquet"
    con.execute(
        f"COPY (SELECT * FROM read_parquet('{master}') WHERE tax_year < {latest[0]})"
        f" TO '{base}' (FORMAT parquet)"
    )
    con.execute(
        f"COPY (SELECT * FROM read_parquet('{master}') WHERE tax_year = {latest[0]})"
        f" TO '{year}' (FORMAT parquet)"
    )
    con.close()
    workspace = tmp_path / "ws"
    prepare(base, workspace)
    _assert_laid_out(add_year(year, workspace))


def test_a_master_of_the_older_layout_is_prepared_again(small_world: Path, tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    prepared = prepare(small_world / "master.parquet", workspace)
    manifest = json.loads((prepared.folder / "manifest.json").read_text())
    del manifest["storage_version"]  # as layout 1 wrote it
    (prepared.folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(PreparedMasterError, match="another storage layout") as caught:
        open_prepared(prepared.folder)
    assert "prepare the master again" in str(caught.value)
    # (A master of layout 1 also has another key: its suffix lacks the storage version.)
    again = ensure_prepared(small_world / "master.parquet", workspace)
    assert again.manifest["storage_version"] == STORAGE_VERSION
    _assert_laid_out(again)
