"""Whether two prepared masters hold the same tables, row for row (issue 12).

    PYTHONPATH=src .venv/bin/python benchmarks/compare_prepared.py A/master.duckdb B/master.duckdb

Every table of the ``main`` schema of either database is compared: the same columns of the
same types, the same number of rows, and no row of one missing from the other counted with
its repeats (``EXCEPT ALL`` both ways), and the same indexes.

The lists a ``GROUP BY`` collects (a taxpayer's address history: ``list_distinct(list(..))``)
come in the order DuckDB's threads met the rows, which differs between two preparations of
one file by the same code (measured: 3,018 of 30,000 taxpayers' history lists on two runs
of one commit). So by default a table that differs is compared again with every list column
sorted, and a table equal then is reported as differing in list order only, which is not
counted; ``--strict`` counts it.

    PYTHONPATH=src .venv/bin/python benchmarks/compare_prepared.py [--strict] A.duckdb B.duckdb

Prints each difference; exit status 1 if any.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

from matchgate import sql


def _tables(con: duckdb.DuckDBPyConnection, database: str) -> list[str]:
    rows = sql.fetch_all(
        con,
        "SELECT table_name FROM duckdb_tables() WHERE database_name = ? AND schema_name = 'main'"
        " ORDER BY table_name",
        [database],
        label="compare.tables",
    )
    return [str(name) for (name,) in rows]


def _columns(con: duckdb.DuckDBPyConnection, database: str, table: str) -> list[tuple[str, str]]:
    rows = sql.fetch_all(
        con,
        "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = ? "
        "AND schema_name = 'main' AND table_name = ? ORDER BY column_index",
        [database, table],
        label="compare.columns",
    )
    return [(str(name), str(kind)) for name, kind in rows]


def _indexes(con: duckdb.DuckDBPyConnection, database: str) -> list[tuple[str, str, str]]:
    rows = sql.fetch_all(
        con,
        "SELECT index_name, table_name, sql FROM duckdb_indexes() WHERE database_name = ? "
        "ORDER BY index_name",
        [database],
        label="compare.indexes",
    )
    return [(str(a), str(b), " ".join(str(c).split())) for a, b, c in rows]


def _rows_only_in(
    con: duckdb.DuckDBPyConnection, table: str, columns: list[tuple[str, str]], *, sort: bool
) -> tuple[int, int]:
    """Rows of ``a.table`` not in ``b.table`` and the other way, counted with repeats; with
    ``sort`` every list column is sorted first."""
    select = ", ".join(
        f'list_sort("{name}") AS "{name}"' if sort and kind.endswith("[]") else f'"{name}"'
        for name, kind in columns
    )
    counts = []
    for one, other in (("a", "b"), ("b", "a")):
        counts.append(
            sql.fetch_int(
                con,
                f'SELECT count(*) FROM (SELECT {select} FROM {one}.main."{table}" '
                f'EXCEPT ALL SELECT {select} FROM {other}.main."{table}")',
                label="compare.rows",
            )
        )
    return counts[0], counts[1]


def compare(
    left: Path, right: Path, *, strict: bool = False, notes: list[str] | None = None
) -> list[str]:
    """The differences between the prepared tables of ``left`` and ``right`` (none: equal).
    Unless ``strict``, a table whose rows differ only in the order inside list columns is
    not a difference: it is added to ``notes``."""
    con = duckdb.connect()
    try:
        sql.run(con, "SET enable_progress_bar = false", label="compare.setup")
        sql.run(con, f"ATTACH '{left}' AS a (READ_ONLY)", label="compare.attach")
        sql.run(con, f"ATTACH '{right}' AS b (READ_ONLY)", label="compare.attach")
        found: list[str] = []
        a_tables, b_tables = _tables(con, "a"), _tables(con, "b")
        for name in sorted(set(a_tables) ^ set(b_tables)):
            found.append(f"table {name}: only in {'left' if name in a_tables else 'right'}")
        for table in sorted(set(a_tables) & set(b_tables)):
            columns = _columns(con, "a", table)
            if columns != _columns(con, "b", table):
                found.append(f"table {table}: columns differ")
                continue
            counts = [
                sql.fetch_int(con, f'SELECT count(*) FROM {db}.main."{table}"', label="compare")
                for db in ("a", "b")
            ]
            if counts[0] != counts[1]:
                found.append(f"table {table}: {counts[0]:,} rows left, {counts[1]:,} right")
            exact = _rows_only_in(con, table, columns, sort=False)
            if not any(exact):
                continue
            sorted_lists = (0, 0) if strict else _rows_only_in(con, table, columns, sort=True)
            if strict or any(sorted_lists):
                shown = exact if strict else sorted_lists
                found.append(
                    f"table {table}: {shown[0]:,} row(s) only left, {shown[1]:,} only right"
                    + ("" if strict else " (list columns sorted)")
                )
            elif notes is not None:
                notes.append(
                    f"table {table}: {exact[0]:,} row(s) differ in the order inside lists only"
                )
        if _indexes(con, "a") != _indexes(con, "b"):
            found.append("indexes differ")
        return found
    finally:
        con.close()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    strict = "--strict" in args
    args = [a for a in args if a != "--strict"]
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    notes: list[str] = []
    differences = compare(Path(args[0]), Path(args[1]), strict=strict, notes=notes)
    for line in notes:
        print(f"note: {line}")
    for line in differences:
        print(line)
    print(f"{len(differences)} difference(s)")
    return 1 if differences else 0


if __name__ == "__main__":
    raise SystemExit(main())
