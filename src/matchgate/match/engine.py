"""Runs matching for one batch: features, candidates, Splink scores, decisions.

The steps are separate functions over one DuckDB connection, so the pipeline can run them
in order and a test can stop after any of them and look at the tables.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from matchgate import sql
from matchgate.match.blocking import _deletions_sql, build_candidate_pairs, build_key_tables
from matchgate.match.comparisons import FIRST_NAME_OWN_SPELLING, _one_edit, comparison_labels
from matchgate.match.decide import (
    AT_REQUESTED_ADDRESS,
    Candidate,
    MatchDecision,
    MatchPolicy,
    RequestFacts,
    decide,
)
from matchgate.match.features import (
    MasterReport,
    MatchInput,
    build_taxpayer_features,
    load_master,
    request_feature_rows,
)
from matchgate.match.model import (
    SOURCE_MASTER,
    SOURCE_REQUESTS,
    MatchLinker,
    MatchModel,
    build_term_frequency_tables,
    make_linker,
    register_term_frequencies,
    train_model,
    training_fingerprint,
)
from matchgate.match.predict_sql import cached_predict
from matchgate.match.spark import ENGINES, SparkScorer
from matchgate.standardize.nicknames import (
    first_name_forms,
    known_given_names,
    legal_given_names,
)

__all__ = [
    "BatchScorer",
    "MatchInput",
    "load_requests_for_matching",
    "prepare_master",
    "ensure_model",
]

logger = logging.getLogger(__name__)

_COMPARISON_NAMES = tuple(comparison_labels())
_TF_COMPARISONS = {"first_name", "surname"}
# Candidates far below the best cannot change a decision; dropping them early keeps the
# Python side small on large blocks. Household members are kept whatever their weight.
_KEEP_WEIGHT_BELOW_BEST = 40.0
# A chunk's pairs for Splink: a TEMP table, like every table of a chunk's scoring, so
# nothing a chunk scores is written to (and checkpointed in) the batch's database file.
# Named apart from the main catalog's ``scored_pairs`` and ``blocked_pairs_for_splink``
# (which the Spark engine and look-ups write), which a TEMP table of one name would hide.
_CHUNK_BLOCKED_PAIRS = "chunk_blocked_pairs"
_CHUNK_SCORED = "chunk_scored_pairs"


def prepare_master(
    con: duckdb.DuckDBPyConnection,
    master_path: Path,
    *,
    progress: Callable[[str, int], None] | None = None,
) -> tuple[MasterReport, int]:
    """Load and standardize the master file into ``con``; returns (report, taxpayers)."""
    report = load_master(con, master_path)
    taxpayers = build_taxpayer_features(con, progress=progress)
    build_key_tables(con)
    return report, taxpayers


def load_requests_for_matching(
    con: duckdb.DuckDBPyConnection, rows: Iterable[MatchInput], *, workers: int = 1
) -> int:
    """Create ``request_features`` and ``request_address_kinds`` for the given requests
    (``taxpayer_features`` must be built), standardized in up to ``workers`` processes
    (:func:`request_feature_rows`). Returns the number of requests."""
    features = request_feature_rows(rows, workers=workers)
    with sql.registered(con, "_request_features_arrow", features):
        sql.run(con, request_features_sql(), label="engine.request_features")
        sql.run(con, request_address_kinds_sql(), label="engine.request_features")
    _mark_unrecognised_first_names(con)
    return sql.fetch_int(
        con, "SELECT count(*) FROM request_features", label="engine.request_features"
    )


def request_features_sql(source: str = "_request_features_arrow") -> str:
    return (
        f"CREATE OR REPLACE TABLE request_features AS SELECT * EXCLUDE (address_kind) FROM {source}"
    )


def request_address_kinds_sql(source: str = "_request_features_arrow") -> str:
    return (
        "CREATE OR REPLACE TABLE request_address_kinds AS SELECT unique_id, address_kind "
        f"FROM {source}"
    )


def first_names_seen_sql(
    known_names: str = "_known_given_names", *, into: str = "_first_names_seen"
) -> str:
    """Every first name known: the given-name lists and the master file's first names."""
    return f"""
        CREATE OR REPLACE TEMP TABLE {into} AS
        SELECT name FROM {known_names}
        UNION SELECT first_name FROM taxpayer_features WHERE first_name IS NOT NULL
        """


def mark_unrecognised_sql(seen: str = "_first_names_seen") -> str:
    return f"""
        UPDATE request_features SET
          first_name_unrecognised = length(first_name) >= 3
              AND first_name NOT IN (SELECT name FROM {seen}),
          surname_unrecognised = len(surname_parts) = 1 AND length(surname_joined) >= 4
              AND surname_joined NOT IN (SELECT name FROM {seen})
        """


def _deletions(column: str) -> str:
    """A name and each string one letter shorter, one per row: two names within one
    insertion, deletion, substitution or adjacent transposition of each other share one."""
    return f"unnest({_deletions_sql(column, min_length=1)})"


def first_name_variants_sql(seen: str = "_first_names_seen", *, into: str) -> str:
    """Every first name known (``seen``) by each of its deletions, to find the names one
    edit from a request's first name without comparing it with every name."""
    return f"""
        CREATE OR REPLACE TEMP TABLE {into} AS
        SELECT DISTINCT name, {_deletions("name")} AS variant FROM {seen}
        """


FIRST_NAME_NEIGHBOURS = "request_first_name_neighbours"


def first_name_neighbours_sql(variants: str, *, into: str = FIRST_NAME_NEIGHBOURS) -> str:
    """For each request whose first name is nobody's (``first_name_unrecognised``), the
    known first names one edit from it (Damerau-Levenshtein 1): the names it may be a
    misspelling of. MARIAUNA is one edit from MARIANA and from MARIANNA."""
    return f"""
        CREATE OR REPLACE TABLE {into} AS
        WITH asked AS (
            SELECT unique_id, first_name, {_deletions("first_name")} AS variant
            FROM request_features WHERE first_name_unrecognised
        )
        SELECT a.unique_id, list_sort(list_distinct(list(v.name))) AS neighbours
        FROM asked a JOIN {variants} v ON v.variant = a.variant
        WHERE damerau_levenshtein(v.name, a.first_name) <= 1
        GROUP BY a.unique_id
        """


def _mark_unrecognised_first_names(con: duckdb.DuckDBPyConnection) -> None:
    """Flag request first names (3+ letters), and one-word surnames read as first names
    (4+ letters, for swapped names), that are on no given-name list and held by no
    taxpayer in the master file as a first name: likely misspellings; and list the known
    first names one edit from each flagged first name (:func:`first_name_neighbours_sql`).
    Needs ``taxpayer_features``."""
    names = pa.table({"name": pa.array(sorted(known_given_names()), pa.string())})
    with sql.registered(con, "_known_given_names", names):
        sql.run(con, first_names_seen_sql(), label="engine.unrecognised_names")
        sql.run(con, mark_unrecognised_sql(), label="engine.unrecognised_names")
        sql.run(
            con,
            first_name_variants_sql(into="_first_name_variants"),
            label="engine.unrecognised_names",
        )
        neighbours = first_name_neighbours_sql("_first_name_variants")
        sql.run(con, neighbours, label="engine.unrecognised_names")
        sql.run(con, "DROP TABLE _first_name_variants", label="engine.unrecognised_names")
        sql.run(con, "DROP TABLE _first_names_seen", label="engine.unrecognised_names")


def _household_gamma() -> int:
    """Lowest address gamma that still means "at the requested address"."""
    labels = comparison_labels()["address"]
    return min(g for g, label in labels.items() if label in AT_REQUESTED_ADDRESS)


def candidates_sql(namesakes: str = "taxpayer_namesakes", *, scored: str = "scored_pairs") -> str:
    """The scored pairs (of ``scored``) worth deciding on, best first within each request,
    with the gamma level and the match weight of every comparison. ``namesakes``: the table
    of ``taxpayer_namesakes``' rows to join (a look-up passes its candidates' rows only)."""
    gamma_columns = ", ".join(f"gamma_{name}" for name in _COMPARISON_NAMES)
    # A field's weight includes its term-frequency adjustment where it has one.
    weight_columns = ", ".join(
        f"mw_{name} + coalesce(mw_tf_adj_{name}, 0)" if name in _TF_COMPARISONS else f"mw_{name}"
        for name in _COMPARISON_NAMES
    )
    own_spelling = re.sub(r"\b(first_name_[lr])\b", r"s.\1", FIRST_NAME_OWN_SPELLING)
    # ... and not one edit from a nickname of it: JENNIEE at JENNIFER's home is 0.92 from
    # JENNIFER but JENNIE misspelt, and JENNIE is somebody's legal name.
    nickname_typo = _one_edit("x", "s.first_name_r")
    misspelt_nickname = (
        "len(list_filter(coalesce(s.first_nicknames_l, []), x -> x <> s.first_name_l "
        f"AND least(length(x), length(s.first_name_r)) >= 3 AND {nickname_typo})) > 0"
    )
    return f"""
        WITH best AS (
            SELECT rid, max(match_weight) AS best_weight FROM {scored} GROUP BY rid
        )
        SELECT s.rid, s.tin, s.match_probability, s.match_weight, s.rules,
               s.surname_parts_any_l, {gamma_columns}, {weight_columns},
               n.namesakes, n.namesakes_sharing_middle,
               list_filter(f.neighbours, x -> NOT (x = s.first_name_l
                   OR list_contains(coalesce(s.first_forms_l, []), x)
                   OR list_contains(coalesce(s.first_nicknames_l, []), x))) AS first_name_rivals,
               coalesce(({own_spelling}) AND NOT ({misspelt_nickname}), false)
                   AS first_name_own_spelling,
               s.first_name_l AS taxpayer_first_name,
               s.first_forms_l AS taxpayer_first_forms
        FROM {scored} s JOIN best b ON b.rid = s.rid
        LEFT JOIN {namesakes} n ON n.tin = s.tin
        LEFT JOIN {FIRST_NAME_NEIGHBOURS} f ON f.unique_id = s.rid
        WHERE s.match_weight >= b.best_weight - {_KEEP_WEIGHT_BELOW_BEST}
           OR s.gamma_address >= {_household_gamma()}
        ORDER BY CAST(s.rid AS BIGINT), s.match_weight DESC
        """


def _label_maps() -> tuple[dict[int, str], ...]:
    """Each comparison's gamma -> label, in the order of ``_COMPARISON_NAMES`` (the order
    :func:`candidates_sql` selects their gammas in)."""
    labels = comparison_labels()
    return tuple(labels[name] for name in _COMPARISON_NAMES)


def _label(mapping: dict[int, str], gamma: int) -> str:
    label = mapping.get(gamma)
    return label if label is not None else str(gamma)


def _weight(weight: float | None) -> float:
    return round(float(weight), 3) if weight is not None else 0.0


def _candidate(row: tuple[Any, ...], label_maps: tuple[dict[int, str], ...]) -> Candidate:
    """One row of :func:`candidates_sql` as a :class:`Candidate` (``label_maps``:
    :func:`_label_maps`). Run once per scored candidate, so built with ``zip``/``map``
    rather than per-field comprehensions."""
    width = len(_COMPARISON_NAMES)
    gammas = row[6 : 6 + width]
    weights = row[6 + width : 6 + 2 * width]
    return Candidate(
        tin=row[1],
        match_probability=float(row[2]),
        match_weight=float(row[3]),
        levels=dict(zip(_COMPARISON_NAMES, map(_label, label_maps, gammas), strict=True)),
        weights=dict(zip(_COMPARISON_NAMES, map(_weight, weights), strict=True)),
        rules=tuple(row[4] or ()),
        surname_parts=tuple(row[5] or ()),
        namesakes=tuple(row[6 + 2 * width] or ()),
        namesakes_sharing_middle=tuple(row[7 + 2 * width] or ()),
        first_name_rivals=tuple(row[8 + 2 * width] or ()),
        first_name_own_spelling=bool(row[9 + 2 * width]),
        first_name=row[10 + 2 * width] or "",
        first_forms=tuple(row[11 + 2 * width] or ()),
    )


def _candidates_by_request(
    con: duckdb.DuckDBPyConnection,
    *,
    namesakes: str = "taxpayer_namesakes",
    scored: str = "scored_pairs",
) -> Iterator[tuple[int, list[Candidate]]]:
    label_maps = _label_maps()
    cursor = sql.run(con, candidates_sql(namesakes, scored=scored), label="engine.candidates")
    current: int | None = None
    bucket: list[Candidate] = []
    while rows := cursor.fetchmany(20_000):
        for row in rows:
            rid = int(row[0])
            candidate = _candidate(row, label_maps)
            if current is not None and rid != current:
                yield current, bucket
                bucket = []
            current = rid
            bucket.append(candidate)
    if current is not None:
        yield current, bucket


# A folder of trained models kept by the fingerprint of what they were trained on. For
# development and the test suite, where many fresh workspaces train on the same small world;
# unset (the default) nothing is kept outside the workspace.
MODEL_CACHE_ENV = "MATCHGATE_MODEL_CACHE"


def ensure_model(
    con: duckdb.DuckDBPyConnection, *, taxpayers: int, model_path: Path | None
) -> MatchModel:
    """The saved model at ``model_path``, or one trained on this batch and saved there.

    With ``$MATCHGATE_MODEL_CACHE`` set, a model trained before on exactly the same input
    (the same features, the same settings and versions: ``training_fingerprint``) is taken
    from that folder instead of being trained again; training is deterministic, so it is
    the model this training would make."""
    if model_path is not None and model_path.exists():
        return MatchModel.load(model_path)
    cached = _cached_model_path(con, taxpayers=taxpayers)
    if cached is not None and cached.exists():
        model = MatchModel.load(cached)
        logging.getLogger(__name__).info("model taken from the model cache: %s", cached)
    else:
        model = train_model(con, taxpayers=taxpayers)
        if cached is not None:
            model.save(cached)
    if model_path is not None:
        model.save(model_path)
    return model


def _cached_model_path(con: duckdb.DuckDBPyConnection, *, taxpayers: int) -> Path | None:
    folder = os.environ.get(MODEL_CACHE_ENV, "").strip()
    if not folder:
        return None
    return Path(folder) / f"model-{training_fingerprint(con, taxpayers=taxpayers)}.json"


def blocked_pairs_sql(
    chunk_ids: str = "_chunk_ids", *, into: str = "blocked_pairs_for_splink", temp: bool = False
) -> str:
    """The candidate pairs of one chunk of requests, keyed as Splink's blocked pairs."""
    separator = "-__-"
    kind = "TEMP TABLE" if temp else "TABLE"
    return f"""
        CREATE OR REPLACE {kind} {into} AS
        SELECT 'matchgate' AS match_key,
               '{SOURCE_MASTER}{separator}' || c.tin AS join_key_l,
               '{SOURCE_REQUESTS}{separator}' || c.rid AS join_key_r
        FROM candidate_pairs c JOIN {chunk_ids} i ON i.rid = c.rid
        """


# The columns of Splink's predictions that :func:`candidates_sql` reads (its first-name and
# surname columns of the candidate, every comparison's level and weights), and no others:
# the predictions carry every input column of both sides (the address histories' lists of
# structs among them), and copying those was a fifth of a batch's scoring.
_SCORED_COLUMNS = (
    "first_name_l",
    "first_name_r",
    "first_forms_l",
    "first_nicknames_l",
    "surname_parts_any_l",
    *(f"gamma_{name}" for name in _COMPARISON_NAMES),
    *(f"mw_{name}" for name in _COMPARISON_NAMES),
    *(f"mw_tf_adj_{name}" for name in _COMPARISON_NAMES if name in _TF_COMPARISONS),
)


def scored_pairs_sql(predictions: str, *, into: str = "scored_pairs", temp: bool = False) -> str:
    """``scored_pairs`` (or ``into``): of Splink's predictions the columns decisions read,
    with the blocking rules that found each pair (``temp``: a TEMP table, kept out of the
    database file). ``predictions`` may be a view: only these columns are computed."""
    kind = "TEMP TABLE" if temp else "TABLE"
    columns = ", ".join(f"p.{column}" for column in _SCORED_COLUMNS)
    return f"""
        CREATE OR REPLACE {kind} {into} AS
        SELECT p.unique_id_r AS rid, p.unique_id_l AS tin, p.match_probability,
               p.match_weight, c.rules, {columns}
        FROM {predictions} p
        JOIN candidate_pairs c ON c.rid = p.unique_id_r AND c.tin = p.unique_id_l
        """


_MASTER_FIRST_NAMES = "SELECT first_name FROM taxpayer_features WHERE first_name IS NOT NULL"


def first_names_nobody_holds_sql(
    legal_names: str = "_legal_given_names", *, master_first_names: str = _MASTER_FIRST_NAMES
) -> str:
    """Requests whose first name is on neither legal-name list (the census first-name table,
    the formal names) and that no taxpayer in the master file holds as a first name
    (``master_first_names``: a query of the master's non-null first names)."""
    return f"""
        SELECT unique_id, first_name FROM request_features
        WHERE first_name IS NOT NULL
          AND first_name NOT IN (SELECT name FROM {legal_names})
          AND first_name NOT IN ({master_first_names})
        """


def _first_names_nobody_holds(con: duckdb.DuckDBPyConnection) -> set[int]:
    """Ids of requests whose first name is nobody's legal name and the nickname of one
    formal name only (PACO, CHUY; not BETO, which is ALBERTO's, ROBERTO's and HUMBERTO's),
    for ``first_name_unconfirmed``. Needs both feature tables."""
    names = sorted(legal_given_names())
    table = pa.table({"name": pa.array(names, pa.string())})
    with sql.registered(con, "_legal_given_names", table):
        rows = sql.fetch_all(con, first_names_nobody_holds_sql(), label="engine.facts")
    return {int(rid) for rid, name in rows if len(set(first_name_forms(name)) - {name}) == 1}


def _request_ids_where(condition: str) -> str:
    return f"SELECT unique_id FROM request_features WHERE {condition}"


class BatchScorer:
    """Scores the candidate pairs of ``request_features`` a chunk of requests at a time.

    Splink's predict SQL is recorded once per batch, or read from ``predict_cache`` (the
    prepared master's folder) where a batch with the same settings and inputs recorded it
    before (:func:`matchgate.match.predict_sql.cached_predict`), and replayed for each
    chunk's pairs, so a chunk's decisions can be stored durably before the next chunk
    starts. With ``engine="spark"`` the same settings score the same pairs on Spark
    (``matchgate.match.spark``); everything else stays in DuckDB. Call :meth:`close`
    when done (it stops a local Spark session).
    """

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        *,
        model: MatchModel,
        taxpayers: int,
        policy: MatchPolicy,
        engine: str = "duckdb",
        predict_cache: Path | None = None,
    ) -> None:
        if engine not in ENGINES:
            raise ValueError(f"unknown engine {engine!r} (one of {', '.join(ENGINES)})")
        self.con = con
        self.policy = policy
        self.stats: dict[str, object] = dict(build_candidate_pairs(con, block_cap=policy.block_cap))
        settings = model.with_prior(taxpayers=taxpayers)
        self._settings = settings
        self._spark: SparkScorer | None = None
        if engine == "spark":
            self._spark = SparkScorer(
                con, settings, term_frequency_tables=build_term_frequency_tables(con)
            )
        else:
            self._term_frequencies = build_term_frequency_tables(con)
            # Splink's predict SQL, recorded once (not per chunk) over an empty table of
            # pairs of the chunks' shape, or read from where a batch recorded it before;
            # read per chunk through TEMP views.
            sql.run(
                con,
                blocked_pairs_sql(
                    "(SELECT NULL::VARCHAR AS rid WHERE false)",
                    into=_CHUNK_BLOCKED_PAIRS,
                    temp=True,
                ),
                label="engine.blocked_pairs",
            )
            self._predict = cached_predict(
                con,
                settings,
                folder=predict_cache,
                tables=(
                    "taxpayer_features",
                    "request_features",
                    *self._term_frequencies.values(),
                    _CHUNK_BLOCKED_PAIRS,
                ),
                blocked_pairs=_CHUNK_BLOCKED_PAIRS,
                make_linker=lambda: self.splink,
            )
        # Spark reads the chunk's pairs from, and writes its scores to, the main catalog.
        self._in_memory = self._spark is None
        self._pairs = _CHUNK_BLOCKED_PAIRS if self._in_memory else "blocked_pairs_for_splink"
        self._scored = _CHUNK_SCORED if self._in_memory else "scored_pairs"
        self._capped: dict[int, list[str]] = {}
        for rid, rule in sql.fetch_all(
            con, "SELECT rid, rule FROM capped_blocks ORDER BY rid, rule", label="engine.facts"
        ):
            self._capped.setdefault(int(rid), []).append(rule)
        self._has_tin = self._request_ids("tin IS NOT NULL")
        self._unrecognised_first = self._request_ids("first_name_unrecognised IS TRUE")
        self._no_legal_first = _first_names_nobody_holds(con)
        self._suffix_given = self._request_ids("suffix IS NOT NULL")

    @functools.cached_property
    def splink(self) -> MatchLinker:
        """A Splink linker of the DuckDB engine's settings (made only when its predict SQL
        is recorded, not when a cached recording is read)."""
        made = make_linker(self.con, self._settings)
        register_term_frequencies(made, self.con, self._term_frequencies)
        return made

    def _request_ids(self, condition: str) -> set[int]:
        rows = sql.fetch_all(self.con, _request_ids_where(condition), label="engine.facts")
        return {int(rid) for (rid,) in rows}

    def _facts(self, rid: int) -> RequestFacts:
        return RequestFacts(
            has_tin=rid in self._has_tin,
            capped_rules=tuple(self._capped.get(rid, ())),
            first_name_unrecognised=rid in self._unrecognised_first,
            first_name_no_legal_name=rid in self._no_legal_first,
            suffix_given=rid in self._suffix_given,
        )

    def score(self, row_numbers: list[int]) -> dict[int, MatchDecision]:
        """Decisions for the given request row numbers (every one gets a decision)."""
        ids = pa.table({"rid": pa.array([str(r) for r in row_numbers], pa.string())})
        pairs_sql = blocked_pairs_sql(into=self._pairs, temp=self._in_memory)
        with sql.registered(self.con, "_chunk_ids", ids):
            sql.run(self.con, pairs_sql, label="engine.blocked_pairs")
        if self._spark is not None:
            self._spark.predict(self._pairs, into="spark_predictions")
            sql.run(self.con, scored_pairs_sql("spark_predictions"), label="engine.scored_pairs")
            sql.run(self.con, "DROP TABLE spark_predictions", label="engine.scored_pairs")
        else:
            predictions = self._predict.create_views(self.con)
            try:
                sql.run(
                    self.con,
                    scored_pairs_sql(predictions, into=_CHUNK_SCORED, temp=True),
                    label="engine.scored_pairs",
                )
            finally:
                self._predict.drop_views(self.con)
        decisions = {
            rid: decide(candidates, self._facts(rid), self.policy)
            for rid, candidates in _candidates_by_request(self.con, scored=self._scored)
        }
        for rid in row_numbers:
            if rid not in decisions:
                decisions[rid] = decide([], self._facts(rid), self.policy)
        return decisions

    def close(self) -> None:
        """Release the engine (stops a local Spark session; nothing for DuckDB)."""
        if self._spark is not None:
            self._spark.close()
            self._spark = None


def evidence_json(decision: MatchDecision) -> str:
    """The best candidate's per-field evidence (level and match weight), as JSON."""
    if decision.best is None:
        return "{}"
    return json.dumps(
        {
            name: {
                "level": decision.best.levels.get(name, ""),
                "weight": decision.best.weights.get(name, 0.0),
            }
            for name in _COMPARISON_NAMES
        },
        sort_keys=True,
    )
