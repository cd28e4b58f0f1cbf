"""Scoring the candidate pairs with Splink's Spark backend (``--engine spark``).

What runs where:

* DuckDB, in the driver, as with the DuckDB engine: the master file's features, the
  request features, the term-frequency tables (from the whole master file), the candidate
  pairs (``matchgate.match.blocking``), and after scoring the decisions
  (``matchgate.match.decide``), the disclosures and the ledger.
* Spark: Splink's ``predict`` over the blocked pairs of each chunk: the comparison
  levels, the term-frequency adjustments and the match weights and probabilities. The
  model is the one trained with DuckDB (the same m and u of every level, the same prior).

The tables cross as Parquet files in a scratch folder (:func:`scratch_folder`: inside the
batch's own folder, never the system's temporary folder, as it holds personal data): the
features of the taxpayers that have a candidate pair, the request features, the
term-frequency tables and each chunk's blocked pairs go to Spark; the predictions come back
and become ``scored_pairs`` in DuckDB, which is what the DuckDB engine builds from its own
predictions.

The comparisons are written in DuckDB SQL. :func:`to_spark_sql` translates each level's
condition to Spark SQL with sqlglot, and replaces the two functions whose Spark versions
differ: ``len`` of a list becomes ``size``, and ``jaro_winkler_similarity`` becomes
:func:`jaro_winkler_sql`, a Spark SQL expression that computes exactly what DuckDB computes
(Splink's Scala ``jaro_winkler`` gives other values for some pairs: MICHEAL / MIRCAHEL is
0.93 in DuckDB and 0.91 there, which would move a pair across the 0.92 threshold).
``damerau_levenshtein`` is Splink's Scala function, translated only where a condition
compares it with ``<= 1``, where every Damerau-Levenshtein variant agrees (one edit or none).

A comparison with a level the translator refuses (the tolerant address levels compare the
distance with ``<= 2`` for long names, inside lambdas over ``places[]``) is not translated
at all: DuckDB computes its level for every candidate pair before anything goes to Spark,
with the model's own conditions in the model's order (:func:`precomputed_levels_sql`), and
ships it as one list per level on the request side: the taxpayers (``unique_id_l``) whose
pair with that request takes the level. Spark's conditions for that comparison only test
membership (:func:`precomputed_condition`), so its levels are DuckDB's by construction.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import duckdb
import sqlglot
from sqlglot import exp

from matchgate import sql
from matchgate.errors import MatchgateError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession
    from splink import Linker

__all__ = [
    "ENGINES",
    "SparkScorer",
    "SparkUnavailableError",
    "check_engine",
    "check_spark_available",
    "jaro_winkler_sql",
    "local_spark_session",
    "precomputed_columns",
    "precomputed_comparisons",
    "precomputed_condition",
    "precomputed_levels_sql",
    "scratch_folder",
    "spark_settings",
    "to_spark_sql",
]

ENGINES = ("duckdb", "spark")

# Table names inside Spark (temporary views of the session).
_MASTER_VIEW = "matchgate_taxpayer_features"
_REQUESTS_VIEW = "matchgate_request_features"


class SparkUnavailableError(MatchgateError):
    """``--engine spark`` was asked for but pyspark or a Java runtime is missing."""


def check_spark_available() -> None:
    """Raise :class:`SparkUnavailableError` naming what is missing."""
    if importlib.util.find_spec("pyspark") is None:
        raise SparkUnavailableError(
            "--engine spark needs pyspark, which is not installed (pip install 'matchgate[spark]')"
        )
    java_home = os.environ.get("JAVA_HOME")
    java = Path(java_home) / "bin" / "java" if java_home else None
    if not (java is not None and java.exists()) and shutil.which("java") is None:
        raise SparkUnavailableError(
            "--engine spark needs a Java runtime (17 or later): no `java` on PATH and "
            "JAVA_HOME is not set (Debian: apt-get install default-jre-headless)"
        )


def check_engine(engine: str) -> None:
    """A clear error for an unknown engine, or for ``spark`` without pyspark or Java."""
    if engine not in ENGINES:
        raise MatchgateError(f"unknown engine {engine!r}: use one of {', '.join(ENGINES)}")
    if engine == "spark":
        check_spark_available()
        _shared_scratch()


# --- DuckDB SQL -> Spark SQL -------------------------------------------------------------

_names = itertools.count()


def _fresh(prefix: str) -> str:
    return f"{prefix}{next(_names)}"


def jaro_winkler_sql(a: str, b: str) -> str:
    """A Spark SQL expression equal to DuckDB's ``jaro_winkler_similarity(a, b)``.

    DuckDB's (rapidfuzz's) algorithm: the window is ``max(len) / 2 - 1``; each character
    of ``b``, in order, matches the first unmatched equal character of ``a`` within the
    window; transpositions are the matched characters that differ when both strings' matches
    are read in order, halved (integer division); Jaro is ``(m/len_a + m/len_b + (m-t)/m)/3``
    summed in that order; two one-letter strings are 1 or 0; an empty string gives 0; above
    0.7 the common prefix (at most 4) adds ``prefix * 0.1 * (1 - jaro)``. Standardized
    values are ASCII, so DuckDB's bytes and Spark's characters are the same thing. Values
    are bound once each with ``element_at(transform(array(value), name -> ...), 1)``.
    """
    s, acc, j, i, k, f, c, sim = (
        _fresh(p) for p in ("jws", "jwacc", "jwj", "jwi", "jwk", "jwf", "jwc", "jwsim")
    )
    la, lb = f"length({s}.a)", f"length({s}.b)"
    bound = f"(greatest({la}, {lb}) div 2 - 1)"
    # the first free equal character of a within the window of b's j-th character
    pick = (
        f"array_min(filter(sequence(1, {la}), {i} -> {i} >= {j} - {bound} "
        f"AND {i} <= {j} + {bound} AND substr({s}.a, {i}, 1) = substr({s}.b, {j}, 1) "
        f"AND NOT array_contains({acc}.p, {i})))"
    )
    q = _fresh("jwq")
    step = _bind(
        pick,
        q,
        f"CASE WHEN {q} IS NULL THEN {acc} ELSE named_struct("
        f"'p', concat({acc}.p, array({q})), 't', concat({acc}.t, array({j}))) END",
    )
    flagged = (
        f"aggregate(sequence(1, {lb}), named_struct('p', CAST(array() AS ARRAY<INT>), "
        f"'t', CAST(array() AS ARRAY<INT>)), ({acc}, {j}) -> {step})"
    )
    x, y, z = _fresh("jwx"), _fresh("jwy"), _fresh("jwz")
    transpositions = (
        f"size(filter(zip_with(array_sort({f}.p), {f}.t, ({x}, {y}) -> "
        f"substr({s}.a, {x}, 1) <> substr({s}.b, {y}, 1)), {z} -> {z})) div 2"
    )
    counts = _bind(flagged, f, f"named_struct('m', size({f}.t), 't', {transpositions})")
    m, t = f"CAST({c}.m AS DOUBLE)", f"CAST({c}.t AS DOUBLE)"
    jaro = (
        f"CASE WHEN {c}.m = 0 THEN CAST(0 AS DOUBLE) ELSE "
        f"(({m} / CAST({la} AS DOUBLE) + {m} / CAST({lb} AS DOUBLE)) + ({m} - {t}) / {m}) "
        f"/ CAST(3 AS DOUBLE) END"
    )
    prefix = (
        f"size(filter(sequence(1, least(4, {la}, {lb})), {k} -> "
        f"substr({s}.a, 1, {k}) = substr({s}.b, 1, {k})))"
    )
    winkler = (
        f"CASE WHEN {sim} > CAST(0.7 AS DOUBLE) THEN {sim} + CAST({prefix} AS DOUBLE) "
        f"* CAST(0.1 AS DOUBLE) * (CAST(1 AS DOUBLE) - {sim}) ELSE {sim} END"
    )
    body = (
        f"CASE WHEN {s}.a IS NULL OR {s}.b IS NULL THEN CAST(NULL AS DOUBLE) "
        f"WHEN {la} = 0 OR {lb} = 0 THEN CAST(0 AS DOUBLE) "
        f"WHEN {la} = 1 AND {lb} = 1 THEN "
        f"CASE WHEN {s}.a = {s}.b THEN CAST(1 AS DOUBLE) ELSE CAST(0 AS DOUBLE) END "
        f"ELSE {_bind(counts, c, _bind(jaro, sim, winkler))} END"
    )
    return _bind(f"named_struct('a', {a}, 'b', {b})", s, body)


def _bind(value: str, name: str, body: str) -> str:
    """``body`` with ``name`` bound to ``value`` (evaluated once)."""
    return f"element_at(transform(array({value}), {name} -> {body}), 1)"


_SPARK = sqlglot.Dialect.get_or_raise("spark")


def _spark_text(node: exp.Expr) -> str:
    """sqlglot's Spark SQL for a parsed expression (no SQL is run here)."""
    return _SPARK.generate(node)


def _replace_functions(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.JarowinklerSimilarity):
        a = _spark_text(node.this)
        b = _spark_text(node.expression)
        return cast(exp.Expression, sqlglot.parse_one(jaro_winkler_sql(a, b), read="spark"))
    if isinstance(node, exp.Length) and isinstance(node.this, exp.ArrayFilter):
        return exp.ArraySize(this=node.this)
    if isinstance(node, exp.ArrayOverlaps):
        return exp.Anonymous(this="arrays_overlap", expressions=[node.this, node.expression])
    return node


_ALLOWED_DAMERAU = "damerau_levenshtein"


def to_spark_sql(condition: str) -> str:
    """One comparison level's DuckDB condition as Spark SQL (see the module docstring)."""
    if condition.strip().upper() == "ELSE":
        return condition
    tree = sqlglot.parse_one(condition, read="duckdb")
    # sqlglot's transform does not descend into a node it has just replaced, so repeat it
    # until nothing changes (a list length around a Jaro-Winkler inside a lambda)
    translated = tree
    for _ in range(20):
        before = _spark_text(translated)
        translated = translated.transform(_replace_functions)
        if _spark_text(translated) == before:
            break
    for call in translated.find_all(exp.Anonymous):
        name = str(call.this).lower()
        if name == _ALLOWED_DAMERAU:
            parent = call.parent
            if not (isinstance(parent, exp.LTE) and _spark_text(parent.expression) == "1"):
                raise ValueError(
                    f"damerau_levenshtein is only translated when compared with <= 1: {condition}"
                )
    return _spark_text(translated)


def _translates(condition: str) -> bool:
    try:
        to_spark_sql(condition)
    except ValueError:
        return False
    return True


def precomputed_comparisons(settings: dict[str, Any]) -> tuple[str, ...]:
    """The comparisons (output column names) with a level :func:`to_spark_sql` refuses:
    DuckDB computes their levels (:func:`precomputed_levels_sql`)."""
    return tuple(
        comparison["output_column_name"]
        for comparison in settings["comparisons"]
        if not all(_translates(level["sql_condition"]) for level in comparison["comparison_levels"])
    )


_PRECOMPUTED_PREFIX = "matchgate_level_"


def precomputed_column(comparison: str, index: int) -> str:
    """The request-side list of the taxpayers whose pair takes level ``index`` (its place
    in the comparison's list of levels) of ``comparison``."""
    return f"{_PRECOMPUTED_PREFIX}{comparison}_{index}"


def precomputed_condition(comparison: str, index: int, unique_id: str = "unique_id") -> str:
    """Spark SQL: the pair takes that level, as DuckDB computed it. Only the request side
    (the right) carries the lists; the master side has them NULL."""
    return f"array_contains({precomputed_column(comparison, index)}_r, {unique_id}_l)"


def precomputed_columns(settings: dict[str, Any], comparisons: tuple[str, ...]) -> list[str]:
    return [
        precomputed_column(comparison["output_column_name"], index)
        for comparison in settings["comparisons"]
        if comparison["output_column_name"] in comparisons
        for index, _ in _levels_with_conditions(comparison)
    ]


def _levels_with_conditions(comparison: dict[str, Any]) -> list[tuple[int, str]]:
    return [
        (index, level["sql_condition"])
        for index, level in enumerate(comparison["comparison_levels"])
        if level["sql_condition"].strip().upper() != "ELSE"
    ]


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    rows = sql.fetch_all(con, f"DESCRIBE {table}", label="spark.precompute")
    return [str(row[0]) for row in rows]


def precomputed_levels_sql(
    con: duckdb.DuckDBPyConnection,
    settings: dict[str, Any],
    comparisons: tuple[str, ...],
    *,
    into: str = "spark_precomputed_levels",
) -> str:
    """DuckDB SQL creating ``into``: per request (``rid``) and per level of each of
    ``comparisons`` (``precomputed_column``), the list of taxpayers of its candidate pairs
    that take that level. Each comparison's level is Splink's: the model's DuckDB
    conditions verbatim, over ``<column>_l`` (``taxpayer_features``) and ``<column>_r``
    (``request_features``), the first that holds in the model's order; a condition that
    is NULL does not hold, as in Splink's ``CASE``."""
    unique_id = settings.get("unique_id_column_name", "unique_id")
    sides = [f'l."{column}" AS "{column}_l"' for column in _columns(con, "taxpayer_features")] + [
        f'r."{column}" AS "{column}_r"' for column in _columns(con, "request_features")
    ]
    cases, lists = [], []
    for comparison in settings["comparisons"]:
        name = comparison["output_column_name"]
        if name not in comparisons:
            continue
        levels = _levels_with_conditions(comparison)
        whens = " ".join(f"WHEN ({condition}) THEN {index}" for index, condition in levels)
        cases.append(f'CASE {whens} ELSE NULL END AS "level_{name}"')
        lists += [
            f'list(p."{unique_id}_l") FILTER (WHERE p."level_{name}" = {index}) '
            f'AS "{precomputed_column(name, index)}"'
            for index, _ in levels
        ]
    pairs = (
        f"SELECT {', '.join(sides)} FROM candidate_pairs c "
        f'JOIN taxpayer_features l ON l."{unique_id}" = c.tin '
        f'JOIN request_features r ON r."{unique_id}" = c.rid'
    )
    return (
        f"CREATE OR REPLACE TABLE {into} AS "
        f'SELECT p."{unique_id}_r" AS rid, {", ".join(lists)} FROM ('
        f'SELECT "{unique_id}_l", "{unique_id}_r", {", ".join(cases)} FROM ({pairs})) p '
        f'GROUP BY p."{unique_id}_r"'
    )


def spark_settings(
    settings: dict[str, Any], *, precomputed: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The model's Splink settings with every condition in Spark SQL; m, u, the prior and
    the term-frequency settings unchanged. The levels of the ``precomputed`` comparisons
    test DuckDB's lists (:func:`precomputed_condition`); any other condition the
    translator refuses raises ``ValueError``."""
    translated = json.loads(json.dumps(settings))
    unique_id = settings.get("unique_id_column_name", "unique_id")
    for comparison in translated["comparisons"]:
        name = comparison["output_column_name"]
        for index, level in enumerate(comparison["comparison_levels"]):
            if level["sql_condition"].strip().upper() == "ELSE":
                continue
            if name in precomputed:
                level["sql_condition"] = precomputed_condition(name, index, unique_id)
            else:
                level["sql_condition"] = to_spark_sql(level["sql_condition"])
    for rule in translated.get("blocking_rules_to_generate_predictions", []):
        rule["blocking_rule"] = to_spark_sql(rule["blocking_rule"])
        rule["sql_dialect"] = "spark"
    translated["sql_dialect"] = "spark"
    return translated


# --- the Spark session ---------------------------------------------------------------------


def local_spark_session(scratch: Path) -> SparkSession:
    """The Spark session to score with.

    Under ``spark-submit`` (or wherever a session is already active) that session, as
    configured there (docs/SPARK.md). Otherwise a local one: two cores, few shuffle
    partitions, no web UI, bound to the loopback interface, with Splink's similarity jar.
    """
    check_spark_available()
    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    if os.environ.get("PYSPARK_GATEWAY_PORT"):  # launched by spark-submit
        return SparkSession.builder.getOrCreate()
    builder: Any = SparkSession.builder
    session: SparkSession = (
        builder.master("local[2]")
        .appName("matchgate")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.default.parallelism", "4")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.local.dir", str(scratch / "spark-local"))
        .config("spark.sql.warehouse.dir", str(scratch / "spark-warehouse"))
        .config("spark.jars", similarity_jar_location())
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session


# --- scoring -------------------------------------------------------------------------------


def _copy_sql(query: str, path: Path) -> str:
    return f"COPY ({query}) TO '{_quoted_path(path)}' (FORMAT parquet)"


def _quoted_path(path: Path) -> str:
    return str(path).replace("'", "''")


SCRATCH_ENV = "MATCHGATE_SPARK_SCRATCH"
_SCRATCH_NAME = "spark-scratch"


def _shared_scratch() -> str | None:
    """``$MATCHGATE_SPARK_SCRATCH``: a folder the driver and every executor see at the same
    path (a cluster's shared file system); None when not set."""
    configured = os.environ.get(SCRATCH_ENV, "")
    if not configured:
        return None
    folder = Path(configured)
    if not folder.is_dir():
        raise SparkUnavailableError(f"{SCRATCH_ENV} is not a folder", path=folder)
    return str(folder)


def _database_file(con: duckdb.DuckDBPyConnection) -> Path | None:
    row = sql.fetch_one(
        con,
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()",
        label="spark.scratch",
    )
    return Path(row[0]) if row is not None and row[0] else None


def scratch_folder(con: duckdb.DuckDBPyConnection) -> Path | None:
    """The Spark scratch folder of the batch whose database is ``con`` (it holds personal
    data: features, pairs, predictions, Spark's shuffle files): ``spark-scratch`` inside the
    batch's own folder of the workspace, or, with ``$MATCHGATE_SPARK_SCRATCH`` set,
    ``spark-<batch folder name>`` there. Always the same path for the same batch, so a
    resumed batch finds (and removes) what a killed run left. None for an in-memory
    database (no batch)."""
    database = _database_file(con)
    if database is None:
        return None
    batch = database.resolve().parent
    shared = _shared_scratch()
    if shared is not None:
        return Path(shared) / f"spark-{batch.name}"
    return batch / _SCRATCH_NAME


class SparkScorer:
    """Splink's ``predict`` on Spark for one batch, a chunk of blocked pairs at a time.

    Built once the candidate pairs exist (it ships only the taxpayers that have one), with
    the settings of the DuckDB engine (``MatchModel.with_prior``) and the term-frequency
    tables ``tf_master_<column>`` already in ``con``.
    """

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        settings: dict[str, Any],
        *,
        term_frequency_tables: dict[str, str],
        scratch: Path | None = None,
    ) -> None:
        check_spark_available()
        self.con = con
        self._closed = False
        self._owns_session = False
        self._own_scratch = scratch is None
        if scratch is None:
            scratch = scratch_folder(con)
            if scratch is None:  # an in-memory database: no batch folder to put it in
                scratch = Path(tempfile.mkdtemp(prefix="matchgate-spark-", dir=_shared_scratch()))
            else:
                # what a run of this batch that was killed left (the batch lock keeps any
                # other run of it out)
                shutil.rmtree(scratch, ignore_errors=True)
        self.scratch = scratch
        self.scratch.mkdir(parents=True, exist_ok=True)
        try:
            self._start(settings, term_frequency_tables)
        except BaseException:
            self.close()
            raise

    def _start(self, settings: dict[str, Any], term_frequency_tables: dict[str, str]) -> None:
        from pyspark.sql import SparkSession
        from splink import Linker, SparkAPI

        self._owns_session = SparkSession.getActiveSession() is None and not os.environ.get(
            "PYSPARK_GATEWAY_PORT"
        )
        self.spark = local_spark_session(self.scratch)
        self.db_api = SparkAPI(spark_session=self.spark, break_lineage_method="persist")
        # the comparisons Spark cannot compute exactly: their levels from DuckDB
        self.precomputed = precomputed_comparisons(settings)
        columns = precomputed_columns(settings, self.precomputed)
        nulls = "".join(f', CAST(NULL AS VARCHAR[]) AS "{c}"' for c in columns)
        lists = "".join(f', p."{c}"' for c in columns)
        requests_query = "SELECT * FROM request_features"
        if columns:
            sql.run(
                self.con,
                precomputed_levels_sql(self.con, settings, self.precomputed),
                label="spark.precompute",
            )
            requests_query = (
                f"SELECT r.*{lists} FROM request_features r "
                "LEFT JOIN spark_precomputed_levels p ON p.rid = r.unique_id"
            )
        master = self._to_spark(
            f"SELECT *{nulls} FROM taxpayer_features "
            "WHERE unique_id IN (SELECT DISTINCT tin FROM candidate_pairs)",
            _MASTER_VIEW,
        )
        requests = self._to_spark(requests_query, _REQUESTS_VIEW)
        sql.run(self.con, "DROP TABLE IF EXISTS spark_precomputed_levels", label="spark.precompute")
        from matchgate.match.model import SOURCE_MASTER, SOURCE_REQUESTS

        self.linker: Linker = Linker(
            [
                self.db_api.register(master, dataset_display_name=SOURCE_MASTER),
                self.db_api.register(requests, dataset_display_name=SOURCE_REQUESTS),
            ],
            spark_settings(settings, precomputed=self.precomputed),
        )
        for column, table in term_frequency_tables.items():
            frame = self._to_spark(f"SELECT * FROM {table}", f"matchgate_{table}")
            registered = self.db_api.register(frame, table_name=f"matchgate_{table}_registered")
            self.linker.table_management.register_term_frequency_lookup(registered, column)
        self._chunk = 0

    def _to_spark(self, query: str, name: str) -> Any:
        path = self.scratch / f"{name}.parquet"
        sql.run(self.con, _copy_sql(query, path), label="spark.export")
        frame = self.spark.read.parquet(str(path))
        frame.createOrReplaceTempView(name)
        return frame

    def predict(self, blocked_pairs: str, into: str) -> None:
        """Score the blocked pairs in DuckDB table ``blocked_pairs`` on Spark and write
        Splink's predictions to DuckDB table ``into``."""
        self._chunk += 1
        pairs = self._to_spark(f"SELECT * FROM {blocked_pairs}", f"matchgate_pairs_{self._chunk}")
        registered = self.db_api.register(
            pairs, table_name=f"matchgate_blocked_pairs_{self._chunk}"
        )
        self.linker.table_management.register_blocked_pairs_for_predict(registered)
        predictions = self.linker.inference.predict()
        out = self.scratch / f"predictions_{self._chunk}.parquet"
        frame = predictions.as_spark_dataframe()
        # Splink retains the matching columns: the per-request lists are of no use here
        frame = frame.drop(*[c for c in frame.columns if c.startswith(_PRECOMPUTED_PREFIX)])
        frame.write.mode("overwrite").parquet(str(out))
        predictions.drop_table_from_database_and_remove_from_cache()
        sql.run(
            self.con,
            f"CREATE OR REPLACE TABLE {into} AS SELECT * FROM "
            f"read_parquet('{_quoted_path(out)}/*.parquet')",
            label="spark.predictions",
        )
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(self.scratch / f"matchgate_pairs_{self._chunk}.parquet", ignore_errors=True)

    def close(self) -> None:
        """Stop the Spark session if this scorer started it; remove the scratch folder
        (also when stopping Spark fails). Safe to call twice."""
        spark = None if self._closed else getattr(self, "spark", None)
        self._closed = True
        try:
            if spark is not None:
                from matchgate.match.model import SOURCE_MASTER, SOURCE_REQUESTS

                # ours and Splink's (its input tables are views named by their display
                # names): a session that outlives this batch must not offer them to the next
                ours = {SOURCE_MASTER, SOURCE_REQUESTS}
                for view in spark.catalog.listTables():
                    if view.isTemporary and (
                        view.name.startswith(("matchgate_", "__splink__")) or view.name in ours
                    ):
                        spark.catalog.dropTempView(view.name)
                if self._owns_session:
                    spark.stop()
        finally:
            if self._own_scratch:
                shutil.rmtree(self.scratch, ignore_errors=True)
