"""The SQL executor: runs statements, and logs each with its time only when asked."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from matchgate import sql
from matchgate.match.features import load_master

MATCH_PACKAGE = Path(__file__).resolve().parents[2] / "src" / "matchgate" / "match"
LINE = re.compile(
    r"^matchgate-sql (?P<label>\S+)( FAILED)? (?P<ms>\d+\.\d\d) ms \((?P<n>\d+) params\): "
)


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    yield connection
    connection.close()


@pytest.fixture
def debugging(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(sql.DEBUG_ENVIRONMENT_VARIABLE, "1")


@pytest.mark.parametrize("value", [None, "0", "", "true", "yes"])
def test_silent_unless_the_variable_is_exactly_1(
    con: duckdb.DuckDBPyConnection,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    value: str | None,
) -> None:
    if value is None:
        monkeypatch.delenv(sql.DEBUG_ENVIRONMENT_VARIABLE, raising=False)
    else:
        monkeypatch.setenv(sql.DEBUG_ENVIRONMENT_VARIABLE, value)
    sql.run(con, "CREATE TABLE t AS SELECT 1 AS a", label="test.create")
    assert sql.fetch_int(con, "SELECT count(*) FROM t", label="test.count") == 1
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


def test_debug_logs_every_statement_with_label_time_and_one_line_text(
    con: duckdb.DuckDBPyConnection, capsys: pytest.CaptureFixture[str], debugging: None
) -> None:
    sql.run(con, "CREATE TABLE t AS\n    SELECT 1 AS a", label="test.create")
    sql.fetch_all(con, "SELECT a FROM t WHERE a = ?", [1], label="test.read")
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2
    first, second = (LINE.match(line) for line in lines)
    assert first and first["label"] == "test.create" and first["n"] == "0"
    assert lines[0].endswith(": CREATE TABLE t AS SELECT 1 AS a")
    assert second and second["label"] == "test.read" and second["n"] == "1"
    assert float(first["ms"]) >= 0.0


def test_debug_never_writes_parameter_values(
    con: duckdb.DuckDBPyConnection, capsys: pytest.CaptureFixture[str], debugging: None
) -> None:
    sql.fetch_one(con, "SELECT ? AS tin", ["987654321"], label="test.tin")
    err = capsys.readouterr().err
    assert "test.tin" in err and "(1 params)" in err
    assert "987654321" not in err


def test_a_failing_statement_is_logged_as_failed_and_the_error_goes_on(
    con: duckdb.DuckDBPyConnection, capsys: pytest.CaptureFixture[str], debugging: None
) -> None:
    with pytest.raises(duckdb.CatalogException):
        sql.run(con, "SELECT * FROM no_such_table", label="test.broken")
    line = capsys.readouterr().err.strip()
    match = LINE.match(line)
    assert match and match["label"] == "test.broken" and " FAILED " in line


def test_fetch_helpers(con: duckdb.DuckDBPyConnection) -> None:
    sql.run_all(
        con,
        ["CREATE TABLE t (a INTEGER)", "INSERT INTO t VALUES (1), (2), (3)"],
        label="test.setup",
    )
    assert sql.fetch_all(con, "SELECT a FROM t ORDER BY a", label="x") == [(1,), (2,), (3,)]
    assert sql.fetch_one(con, "SELECT a FROM t WHERE a > ?", [5], label="x") is None
    assert sql.fetch_int(con, "SELECT max(a) FROM t WHERE a > 5", label="x") == 0
    assert sql.fetch_int(con, "SELECT a FROM t WHERE a > 5", label="x") == 0
    assert sql.fetch_int(con, "SELECT sum(a) FROM t", label="x") == 6
    cursor = sql.run(con, "SELECT a FROM t ORDER BY a", label="x")
    assert cursor.fetchmany(2) == [(1,), (2,)]


def test_registered_table_is_gone_after_the_block_even_on_error(
    con: duckdb.DuckDBPyConnection,
) -> None:
    table = pa.table({"a": [1, 2]})
    with sql.registered(con, "_arrow_t", table):
        assert sql.fetch_int(con, "SELECT count(*) FROM _arrow_t", label="x") == 2
    with pytest.raises(RuntimeError), sql.registered(con, "_arrow_t", table):
        raise RuntimeError("stop")
    with pytest.raises(duckdb.CatalogException):
        sql.run(con, "SELECT * FROM _arrow_t", label="x")


def test_match_package_runs_its_sql_through_the_executor(
    con: duckdb.DuckDBPyConnection,
    capsys: pytest.CaptureFixture[str],
    debugging: None,
    tmp_path: Path,
) -> None:
    master = tmp_path / "master.csv"
    master.write_text(
        "tin,tax_year,first_name,last_name,dob,street,city,state,zip\n"
        "123456789,2023,ANA,DIAZ,1980-01-02,1 MAIN ST,AUSTIN,TX,73301\n",
        encoding="utf-8",
    )
    report = load_master(con, master)
    assert report.taxpayers == 1
    err = capsys.readouterr().err
    labels = {m["label"] for m in map(LINE.match, err.splitlines()) if m}
    assert {"features.master_columns", "features.master_raw", "features.master_rows"} <= labels
    assert str(master) not in err  # the file path is a parameter: never written


def test_no_module_of_the_match_package_calls_execute_itself() -> None:
    offenders = []
    for path in sorted(MATCH_PACKAGE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in {"execute", "executemany", "sql", "query"}
            ):
                offenders.append(f"{path.name}:{node.lineno}")
    assert not offenders, f"SQL run outside matchgate.sql: {offenders}"


def test_no_private_splink_attribute_in_the_match_package() -> None:
    offenders = [
        f"{path.name}:{node.lineno}"
        for path in sorted(MATCH_PACKAGE.glob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Attribute) and node.attr == "_db_api"
    ]
    assert not offenders
