"""Splink's ``predict``, recorded once as the SQL it runs and replayed for every set of pairs.

Splink's ``predict`` regenerates its whole pipeline (settings, comparison SQL, sqlglot
parsing and rewriting) on every call, and writes its tables wherever the connection's
default catalog is. :func:`compile_predict` runs it once over an empty table of blocked
pairs and keeps the statements it executed; :class:`CompiledPredict` runs them again,
verbatim and in order, for the pairs the table holds then. Splink's SQL depends on the
settings and the tables' columns, not on the data, so the scores are the ones ``predict``
would give (``tests/match/test_compiled_predict.py`` checks that against ``predict``
itself). Look-ups (:mod:`matchgate.match.compiled`) chain the statements into one PREPAREd
query; a batch (:class:`matchgate.match.engine.BatchScorer`) reads them per chunk through
TEMP views.

Building a linker and running ``predict`` once costs about 1.5 s (Splink parses and
rewrites its SQL with sqlglot), which every batch paid again for the same statements. So
:func:`cached_predict` keeps what :func:`compile_predict` recorded in a folder (the prepared
master's, beside its model) under :func:`predict_fingerprint`: a digest of everything the
text depends on (the settings, the prior among them; every input table's columns and types,
in order; the sources' names; the versions of Splink, sqlglot, DuckDB and this format).
Anything different is another file.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import duckdb
import splink
import sqlglot

from matchgate import sql
from matchgate.errors import MatchgateError, WorkspaceError
from matchgate.ledger._files import write_atomically
from matchgate.match.model import SOURCE_MASTER, SOURCE_REQUESTS, MatchLinker

__all__ = [
    "PREDICTIONS",
    "CompiledPredict",
    "CompiledPredictError",
    "cached_predict",
    "compile_predict",
    "predict_fingerprint",
]

# The format of a cached file; a change to what is recorded or how it is replayed bumps it.
CACHE_FORMAT = 1

# The table Splink's predict pipeline ends in (its name carries a hash suffix).
PREDICTIONS = "__splink__df_predict"


class CompiledPredictError(MatchgateError):
    """Splink's ``predict`` did not run the statements this module expects (another Splink
    version): nothing is scored rather than scored differently."""


class CompiledPredict:
    """The statements Splink's ``predict`` runs for the registered blocked pairs, in order,
    each as ``(table, select)``; the last one makes the predictions."""

    def __init__(self, statements: list[tuple[str, str]]) -> None:
        if not statements or not statements[-1][0].startswith(PREDICTIONS):
            raise CompiledPredictError(
                "Splink's predict ran no prediction statement this version of matchgate knows"
                f" (ran: {', '.join(name for name, _ in statements) or 'nothing'})"
            )
        self.statements = statements

    @property
    def predictions(self) -> str:
        return self.statements[-1][0]

    def create_views(self, con: duckdb.DuckDBPyConnection) -> str:
        """Every statement as a TEMP view, each reading the ones before it; returns the
        predictions' view. Nothing is computed until a query reads it, and then only what
        that query's columns need: DuckDB inlines the views and prunes the columns nobody
        reads, so Splink's wide tables (every input column of both sides, the address
        histories' lists among them) are never materialized. Materialized (as TEMP tables)
        they were more than half of a batch's scoring (``benchmarks/RESULTS.md``,
        "Splink's predict read through views"); written to the batch file, with their
        checkpoints, more again ("Splink's scoring in memory")."""
        for table, select in self.statements:
            sql.run(
                con, f"CREATE OR REPLACE TEMP VIEW {table} AS\n{select}", label="compiled.predict"
            )
        return self.predictions

    def drop_views(self, con: duckdb.DuckDBPyConnection) -> None:
        for table, _ in reversed(self.statements):
            sql.run(con, f"DROP VIEW IF EXISTS {table}", label="compiled.predict")

    def drop(self, con: duckdb.DuckDBPyConnection) -> None:
        """Drop the tables Splink made when the statements were recorded."""
        for table, _ in self.statements:
            sql.run(con, f"DROP TABLE IF EXISTS {table}", label="compiled.predict")

    def chained(self) -> str:
        """Every statement as one query: each recorded table a CTE of the next ones (the
        text of each unchanged), the predictions selected from the last."""
        ctes = ",\n".join(f"{table} AS (\n{select}\n)" for table, select in self.statements)
        return f"WITH {ctes}\nSELECT * FROM {self.predictions}"

    def prepare(self, con: duckdb.DuckDBPyConnection, *, into: str, name: str) -> None:
        """Create the TEMP table ``into`` of the predictions' columns and PREPARE ``name``,
        which fills it from the inputs as they are when it is executed."""
        chained = self.chained()
        sql.run(
            con,
            f"CREATE OR REPLACE TEMP TABLE {into} AS SELECT * FROM ({chained}) LIMIT 0",
            label="compiled.predict",
        )
        sql.run(con, f"PREPARE {name} AS INSERT INTO {into}\n{chained}", label="compiled.predict")


def compile_predict(
    con: duckdb.DuckDBPyConnection,
    match_linker: MatchLinker,
    *,
    blocked_pairs: str,
) -> CompiledPredict:
    """Register ``blocked_pairs`` (it must exist, with Splink's three columns) for predict,
    run ``predict`` once and return what it ran as a :class:`CompiledPredict`.

    The statements are recorded where Splink's DuckDB API executes them
    (``DatabaseAPI._execute_sql``, which turns a pipeline's SQL into ``CREATE TABLE``), so
    the text kept is exactly the text Splink generated."""
    db_api = match_linker.db_api
    recorded: list[tuple[str, str]] = []
    execute: Callable[[str, str], Any] = db_api._execute_sql

    def recording(sql_text: str, templated_name: str) -> Any:
        frame = execute(sql_text, templated_name)
        recorded.append((str(frame.physical_name), sql_text))
        return frame

    pairs = db_api.register(blocked_pairs, table_name=f"matchgate_{blocked_pairs}")
    match_linker.linker.table_management.register_blocked_pairs_for_predict(pairs)
    # An instance attribute shadows the (final) method for this one call only.
    setattr(db_api, "_execute_sql", recording)  # noqa: B010
    try:
        predictions = match_linker.linker.inference.predict(warning_mode="never")
    finally:
        delattr(db_api, "_execute_sql")  # noqa: B043
    compiled = CompiledPredict(recorded)
    if predictions.physical_name != compiled.predictions:
        raise CompiledPredictError(
            f"Splink's predictions came from {predictions.physical_name}, not the last"
            f" statement it ran ({compiled.predictions})"
        )
    predictions.drop_table_from_database_and_remove_from_cache()
    compiled.drop(con)
    return compiled


def predict_fingerprint(
    con: duckdb.DuckDBPyConnection, settings: dict[str, Any], *, tables: Sequence[str]
) -> str:
    """A digest of what Splink's predict SQL is generated from: ``settings``, the columns
    (name and type, in order) of every table in ``tables`` in the order given (its inputs,
    the term-frequency tables and the blocked pairs), the sources' names, and the versions
    of Splink, sqlglot, DuckDB and :data:`CACHE_FORMAT`."""
    # A list, not a mapping: the order of the inputs (which side is ``_l``) is part of it.
    columns = [
        [
            table,
            [
                [str(name), str(kind)]
                for name, kind, *_ in sql.fetch_all(
                    con, f"DESCRIBE {table}", label="predict_sql.fingerprint"
                )
            ],
        ]
        for table in tables
    ]
    document = {
        "format": CACHE_FORMAT,
        "splink": splink.__version__,
        "sqlglot": sqlglot.__version__,
        "duckdb": duckdb.__version__,
        # the names Splink writes into the SQL as each side's source_dataset
        "sources": [SOURCE_MASTER, SOURCE_REQUESTS],
        "settings": settings,
        "tables": columns,
    }
    text = json.dumps(document, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _read_cached(path: Path) -> CompiledPredict | None:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        statements = [(str(table), str(select)) for table, select in document["statements"]]
        return CompiledPredict(statements)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, CompiledPredictError) as exc:
        # A damaged file is recorded again, never replayed.
        logging.getLogger(__name__).warning("ignoring cached predict SQL %s: %s", path, exc)
        return None


def _binds(con: duckdb.DuckDBPyConnection, compiled: CompiledPredict, path: Path) -> bool:
    """Whether a recording read from ``path`` runs here (its views bind, its predictions
    can be read); one that does not is recorded again rather than failing every batch."""
    try:
        predictions = compiled.create_views(con)
        sql.run(con, f"SELECT * FROM {predictions} LIMIT 0", label="predict_sql.check")
        return True
    except duckdb.Error as exc:
        logging.getLogger(__name__).warning("ignoring cached predict SQL %s: %s", path, exc)
        return False
    finally:
        compiled.drop_views(con)


def _write_cached(path: Path, compiled: CompiledPredict) -> None:
    document = {"format": CACHE_FORMAT, "statements": compiled.statements}
    try:
        write_atomically(path, json.dumps(document, indent=1).encode("utf-8"))
    except WorkspaceError as exc:  # a read-only folder: the batch goes on, the next records anew
        logging.getLogger(__name__).warning("could not cache predict SQL in %s: %s", path, exc)


def cached_predict(
    con: duckdb.DuckDBPyConnection,
    settings: dict[str, Any],
    *,
    folder: Path | None,
    tables: Sequence[str],
    blocked_pairs: str,
    make_linker: Callable[[], MatchLinker],
) -> CompiledPredict:
    """The statements ``compile_predict`` records for ``settings`` over ``tables`` (which
    must include ``blocked_pairs``), from ``folder`` when recorded there before, else
    recorded now (``make_linker`` is called only then) and kept there. ``folder=None``
    records every time."""
    if folder is None:
        return compile_predict(con, make_linker(), blocked_pairs=blocked_pairs)
    path = folder / f"predict-{predict_fingerprint(con, settings, tables=tables)}.json"
    cached = _read_cached(path)
    if cached is not None and _binds(con, cached, path):
        return cached
    compiled = compile_predict(con, make_linker(), blocked_pairs=blocked_pairs)
    _write_cached(path, compiled)
    return compiled
