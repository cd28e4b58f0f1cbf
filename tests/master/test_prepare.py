"""``matchgate.master.prepare``: the master file standardized once, checked on every use."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from matchgate.batch.workspace import connect_duckdb
from matchgate.errors import MasterFileError
from matchgate.master import (
    PreparedMasterError,
    ensure_prepared,
    master_status,
    open_prepared,
    prepare,
)
from matchgate.master.store import ATTACHED_AS, attach_prepared
from matchgate.master.version import STANDARDIZER_VERSION
from matchgate.match import prepare_master

# What a batch built in its own database before there was a prepared master.
BATCH_TABLES = (
    "taxpayer_features",
    "taxpayer_addresses",
    "taxpayer_namesakes",
    "mk_address",
    "mk_street",
    "mk_zip_surname",
    "mk_locator",
    "mk_city_locator",
    "mk_name",
    "mk_number_zip",
    "mk_dob_zip",
    "mk_person",
)


@pytest.fixture(scope="module")
def prepared_space(small_world: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    workspace = tmp_path_factory.mktemp("prepared-ws")
    prepare(small_world / "master.parquet", workspace)
    return workspace


Rows = Callable[[duckdb.DuckDBPyConnection, str], list[tuple[object, ...]]]


def test_prepared_tables_equal_what_a_batch_built_itself(
    small_world: Path, prepared_space: Path, tmp_path: Path, rows_of: Rows
) -> None:
    prepared = ensure_prepared(small_world / "master.parquet", prepared_space)
    old = connect_duckdb(tmp_path / "old.duckdb")
    report, taxpayers = prepare_master(old, small_world / "master.parquet")
    new = duckdb.connect(str(prepared.database), read_only=True)
    for table in BATCH_TABLES:
        assert rows_of(new, table) == rows_of(old, table), table
    assert prepared.taxpayers == taxpayers == 300
    assert prepared.report()["rows"] == report.rows
    assert prepared.report()["problems"] == report.problems
    assert (
        prepared.manifest["distinct_names"]
        == new.execute(
            "SELECT count(*) FROM (SELECT DISTINCT first_name, middle_name, last_name, suffix "
            "FROM master_rows)"
        ).fetchone()[0]
    )


def test_parallel_standardization_gives_the_same_tables(
    small_world: Path, prepared_space: Path, tmp_path: Path, rows_of: Rows
) -> None:
    serial = open_prepared(ensure_prepared(small_world / "master.parquet", prepared_space).folder)
    parallel = prepare(small_world / "master.parquet", tmp_path / "ws", workers=2)
    assert parallel.manifest["standardizing_workers"] == 2
    a = duckdb.connect(str(serial.database), read_only=True)
    b = duckdb.connect(str(parallel.database), read_only=True)
    for table in (*BATCH_TABLES, "std_master_names", "std_master_addresses"):
        assert rows_of(a, table) == rows_of(b, table), table


def test_prepared_once_then_reused(small_world: Path, prepared_space: Path) -> None:
    first = ensure_prepared(small_world / "master.parquet", prepared_space)
    again = prepare(small_world / "master.parquet", prepared_space)
    assert again.folder == first.folder
    assert again.manifest["created_at"] == first.manifest["created_at"]
    [entry] = master_status(prepared_space)
    assert entry["usable"] and entry["current"] and entry["taxpayers"] == 300
    assert entry["size_bytes"] > 0 and entry["standardizer_version"] == STANDARDIZER_VERSION


def test_a_batch_reads_the_prepared_master_without_copying_it(
    small_world: Path, prepared_space: Path, tmp_path: Path
) -> None:
    prepared = ensure_prepared(small_world / "master.parquet", prepared_space)
    con = connect_duckdb(tmp_path / "batch.duckdb")
    attach_prepared(con, prepared)
    assert con.execute("SELECT count(*) FROM taxpayer_features").fetchone() == (300,)
    main_tables = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()"
    ).fetchall()
    assert main_tables == []
    with pytest.raises(duckdb.Error, match="read-only|read only"):
        con.execute(f"DELETE FROM {ATTACHED_AS}.taxpayer_features")


def test_missing_master_file(tmp_path: Path) -> None:
    with pytest.raises(MasterFileError, match="file not found") as caught:
        prepare(tmp_path / "nowhere.parquet", tmp_path / "ws")
    assert "nowhere.parquet" in str(caught.value)


def test_master_without_a_required_column(tmp_path: Path) -> None:
    master = tmp_path / "master.csv"
    master.write_text("tin,tax_year,first_name,last_name\n123456789,2024,ANA,RUIZ\n")
    with pytest.raises(MasterFileError, match="required column.*dob") as caught:
        prepare(master, tmp_path / "ws")
    assert str(master) in str(caught.value)
    assert not [p for p in (tmp_path / "ws" / "master").iterdir() if p.is_dir()]


def test_master_without_a_usable_row(tmp_path: Path) -> None:
    master = tmp_path / "master.csv"
    master.write_text(
        "tin,tax_year,first_name,last_name,dob,street,city,state,zip\n"
        "12-34,2024,ANA,RUIZ,1970-01-01,1 MAIN ST,AUSTIN,TX,78701\n"
    )
    with pytest.raises(MasterFileError, match="no usable row"):
        prepare(master, tmp_path / "ws")


def _copy_of(small_world: Path, tmp_path: Path) -> tuple[Path, Path]:
    workspace = tmp_path / "ws"
    prepared = prepare(small_world / "master.parquet", workspace)
    return workspace, prepared.folder


def test_a_corrupt_database_is_refused_then_prepared_again(
    small_world: Path, tmp_path: Path
) -> None:
    workspace, folder = _copy_of(small_world, tmp_path)
    database = folder / "master.duckdb"
    database.write_bytes(database.read_bytes()[: database.stat().st_size // 3])
    with pytest.raises(PreparedMasterError, match="corrupt"):
        open_prepared(folder)
    [entry] = master_status(workspace)
    assert not entry["usable"] and "corrupt" in str(entry["problem"])
    again = ensure_prepared(small_world / "master.parquet", workspace)
    assert again.folder == folder and again.taxpayers == 300


def test_a_table_that_lost_rows_is_refused(small_world: Path, tmp_path: Path) -> None:
    _, folder = _copy_of(small_world, tmp_path)
    con = duckdb.connect(str(folder / "master.duckdb"))
    con.execute("DELETE FROM taxpayer_addresses WHERE tax_year = 2024")
    con.close()
    with pytest.raises(PreparedMasterError, match="taxpayer_addresses holds"):
        open_prepared(folder)


def test_a_master_from_another_standardizer_version(small_world: Path, tmp_path: Path) -> None:
    workspace, folder = _copy_of(small_world, tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["standardizer_version"] = "0"
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(PreparedMasterError, match="another standardizer") as caught:
        open_prepared(folder)
    assert "prepare the master again" in str(caught.value)
    # Named as --master it is an error (matchgate cannot re-prepare what it has no file
    # for); from the master file it is prepared again.
    with pytest.raises(PreparedMasterError):
        ensure_prepared(folder, workspace)
    again = ensure_prepared(small_world / "master.parquet", workspace)
    assert again.manifest["standardizer_version"] == STANDARDIZER_VERSION


def test_a_missing_manifest(small_world: Path, tmp_path: Path) -> None:
    _, folder = _copy_of(small_world, tmp_path)
    (folder / "manifest.json").unlink()
    with pytest.raises(PreparedMasterError, match="manifest cannot be read"):
        open_prepared(folder)


def test_a_changed_master_file_is_a_new_prepared_master(small_world: Path, tmp_path: Path) -> None:
    workspace, folder = _copy_of(small_world, tmp_path)
    changed = tmp_path / "changed.parquet"
    con = duckdb.connect()
    con.execute(
        f"COPY (SELECT * FROM read_parquet('{small_world / 'master.parquet'}') "
        f"WHERE tax_year < 2025) TO '{changed}' (FORMAT parquet)"
    )
    other = ensure_prepared(changed, workspace)
    assert other.folder != folder and other.key != open_prepared(folder).key
    assert 2025 not in other.manifest["tax_years"]
    shutil.rmtree(other.folder)
