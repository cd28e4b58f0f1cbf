"""Preparing a master file once for every batch and look-up, and adding a tax year to it.

``prepare`` reads the identity columns of the master file into DuckDB (as a batch did
before: :func:`matchgate.match.features.load_master`), standardizes each *distinct* name
and address once (in several processes when the master is large enough for that to pay),
builds the taxpayer features, namesakes, blocking-key tables and term frequencies, and
stores them in ``WORKSPACE/master/<key>/master.duckdb``. Preparing stays within a memory
limit (:func:`preparation_memory_limit`): DuckDB spills what it can, the features, which
it cannot, are built a range of TINs at a time, and each table a look-up reads by key is
written in key order as it is made (issue 12). The database is built in a
scratch folder and renamed into place only when complete, so a killed preparation leaves
nothing a batch could mistake for a prepared master.

``add_year`` copies a prepared master and extends the copy with one more file of filings:
only the names and addresses not seen before are standardized, only the taxpayers with a
new filing get their features rebuilt; the namesake, blocking-key and term-frequency
tables, which are set-based SQL over the features, are rebuilt whole. The result equals a
full preparation of the files together (``tests/master/test_add_year.py``).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from matchgate import sql
from matchgate.batch.workspace import connect_duckdb
from matchgate.errors import MasterFileError
from matchgate.master.cache import store_in_cache, take_from_cache
from matchgate.master.store import (
    DATABASE_NAME,
    MANIFEST_FORMAT,
    MANIFEST_NAME,
    POINT_READ_INDEXES,
    ROW_FETCHED_TABLES,
    STORAGE_VERSION,
    UNCOMPRESSED_STRING_METHODS,
    PreparedMaster,
    PreparedMasterError,
    cached_file_sha256,
    combined_sha256,
    current_key,
    folder_for,
    master_key,
    master_root,
    new_build_folder,
    open_prepared,
    preparation_lock,
    remove_folder,
    set_current,
)
from matchgate.master.version import (
    FEATURES_VERSION,
    STANDARDIZER_VERSION,
    standardizer_fingerprint,
)
from matchgate.match.blocking import build_key_tables
from matchgate.match.features import (
    MASTER_IDENTITY_COLUMNS,
    STANDARDIZED_STEPS,
    _master_relation_sql,
    build_taxpayer_features,
    insert_taxpayer_features_by_range,
    load_master,
    standardize_distinct,
    taxpayer_addresses_select,
    taxpayer_namesakes_sql,
)
from matchgate.match.model import term_frequency_sql

__all__ = ["Progress", "add_year", "ensure_prepared", "locate", "prepare"]

logger = logging.getLogger(__name__)

Progress = Callable[[str, int, int | None], None]

# Term-frequency columns of the match model (matchgate.match.model).
_TERM_FREQUENCY_COLUMNS = ("first_name", "surname_joined")
# Taxpayers whose features are built at a time (by ranges of TINs): None, as many as
# DuckDB's memory limit holds at _BYTES_PER_TAXPAYER each, within _TAXPAYERS_PER_RANGE.
# A GROUP BY that collects lists cannot spill: over a whole 200,000-person master it held
# 2.8 GB; 50,000 taxpayers at a time ran under a 1 GB limit, 100,000 did not (issue 12).
FEATURES_TAXPAYERS_PER_RANGE: int | None = None
_BYTES_PER_TAXPAYER = 80_000  # four times the ~20 KB measured
_TAXPAYERS_PER_RANGE = (5_000, 200_000)
# Below this many distinct values the processes cost more to start than they save.
PARALLEL_FROM_VALUES = 100_000
_WORKERS_VARIABLE = "MATCHGATE_PREPARE_WORKERS"
# DuckDB's memory during preparation: its joins, sorts and aggregates spill to a temporary
# folder beside the database instead of growing past it (DuckDB's own default is 80% of
# the machine's memory, which a 1,000,000-person master filled: issue 12).
_MEMORY_VARIABLE = "MATCHGATE_PREPARE_MEMORY"
# The default share of the machine's memory for DuckDB: the standardizing processes and
# Python's own objects come on top of it.
_MEMORY_SHARE = 1 / 3


def _no_progress(stage: str, done: int, total: int | None) -> None:
    return None


def standardizing_workers(
    distinct_values: int, *, parallel_from: int = PARALLEL_FROM_VALUES
) -> int:
    """Processes to standardize with: ``$MATCHGATE_PREPARE_WORKERS`` if set, else one per
    core for a large master (or batch: at least ``parallel_from`` values) and one for a
    small one."""
    configured = os.environ.get(_WORKERS_VARIABLE, "").strip()
    if configured:
        try:
            return max(1, int(configured))
        except ValueError:
            raise MasterFileError(
                f"${_WORKERS_VARIABLE} must be a whole number, not {configured!r}"
            ) from None
    if distinct_values < parallel_from:
        return 1
    return max(1, min(os.cpu_count() or 1, 8))


def preparation_memory_limit() -> str:
    """DuckDB's ``memory_limit`` for preparing: ``$MATCHGATE_PREPARE_MEMORY`` if set (a
    DuckDB size such as ``6GB``), else a third of the machine's memory."""
    configured = os.environ.get(_MEMORY_VARIABLE, "").strip()
    if configured:
        return configured
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        return "4GB"
    return f"{max(1, int(total * _MEMORY_SHARE) >> 20)}MB"


def _connect_for_preparing(database: Path) -> duckdb.DuckDBPyConnection:
    """The prepared database, opened with DuckDB's memory bounded for preparing
    (:func:`preparation_memory_limit`); what spills goes to DuckDB's temporary folder
    beside the database (``<database>.tmp``, in the build folder)."""
    con = connect_duckdb(database)
    limit = preparation_memory_limit()
    try:
        sql.run(con, "SET memory_limit = ?", [limit], label="master.memory")
    except duckdb.Error as exc:
        con.close()
        raise MasterFileError(
            f"${_MEMORY_VARIABLE} must be a DuckDB memory size such as 6GB, not {limit!r} ({exc})"
        ) from None
    return con


_SIZE_UNITS = {"bytes": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}


def _memory_limit_bytes(con: duckdb.DuckDBPyConnection) -> int | None:
    """DuckDB's memory limit in bytes (it shows it as ``953.6 MiB``), None if unreadable."""
    row = sql.fetch_one(con, "SELECT current_setting('memory_limit')", label="master.memory")
    number, _, unit = str(row[0] if row else "").partition(" ")
    try:
        return int(float(number) * _SIZE_UNITS[unit])
    except (ValueError, KeyError):
        return None


def features_taxpayers_per_range(con: duckdb.DuckDBPyConnection) -> int:
    """How many taxpayers' features to build at a time under ``con``'s memory limit."""
    if FEATURES_TAXPAYERS_PER_RANGE is not None:
        return FEATURES_TAXPAYERS_PER_RANGE
    low, high = _TAXPAYERS_PER_RANGE
    limit = _memory_limit_bytes(con)
    if limit is None:
        return low
    return max(low, min(high, limit // _BYTES_PER_TAXPAYER))


def _step_progress(progress: Progress, stage: str, total: int) -> Callable[[int], None]:
    return lambda done: progress(stage, done, total)


def _distinct_count(con: duckdb.DuckDBPyConnection, rows: str, columns: tuple[str, ...]) -> int:
    return sql.fetch_int(
        con,
        f"SELECT count(*) FROM (SELECT DISTINCT {', '.join(columns)} FROM {rows})",
        label="master.distinct",
    )


def _home(con: duckdb.DuckDBPyConnection) -> str:
    """The prepared database's own schema, fully qualified: a temporary table of the same
    name (``load_master`` makes ``master_rows`` one) would shadow a plain ``main.`` name."""
    name = sql.fetch_one(con, "SELECT current_database()", label="master.home")
    assert name is not None
    return '"' + str(name[0]).replace('"', '""') + '".main'


def _table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    tables = sql.fetch_all(
        con,
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = 'main' ORDER BY table_name",
        label="master.tables",
    )
    home = _home(con)
    return {
        str(t): sql.fetch_int(con, f'SELECT count(*) FROM {home}."{t}"', label="master.tables")
        for (t,) in tables
    }


def _persist_temp_tables(con: duckdb.DuckDBPyConnection, names: tuple[str, ...]) -> None:
    """Copy the temporary tables ``load_master``/``build_taxpayer_features`` leave into the
    prepared database, which ``add_year`` extends."""
    home = _home(con)
    for name in names:
        sql.run(
            con,
            f"CREATE OR REPLACE TABLE {home}.{name} AS SELECT * FROM temp.main.{name}",
            label="master.persist",
        )
        sql.run(con, f"DROP TABLE temp.main.{name}", label="master.persist")


# The key table -> the column it is stored in order of (:data:`POINT_READ_INDEXES`).
_ORDER_BY = {table: columns[0] for table, columns in POINT_READ_INDEXES.items()}


def _persist_ordered_rows(con: duckdb.DuckDBPyConnection) -> None:
    """Move the ``master_rows`` ``load_master`` leaves in a temporary table into the
    prepared database, in TIN order: once, instead of copied and then copied in order."""
    home = _home(con)
    sql.run_all(
        con,
        [
            f"CREATE OR REPLACE TABLE {home}.master_rows AS"
            " SELECT * FROM temp.main.master_rows ORDER BY tin",
            "DROP TABLE temp.main.master_rows",
        ],
        label="master.persist",
    )


def _derived_tables(
    con: duckdb.DuckDBPyConnection,
    progress: Progress,
    *,
    namesakes: bool,
    ordered: tuple[str, ...],
) -> None:
    """Namesakes (unless built already), blocking keys and term frequencies: set-based SQL
    over the features. ``ordered``: the tables written in key order already."""
    progress("master: namesakes and blocking keys", 0, 3)
    if namesakes:
        sql.run(con, taxpayer_namesakes_sql(ordered=True), label="master.namesakes")
    progress("master: namesakes and blocking keys", 1, 3)
    build_key_tables(con, _ORDER_BY)
    progress("master: namesakes and blocking keys", 2, 3)
    for column in _TERM_FREQUENCY_COLUMNS:
        sql.run(con, term_frequency_sql(column), label="master.term_frequencies")
    progress("master: namesakes and blocking keys", 3, 3)
    written_in_order = {"taxpayer_namesakes", *_KEY_TABLES, *ordered}
    _lay_out_for_point_reads(con, progress, written_in_order)
    _store_for_row_fetches(con)


# The blocking-key tables ``build_key_tables`` writes in key order (given ``_ORDER_BY``).
_KEY_TABLES = tuple(table for table in POINT_READ_INDEXES if table.startswith("mk_"))


def _lay_out_for_point_reads(
    con: duckdb.DuckDBPyConnection, progress: Progress, written_in_order: set[str]
) -> None:
    """Store every table a look-up reads by key (:data:`POINT_READ_INDEXES`) ordered by that
    key, with an ART index on each key column: a look-up's joins then read the rows of its
    own keys only (DuckDB turns a small join side into an index look-up), whatever the size
    of the master. ``master_rows`` is ordered by TIN too (``add_year`` reads it so). A table
    in ``written_in_order`` was written in that order and is only indexed. The tables of
    :data:`ROW_FETCHED_TABLES` are left to :func:`_store_for_row_fetches`, which writes them
    again in order, uncompressed, and indexes them: ordered or indexed here too, each would
    be copied or indexed twice."""
    home = _home(con)
    tables = {
        table: columns
        for table, columns in {"master_rows": ("tin",), **POINT_READ_INDEXES}.items()
        if table not in ROW_FETCHED_TABLES
    }
    for done, (table, columns) in enumerate(tables.items()):
        progress("master: ordering and indexing", done, len(tables))
        if table not in written_in_order:
            _rewrite_in_order(con, f"{home}.{table}", table, columns[0])
        if table in POINT_READ_INDEXES:
            for column in columns:
                sql.run(
                    con,
                    f"CREATE INDEX {table}__{column} ON {home}.{table} ({column})",
                    label="master.index",
                )
    progress("master: ordering and indexing", len(tables), len(tables))


def _rewrite_in_order(
    con: duckdb.DuckDBPyConnection, qualified: str, table: str, column: str
) -> None:
    """Copy ``qualified`` (the table ``table`` of the prepared database) in ``column`` order
    and put the copy in its place."""
    ordered = f"{qualified}__ordered"
    sql.run_all(
        con,
        [
            f"CREATE OR REPLACE TABLE {ordered} AS SELECT * FROM {qualified} ORDER BY {column}",
            f"DROP TABLE {qualified}",
            f"ALTER TABLE {ordered} RENAME TO {table}",
        ],
        label="master.order",
    )


def _store_for_row_fetches(con: duckdb.DuckDBPyConnection) -> None:
    """Store the tables a look-up reads its candidates' rows from
    (:data:`ROW_FETCHED_TABLES`) again with their strings uncompressed, ordered by their
    first key and with an index on each key (:data:`POINT_READ_INDEXES`; the layout step
    leaves these three to this one). A row fetched through the index from a dictionary- or
    FSST-compressed string column costs the decoding of its whole vector: at 200,000 people
    the candidates' 15 rows of ``taxpayer_features`` took 30-50 ms, uncompressed 7-9 ms
    (benchmarks/RESULTS.md). The setting counts when rows are written to disk: every other
    table is checkpointed before it is set, and these after."""
    home = _home(con)
    sql.run_all(
        con,
        ["CHECKPOINT", f"SET disabled_compression_methods = '{UNCOMPRESSED_STRING_METHODS}'"],
        label="master.row_fetches",
    )
    try:
        for table in ROW_FETCHED_TABLES:
            columns = POINT_READ_INDEXES[table]
            copy = f"{home}.{table}__uncompressed"
            sql.run_all(
                con,
                [
                    f"CREATE OR REPLACE TABLE {copy} AS"
                    f" SELECT * FROM {home}.{table} ORDER BY {columns[0]}",
                    f"DROP TABLE {home}.{table}",
                    f"ALTER TABLE {copy} RENAME TO {table}",
                    *(
                        f"CREATE INDEX {table}__{column} ON {home}.{table} ({column})"
                        for column in columns
                    ),
                ],
                label="master.row_fetches",
            )
        sql.run(con, "CHECKPOINT", label="master.row_fetches")
    finally:
        sql.run(con, "RESET disabled_compression_methods", label="master.row_fetches")


def _manifest(
    con: duckdb.DuckDBPyConnection,
    *,
    key: str,
    sources: list[dict[str, object]],
    problems: dict[str, int],
    raw_rows: int,
    parent: str | None,
    workers: int,
) -> dict[str, Any]:
    home = _home(con)
    years = sql.fetch_all(
        con, f"SELECT DISTINCT tax_year FROM {home}.master_rows ORDER BY 1", label="master.years"
    )
    return {
        "format": MANIFEST_FORMAT,
        "key": key,
        "content_sha256": combined_sha256([str(s["sha256"]) for s in sources]),
        "sources": sources,
        "parent": parent,
        "standardizer_version": STANDARDIZER_VERSION,
        "features_version": FEATURES_VERSION,
        "storage_version": STORAGE_VERSION,
        "standardizer_fingerprint": standardizer_fingerprint(),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "rows": raw_rows,
        "rows_kept": sql.fetch_int(con, f"SELECT count(*) FROM {home}.master_rows", label="m"),
        "taxpayers": sql.fetch_int(
            con, f"SELECT count(*) FROM {home}.taxpayer_features", label="master.manifest"
        ),
        "distinct_names": sql.fetch_int(
            con, f"SELECT count(*) FROM {home}.std_master_names", label="master.manifest"
        ),
        "distinct_addresses": sql.fetch_int(
            con, f"SELECT count(*) FROM {home}.std_master_addresses", label="master.manifest"
        ),
        "tax_years": [int(y) for (y,) in years],
        "problems": dict(sorted(problems.items())),
        "standardizing_workers": workers,
        "tables": _table_counts(con),
    }


def _finish(
    workspace: Path, build: Path, con: duckdb.DuckDBPyConnection, manifest: dict[str, Any]
) -> PreparedMaster:
    """Close the finished database, write the manifest, move the folder into place."""
    sql.run(con, "CHECKPOINT", label="master.checkpoint")
    con.close()
    (build / MANIFEST_NAME).write_text(
        json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    target = folder_for(workspace, str(manifest["key"]))
    remove_folder(target)
    build.rename(target)
    set_current(workspace, str(manifest["key"]))
    return open_prepared(target)


def _check_usable(report_taxpayers: int, path: Path) -> None:
    if report_taxpayers == 0:
        raise MasterFileError(
            "no usable row: every row lacks a valid TIN, tax year or last name", path=path
        )


def prepare(
    master_file: Path,
    workspace: Path,
    *,
    progress: Progress = _no_progress,
    workers: int | None = None,
    force: bool = False,
) -> PreparedMaster:
    """Prepare ``master_file`` in ``workspace`` (or return the master prepared from the
    same content by this standardizer already, unless ``force``). With
    ``$MATCHGATE_MASTER_CACHE`` set, a master prepared before from the same content under
    the same key is copied from that folder (:mod:`matchgate.master.cache`), unless
    ``force``, and a master prepared here is kept there."""
    if not master_file.is_file():
        raise MasterFileError("file not found", path=master_file)
    progress("master: hashing the file", 0, None)
    sha = cached_file_sha256(master_file)
    key = master_key(sha)
    if not force and folder_for(workspace, key).exists():
        try:  # prepared already: no need to wait for the lock
            return open_prepared(folder_for(workspace, key))
        except PreparedMasterError:
            pass  # checked again, and prepared again, under the lock
    with preparation_lock(workspace):
        folder = folder_for(workspace, key)
        if folder.exists() and not force:
            try:
                return open_prepared(folder)
            except PreparedMasterError as exc:
                logger.warning("preparing the master again: %s", exc)
        if not force:
            cached = take_from_cache(workspace, master_file, sha=sha, key=key)
            if cached is not None:
                return cached
        build = new_build_folder(workspace, key)
        try:
            prepared = _prepare_into(
                build, workspace, master_file, sha=sha, key=key, progress=progress, workers=workers
            )
        except BaseException:
            shutil.rmtree(build, ignore_errors=True)
            raise
        store_in_cache(prepared)
        return prepared


def _prepare_into(
    build: Path,
    workspace: Path,
    master_file: Path,
    *,
    sha: str,
    key: str,
    progress: Progress,
    workers: int | None,
) -> PreparedMaster:
    con = _connect_for_preparing(build / DATABASE_NAME)
    try:
        progress("master: reading the file", 0, None)
        report = load_master(con, master_file)
        _check_usable(report.taxpayers, master_file)
        _persist_ordered_rows(con)
        totals = {
            step: _distinct_count(con, "master_rows", columns)
            for step, (columns, _, _) in STANDARDIZED_STEPS.items()
        }
        used = workers if workers is not None else standardizing_workers(max(totals.values()))
        build_taxpayer_features(
            con,
            progress=lambda step, n: progress(f"master: standardizing {step}", n, totals[step]),
            workers=used,
            taxpayers_per_range=features_taxpayers_per_range(con),
        )
        _persist_temp_tables(con, ("std_master_names", "std_master_addresses"))
        _derived_tables(  # the namesakes are built with the features
            con,
            progress,
            namesakes=False,
            ordered=("master_rows", "taxpayer_features", "taxpayer_addresses"),
        )
        manifest = _manifest(
            con,
            key=key,
            sources=[{"path": str(master_file), "sha256": sha}],
            problems=report.problems,
            raw_rows=report.rows,
            parent=None,
            workers=used,
        )
    except BaseException:
        con.close()
        raise
    return _finish(workspace, build, con, manifest)


def locate(master: Path, workspace: Path) -> tuple[str, Path | None]:
    """(key, folder of an existing prepared master) for ``--master``: a master file, or a
    prepared master's folder (one extended by ``add-year``). Only hashes; prepares nothing."""
    if master.is_dir():
        prepared = open_prepared(master)
        return prepared.key, master
    if not master.is_file():
        raise MasterFileError("file not found", path=master)
    key = master_key(cached_file_sha256(master))
    folder = folder_for(workspace, key)
    return key, folder if folder.exists() else None


def ensure_prepared(
    master: Path, workspace: Path, *, progress: Progress = _no_progress
) -> PreparedMaster:
    """The prepared master for ``--master`` (a file or a prepared master's folder),
    preparing the file first if it is not prepared, or is corrupt or stale."""
    if master.is_dir():
        return open_prepared(master)
    return prepare(master, workspace, progress=progress)


def _year_file_check(con: duckdb.DuckDBPyConnection, path: Path, years: list[int]) -> None:
    """A year file must only hold tax years not prepared yet: adding a year twice, or
    filings of a year already in the master, would silently replace filings. The error
    names the first such row (counted from the first row after the header)."""
    relation, params = _master_relation_sql(path)
    found = {
        str(row[0]).lower(): str(row[0])
        for row in sql.fetch_all(
            con, f"DESCRIBE SELECT * FROM {relation}", params, label="master.year_columns"
        )
    }
    if "tax_year" not in found:
        return  # load_master names the missing column
    hit = sql.fetch_one(
        con,
        f"""SELECT row, year FROM (
                SELECT row_number() OVER () AS row,
                       try_cast(trim(CAST("{found["tax_year"]}" AS VARCHAR)) AS INTEGER) AS year
                FROM {relation})
            WHERE list_contains(?, year) ORDER BY row LIMIT 1""",
        [*params, years],
        label="master.year_check",
    )
    if hit is not None:
        raise MasterFileError(
            f"tax year {hit[1]} is prepared already (years prepared: "
            f"{', '.join(map(str, years))}); add-year takes filings of a new tax year only",
            path=path,
            row=int(hit[0]),
            field="tax_year",
        )


def _base_for(workspace: Path, base: Path | None) -> PreparedMaster:
    if base is not None:
        return open_prepared(base)
    key = current_key(workspace)
    if key is None:
        raise PreparedMasterError(
            "no master is prepared in this workspace; run `matchgate master prepare` first",
            path=master_root(workspace),
        )
    return open_prepared(folder_for(workspace, key))


def add_year(
    year_file: Path,
    workspace: Path,
    *,
    base: Path | None = None,
    progress: Progress = _no_progress,
) -> PreparedMaster:
    """A new prepared master: ``base`` (default: the workspace's current one) with the
    filings of ``year_file`` added. The base is left as it was, so batches run against it
    keep their identity."""
    if not year_file.is_file():
        raise MasterFileError("file not found", path=year_file)
    with preparation_lock(workspace):
        parent = _base_for(workspace, base)
        sha = cached_file_sha256(year_file)
        sources = [*parent.manifest["sources"], {"path": str(year_file), "sha256": sha}]
        key = master_key(combined_sha256([str(s["sha256"]) for s in sources]))
        folder = folder_for(workspace, key)
        if folder.exists():
            try:
                prepared = open_prepared(folder)
                set_current(workspace, key)
                return prepared
            except PreparedMasterError as exc:
                logger.warning("adding the year again: %s", exc)
        build = new_build_folder(workspace, key)
        try:
            progress("master: copying the prepared master", 0, None)
            shutil.copyfile(parent.database, build / DATABASE_NAME)
            con = _connect_for_preparing(build / DATABASE_NAME)
            try:
                manifest = _extend(
                    con, year_file, parent, sources=sources, key=key, progress=progress
                )
            except BaseException:
                con.close()
                raise
            return _finish(workspace, build, con, manifest)
        except BaseException:
            shutil.rmtree(build, ignore_errors=True)
            raise


def _extend(
    con: duckdb.DuckDBPyConnection,
    year_file: Path,
    parent: PreparedMaster,
    *,
    sources: list[dict[str, object]],
    key: str,
    progress: Progress,
) -> dict[str, Any]:
    """Add the rows of ``year_file`` to the prepared tables in ``con``."""
    _year_file_check(con, year_file, [int(y) for y in parent.manifest["tax_years"]])
    progress("master: reading the year's file", 0, None)
    report = load_master(con, year_file)  # temp.master_rows: the new year's usable rows
    _check_usable(report.taxpayers, year_file)
    columns = ", ".join(MASTER_IDENTITY_COLUMNS)
    home = _home(con)
    # The taxpayers with a new filing: their rows now, kept one per (tin, tax_year) in the
    # order a full preparation keeps them.
    sql.run_all(
        con,
        [
            "CREATE TEMP TABLE touched AS SELECT DISTINCT tin FROM temp.master_rows",
            f"""CREATE TEMP TABLE touched_rows AS
                SELECT {columns} FROM (
                    SELECT *, row_number() OVER (
                        PARTITION BY tin, tax_year ORDER BY street, first_name, last_name
                    ) AS copy_number
                    FROM (SELECT {columns} FROM {home}.master_rows
                          WHERE tin IN (SELECT tin FROM touched)
                          UNION ALL SELECT {columns} FROM temp.master_rows))
                WHERE copy_number = 1""",
            f"DELETE FROM {home}.master_rows WHERE tin IN (SELECT tin FROM touched)",
            f"INSERT INTO {home}.master_rows SELECT {columns} FROM touched_rows",
        ],
        label="master.add_year_rows",
    )
    for step, (key_columns, function, schema) in STANDARDIZED_STEPS.items():
        keys = ", ".join(key_columns)
        known = ", ".join(f"key_{c}" for c in key_columns)
        total = sql.fetch_int(
            con,
            f"SELECT count(*) FROM (SELECT DISTINCT {keys} FROM touched_rows "
            f"EXCEPT SELECT {known} FROM {home}.std_master_{step})",
            label="master.add_year_new_values",
        )
        standardize_distinct(
            con,
            source_sql=f"SELECT {keys} FROM touched_rows EXCEPT SELECT {known} "
            f"FROM {home}.std_master_{step}",
            key_columns=key_columns,
            function=function,
            schema=schema,
            target=f"new_std_{step}",
            progress=_step_progress(progress, f"master: standardizing new {step}", total),
            workers=standardizing_workers(total),
        )
        matched = " AND ".join(f"s.key_{c} = m.{c}" for c in key_columns)
        sql.run_all(
            con,
            [
                f"INSERT INTO {home}.std_master_{step} SELECT * FROM temp.new_std_{step}",
                # A value whose only row a new filing replaced is no longer in the master.
                f"""DELETE FROM {home}.std_master_{step} s WHERE NOT EXISTS (
                        SELECT 1 FROM {home}.master_rows m WHERE {matched})""",
            ],
            label="master.add_year_standardized",
        )
    progress("master: rebuilding the touched taxpayers", 0, None)
    touched_rows = f"(SELECT * FROM {home}.master_rows WHERE tin IN (SELECT tin FROM touched))"
    sql.run_all(
        con,
        [
            f"DELETE FROM {home}.taxpayer_addresses WHERE tin IN (SELECT tin FROM touched)",
            f"INSERT INTO {home}.taxpayer_addresses "
            + taxpayer_addresses_select(touched_rows, f"{home}.std_master_addresses"),
            f"DELETE FROM {home}.taxpayer_features WHERE unique_id IN (SELECT tin FROM touched)",
        ],
        label="master.add_year_features",
    )
    # By ranges of TINs, as a preparation builds them: in bounded memory.
    insert_taxpayer_features_by_range(
        con,
        f"{home}.taxpayer_features",
        touched_rows,
        f"{home}.std_master_names",
        f"{home}.taxpayer_addresses",
        features_taxpayers_per_range(con),
    )
    for name in ("master_rows", "touched", "touched_rows", "new_std_names", "new_std_addresses"):
        sql.run(con, f"DROP TABLE IF EXISTS temp.main.{name}", label="master.add_year_cleanup")
    # master_rows, taxpayer_features and taxpayer_addresses had rows deleted and added.
    _derived_tables(con, progress, namesakes=True, ordered=())
    problems = dict(parent.manifest["problems"])
    for code, count in report.problems.items():
        problems[code] = problems.get(code, 0) + count
    return _manifest(
        con,
        key=key,
        sources=sources,
        problems=problems,
        raw_rows=int(parent.manifest["rows"]) + report.rows,
        parent=parent.key,
        workers=1,
    )
