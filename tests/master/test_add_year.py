"""``matchgate.master.add_year``: a new tax year added equals a full preparation of both."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from matchgate.errors import MasterFileError
from matchgate.master import PreparedMasterError, add_year, build, master_status, prepare
from matchgate.master.store import current_key

Rows = Callable[[duckdb.DuckDBPyConnection, str], list[tuple[object, ...]]]


def _split(world: Path, folder: Path) -> tuple[Path, Path, Path, int]:
    """(earlier years, the latest year, both together, the latest year)."""
    master = world / "master.parquet"
    con = duckdb.connect()
    latest = con.execute(f"SELECT max(tax_year) FROM read_parquet('{master}')").fetchone()[0]
    base, year, union = folder / "base.parquet", folder / "year.parquet", folder / "all.parquet"
    source = f"read_parquet('{master}')"
    con.execute(
        f"COPY (SELECT * FROM {source} WHERE tax_year < {latest}) TO '{base}' (FORMAT parquet)"
    )
    con.execute(
        f"COPY (SELECT * FROM {source} WHERE tax_year = {latest}) TO '{year}' (FORMAT parquet)"
    )
    con.execute(
        f"COPY (SELECT * FROM '{base}' UNION ALL SELECT * FROM '{year}') TO '{union}' "
        "(FORMAT parquet)"
    )
    return base, year, union, int(latest)


def _tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        t
        for (t,) in con.execute(
            "SELECT table_name FROM duckdb_tables() ORDER BY table_name"
        ).fetchall()
    ]


@pytest.mark.parametrize("per_range", [None, 7], ids=["one-range", "43-ranges"])
def test_adding_a_year_equals_preparing_both_files(
    small_world: Path,
    tmp_path: Path,
    rows_of: Rows,
    per_range: int | None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # With 7 taxpayers a range the features are built, and rebuilt, 7 at a time (issue 12).
    monkeypatch.setattr(build, "FEATURES_TAXPAYERS_PER_RANGE", per_range)
    base, year, union, latest = _split(small_world, tmp_path)
    workspace = tmp_path / "ws"
    first = prepare(base, workspace)
    assert latest not in first.manifest["tax_years"]
    extended = add_year(year, workspace)
    full = prepare(union, tmp_path / "full-ws")

    assert extended.key != first.key and extended.manifest["parent"] == first.key
    assert current_key(workspace) == extended.key
    assert first.folder.exists()  # batches run against the base keep their master
    a = duckdb.connect(str(extended.database), read_only=True)
    b = duckdb.connect(str(full.database), read_only=True)
    assert _tables(a) == _tables(b)
    for table in _tables(b):
        assert rows_of(a, table) == rows_of(b, table), table
    for figure in ("taxpayers", "rows_kept", "distinct_names", "distinct_addresses", "tax_years"):
        assert extended.manifest[figure] == full.manifest[figure], figure
    assert extended.manifest["rows"] == full.manifest["rows"]
    assert [s["path"] for s in extended.manifest["sources"]] == [str(base), str(year)]
    statuses = {entry["key"]: entry for entry in master_status(workspace)}
    assert statuses[extended.key]["current"] and not statuses[first.key]["current"]


def test_adding_a_year_already_prepared_names_the_row(small_world: Path, tmp_path: Path) -> None:
    base, year, _, latest = _split(small_world, tmp_path)
    workspace = tmp_path / "ws"
    prepare(base, workspace)
    add_year(year, workspace)
    again = tmp_path / "again.csv"
    again.write_text(
        "tin,tax_year,first_name,last_name,dob,street,city,state,zip\n"
        f"123456789,{latest + 1},ANA,RUIZ,1970-01-01,1 MAIN ST,AUSTIN,TX,78701\n"
        f"123456780,{latest},LUIS,RUIZ,1971-01-01,1 MAIN ST,AUSTIN,TX,78701\n"
    )
    with pytest.raises(MasterFileError) as caught:
        add_year(again, workspace)
    error = caught.value
    assert (error.path, error.row, error.field) == (str(again), 2, "tax_year")
    assert f"tax year {latest} is prepared already" in str(error)


def test_adding_a_year_without_a_prepared_master(small_world: Path, tmp_path: Path) -> None:
    _, year, _, _ = _split(small_world, tmp_path)
    with pytest.raises(PreparedMasterError, match="no master is prepared"):
        add_year(year, tmp_path / "empty-ws")


def test_adding_a_missing_year_file(small_world: Path, tmp_path: Path) -> None:
    with pytest.raises(MasterFileError, match="file not found"):
        add_year(tmp_path / "2026.parquet", tmp_path / "ws")


def test_a_year_file_without_a_required_column(small_world: Path, tmp_path: Path) -> None:
    base, _, _, _ = _split(small_world, tmp_path)
    workspace = tmp_path / "ws"
    prepare(base, workspace)
    bad = tmp_path / "bad.csv"
    bad.write_text("tin,tax_year,first_name,last_name\n123456789,2031,ANA,RUIZ\n")
    with pytest.raises(MasterFileError, match="required column") as caught:
        add_year(bad, workspace)
    assert str(bad) in str(caught.value)
    assert [p.name for p in (workspace / "master").iterdir() if p.name.startswith(".build")] == []
