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
from matchgate.batch.staging import read_staged_rows, stage_records
from matchgate.batch.state import BatchStages
from matchgate.intake import RequestRecord
from matchgate.match.features import load_master

SOURCE = Path(__file__).resolve().parents[2] / "src" / "matchgate"
MATCH_PACKAGE = SOURCE / "match"
# The ledger, the agency registry, the look-up store and the account store run their SQL
# through SQLAlchemy, not DuckDB.
SQLALCHEMY_MODULES = (
    "ledger/",
    "review/registry.py",
    "lookups/store.py",
    "accounts.py",
    "store/",
    "migrations/",
)
# DuckDB's own ways of running a statement; ``register``/``unregister`` belong to
# ``sql.registered``.
RUNNING_CALLS = {"execute", "executemany", "sql", "query", "unregister"}
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


def _modules() -> dict[str, ast.Module]:
    """Every module of matchgate but the executor and the SQLAlchemy ones, parsed."""
    modules = {}
    for path in sorted(SOURCE.rglob("*.py")):
        name = path.relative_to(SOURCE).as_posix()
        if name == "sql.py" or name.startswith(SQLALCHEMY_MODULES):
            continue
        modules[name] = ast.parse(path.read_text(encoding="utf-8"))
    return modules


def _imports_duckdb(tree: ast.Module) -> bool:
    return any(
        (isinstance(node, ast.Import) and any(a.name == "duckdb" for a in node.names))
        or (isinstance(node, ast.ImportFrom) and node.module == "duckdb")
        for node in ast.walk(tree)
    )


def _direct_sql_calls(tree: ast.Module) -> list[int]:
    """Lines calling DuckDB's execute/sql/query/unregister, or ``register`` with a view
    name (DuckDB's ``register(name, table)``). Splink's public ``db_api.register`` (its
    database API, not DuckDB's) and the CLI's ``register(app)`` are not SQL run by us."""
    lines = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        receiver = node.func.value
        splink = (isinstance(receiver, ast.Attribute) and receiver.attr == "db_api") or (
            isinstance(receiver, ast.Name) and receiver.id == "db_api"
        )
        named_register = (
            node.func.attr == "register"
            and not splink
            and bool(node.args)
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        )
        if node.func.attr in RUNNING_CALLS or named_register:
            lines.append(node.lineno)
    return lines


def test_the_scan_sees_every_module_that_uses_duckdb() -> None:
    modules = _modules()
    using = {name for name, tree in modules.items() if _imports_duckdb(tree)}
    expected = {
        *(f"batch/{m}.py" for m in ("ledger_entries", "pipeline", "repeats", "rows")),
        *(f"batch/{m}.py" for m in ("stages", "staging", "state", "workspace")),
        "disclose/response.py",
        "server/review_queue.py",
        "server/batch_folders.py",
        "match/features.py",
        "match/blocking.py",
        "match/engine.py",
    }
    assert expected <= using
    # The excluded SQLAlchemy modules would escape the check below if they took up DuckDB.
    for path in sorted(SOURCE.rglob("*.py")):
        name = path.relative_to(SOURCE).as_posix()
        if name.startswith(SQLALCHEMY_MODULES):
            assert not _imports_duckdb(ast.parse(path.read_text(encoding="utf-8"))), name


def test_the_scan_finds_a_direct_call() -> None:
    tree = ast.parse(
        "con.execute('SELECT 1')\n"
        "cursor.sql('SELECT 1')\n"
        "con.register('_t', table)\n"
        "con.unregister('_t')\n"
        "db_api.register(table, dataset_display_name='m')\n"
        "self.splink.db_api.register('pairs', table_name='p')\n"
        "commands.register(app)\n"
        "sql.run(con, 'SELECT 1', label='x')\n"
    )
    assert _direct_sql_calls(tree) == [1, 2, 3, 4]


def test_no_module_outside_the_executor_runs_duckdb_sql_itself() -> None:
    offenders = [
        f"{name}:{line}" for name, tree in _modules().items() for line in _direct_sql_calls(tree)
    ]
    assert not offenders, f"SQL run outside matchgate.sql: {offenders}"


def test_batch_staging_and_state_run_through_the_executor(
    con: duckdb.DuckDBPyConnection, capsys: pytest.CaptureFixture[str], debugging: None
) -> None:
    records = [
        RequestRecord(row_number=1, request_id="A", first_name="ANA", tin="987654321"),
        RequestRecord(row_number=2, request_id="B", first_name="LI"),
    ]
    assert stage_records(con, records) == 2
    assert [s.record for s in read_staged_rows(con)] == records
    state = BatchStages(con)
    state.mark("intake", {"rows_in": 2})
    assert state.info("intake") == {"rows_in": 2}
    err = capsys.readouterr().err
    labels = [m["label"] for m in map(LINE.match, err.splitlines()) if m]
    assert labels == [
        "staging.drop_request_rows",
        "staging.create_request_rows",
        "staging.insert_chunk",
        "staging.read_request_rows",
        "state.create",
        "state.mark",
        "state.checkpoint",
        "state.info",
    ]
    assert "987654321" not in err  # staged values travel in an Arrow table, never logged


def test_no_private_splink_attribute_in_the_match_package() -> None:
    offenders = [
        f"{path.name}:{node.lineno}"
        for path in sorted(MATCH_PACKAGE.glob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Attribute) and node.attr == "_db_api"
    ]
    assert not offenders
