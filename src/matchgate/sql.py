"""The one place matchgate runs SQL on DuckDB, so every statement can be seen and timed.

SQL text is built by pure functions next to the code that needs it (``build_..._sql()``
returning a string, values left as ``?`` parameters); this module only runs it. Each call
names the statement with a short ``label`` ("features.taxpayer_addresses"), which is what a
reader of the debug log searches the code for.

    from matchgate import sql

    sql.run(con, create_table_sql(), label="stage.create")          # -> the DuckDB result
    rows = sql.fetch_all(con, "SELECT a, b FROM t WHERE c = ?", [c], label="stage.read")
    row = sql.fetch_one(con, "SELECT min(a), max(a) FROM t", label="stage.range")
    count = sql.fetch_int(con, "SELECT count(*) FROM t", label="stage.count")   # 0 if NULL
    sql.run_all(con, build_key_tables_sql(), label="blocking.key_tables")
    with sql.registered(con, "_rows_arrow", arrow_table):   # unregistered on the way out
        sql.run(con, "CREATE TABLE rows AS SELECT * FROM _rows_arrow", label="stage.rows")

``run`` returns what ``con.execute`` returns, so a large result can still be streamed with
``fetchmany``; the time logged is the time of the ``execute`` call.

Debugging: with ``MATCHGATE_DEBUG_SQL=1`` in the environment every statement is written to
standard error as it finishes, one line each::

    matchgate-sql features.master_rows 12.41 ms (2 params): CREATE OR REPLACE TEMP TABLE ...

and a statement that fails is written with ``FAILED`` before the error goes on up. Parameter
values are never written, only their number: they can be taxpayer data, and the log is not a
place a disclosure may go. Without the variable (or with any other value) nothing is written.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import duckdb

__all__ = [
    "DEBUG_ENVIRONMENT_VARIABLE",
    "fetch_all",
    "fetch_int",
    "fetch_one",
    "registered",
    "run",
    "run_all",
]

DEBUG_ENVIRONMENT_VARIABLE = "MATCHGATE_DEBUG_SQL"

Params = Sequence[object] | None


def _debugging() -> bool:
    # Read on every call, so a test or a long-lived server can switch it without a restart.
    return os.environ.get(DEBUG_ENVIRONMENT_VARIABLE) == "1"


def _log(label: str, sql: str, params: Params, seconds: float, *, failed: bool) -> None:
    count = len(params) if params else 0
    status = " FAILED" if failed else ""
    text = " ".join(sql.split())
    print(
        f"matchgate-sql {label}{status} {seconds * 1000:.2f} ms ({count} params): {text}",
        file=sys.stderr,
        flush=True,
    )


def run(
    con: duckdb.DuckDBPyConnection, sql: str, params: Params = None, *, label: str
) -> duckdb.DuckDBPyConnection:
    """Execute one statement with its ``?`` parameters bound; returns the DuckDB result."""
    if not _debugging():
        return con.execute(sql, params) if params is not None else con.execute(sql)
    started = time.perf_counter()
    try:
        result = con.execute(sql, params) if params is not None else con.execute(sql)
    except BaseException:
        _log(label, sql, params, time.perf_counter() - started, failed=True)
        raise
    _log(label, sql, params, time.perf_counter() - started, failed=False)
    return result


def run_all(con: duckdb.DuckDBPyConnection, statements: Iterable[str], *, label: str) -> None:
    """Execute statements in order (no parameters), each logged as ``label``."""
    for statement in statements:
        run(con, statement, label=label)


def fetch_all(
    con: duckdb.DuckDBPyConnection, sql: str, params: Params = None, *, label: str
) -> list[tuple[Any, ...]]:
    """Every row of a query."""
    return run(con, sql, params, label=label).fetchall()


def fetch_one(
    con: duckdb.DuckDBPyConnection, sql: str, params: Params = None, *, label: str
) -> tuple[Any, ...] | None:
    """The first row of a query, or ``None`` when it has none."""
    return run(con, sql, params, label=label).fetchone()


def fetch_int(
    con: duckdb.DuckDBPyConnection, sql: str, params: Params = None, *, label: str
) -> int:
    """The first column of the first row as an ``int``; 0 when there is no row or it is NULL."""
    row = fetch_one(con, sql, params, label=label)
    return int(row[0]) if row and row[0] is not None else 0


@contextmanager
def registered(con: duckdb.DuckDBPyConnection, name: str, table: object) -> Iterator[None]:
    """Make a Python object (an Arrow table) queryable as view ``name`` for the block."""
    con.register(name, table)
    try:
        yield
    finally:
        con.unregister(name)
