"""Scoring a look-up's candidates with the SQL Splink would run, compiled once.

:class:`BatchScorer` asks Splink to ``predict`` every chunk; each call regenerates the whole
prediction pipeline (settings, comparison SQL, sqlglot parsing and rewriting) before DuckDB
runs a statement. For a batch that is noise; for a look-up of one row with a handful of
candidate pairs it was nearly all the time (1.9 s of a 2 s look-up on a 20,000-person
master).

:class:`CompiledScorer` builds one Splink linker for the life of the connection, over the
same input tables, the same settings (the model with the master's prior) and the same
registered term-frequency tables as :class:`BatchScorer`, and runs ``predict`` **once** on
an empty table of blocked pairs, recording the statements Splink executes (the pruned
inputs of both sides and the prediction pipeline, each ``CREATE TABLE name AS sql``). Every
later look-up fills ``lookup_blocked_pairs`` (the pairs :func:`blocked_pairs_sql` selects)
with its own pairs and runs the recorded statements, verbatim, in order, chained as the CTEs
of one statement PREPAREd once (:meth:`CompiledPredict.prepare`). Splink's SQL does
not depend on the data (only on the settings and the tables' columns, which every look-up
keeps), so the scores are the ones ``predict`` would give; ``tests/lookups`` checks that,
decision by decision, against :class:`BatchScorer` on generated worlds.

What a look-up reads of the master is found by key (its candidate pairs, the features of
its candidates); the master-wide facts the batch path recomputes per batch (the first names
held in the master file) are computed once per connection.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb
import pyarrow as pa

from matchgate import sql
from matchgate.match.blocking import (
    BLOCKING_RULES,
    _request_phonetics,
    candidate_pairs_sql,
    capped_blocks_sql,
)
from matchgate.match.decide import MatchDecision, MatchPolicy, RequestFacts, decide
from matchgate.match.engine import (
    _candidates_by_request,
    blocked_pairs_sql,
    first_name_neighbours_sql,
    first_name_variants_sql,
    first_names_nobody_holds_sql,
    first_names_seen_sql,
    mark_unrecognised_sql,
    request_address_kinds_sql,
    request_features_sql,
    scored_pairs_sql,
)
from matchgate.match.features import MatchInput, request_feature_rows
from matchgate.match.model import (
    MatchModel,
    build_term_frequency_tables,
    make_linker,
)
from matchgate.match.predict_sql import CompiledPredict, CompiledPredictError, compile_predict
from matchgate.standardize.nicknames import first_name_forms, known_given_names, legal_given_names

__all__ = [
    "STATISTICS_OPTIMIZERS",
    "CompiledPredict",
    "CompiledPredictError",
    "CompiledScorer",
    "compile_predict",
    "configure_lookup_connection",
]

# Splink's inputs for look-ups are fixed TEMP tables, created once per scorer and refilled
# per look-up (DELETE, INSERT): the prediction statement is PREPAREd once over them and
# keeps its plan. DuckDB 1.5 plans a prepared statement again when the catalog of a table
# it reads changes; every table a look-up still creates or replaces (its blocking stages)
# is in the connection's main catalog, and nothing per look-up registers an Arrow view
# (a TEMP view), so the temp catalog, the only one the prepared statement reads, does not
# change between look-ups (tests/lookups/test_prepared_lookups.py).
_BLOCKED_PAIRS = "lookup_blocked_pairs"
_LOOKUP_REQUESTS = "lookup_request_features"
_LOOKUP_PREDICTIONS = "lookup_predictions"
_REQUEST_ROWS = "lookup_request_rows"
# Master-wide tables built once per connection (TEMP: they go with the connection).
_FIRST_NAMES_SEEN = "lookup_first_names_seen"
_FIRST_NAME_VARIANTS = "lookup_first_name_variants"
_MASTER_FIRST_NAMES = "lookup_master_first_names"
_LEGAL_GIVEN_NAMES = "lookup_legal_given_names"
# The name lists as the look-up's checks read them: only the names its request holds,
# through each list's index (``x NOT IN (list)`` is ``x NOT IN (list ∩ request's names)``
# for a name the request holds; the lists hold no NULL). Read whole, the lists of every
# first name in the master were scanned twice per look-up.
_SEEN_BY_REQUEST = (
    f"(SELECT name FROM {_FIRST_NAMES_SEEN} WHERE name IN (SELECT first_name FROM request_features"
    " UNION SELECT surname_joined FROM request_features))"
)
_LEGAL_BY_REQUEST = (
    f"(SELECT name FROM {_LEGAL_GIVEN_NAMES}"
    " WHERE name IN (SELECT first_name FROM request_features))"
)
# Splink's master input for look-ups: the rows of ``taxpayer_features`` of the look-up's
# candidates, filled in place per look-up (read through the prepared master's index on
# ``unique_id``), so Splink's pruned input selects from a handful of rows, not the master.
_CANDIDATE_FEATURES = "lookup_candidate_features"
# The candidates' rows of ``taxpayer_namesakes``, filled the same way: the candidates query
# left-joins it, and DuckDB read the whole table for that join.
_CANDIDATE_NAMESAKES = "lookup_candidate_namesakes"
# Splink's term-frequency tables for look-ups, one per column: the master's term
# frequencies (``tf_master_<column>``, of the whole master, as a batch registers them) of
# the values the look-up's candidates and request hold, filled in place per look-up from
# an indexed copy. Splink left-joins its inputs with these and DuckDB read the whole table
# for each join (one row per distinct surname of the master).
_LOOKUP_TERM_FREQUENCIES = "lookup_tf_{column}"
_ALL_TERM_FREQUENCIES = "lookup_tf_all_{column}"
# The request columns each blocking rule's keys come from: a rule all of whose loaded
# requests lack one of them finds no pair (every rule is an inner join on them), so a
# look-up skips it. Skipping matters: DuckDB plans a join whose request side it knows to be
# empty as a full scan of the key table. A rule not listed here always runs.
_RULE_INPUTS: dict[str, tuple[str, ...]] = {
    "tin": ("tin",),
    "address": ("address_keys",),
    "name": ("surname_parts", "first_forms"),
    "dob_surname": ("dob",),
    "dob_first": ("dob", "first_forms"),
    "swapped": ("first_name", "surname_parts"),
    "zip_surname": ("zips", "surname_parts"),
    "street": ("street_keys",),
    "locator": ("locator_keys",),
    "number_zip": ("locators",),
    "dob_zip": ("dob", "zips"),
    "number_city": ("city_locator_keys",),
    "dob_initial": ("dob",),
    "name_phonetic": ("first_forms", "surname_parts"),
    "name_one_edit": ("surname_parts",),
    "city_locator": ("city_locator_keys",),
}


def _lookup_rules() -> dict[str, str]:
    """The blocking rules as a look-up runs them: the batch's text, except that the second
    condition of ``dob_surname``'s join is written so that DuckDB keeps ``dob`` as the
    join's only key: a join on two keys gets no IN filter pushed into its scan, so it read
    all of ``mk_person``; on one key it reads the request's date of birth through the
    index. In an inner join ``(a = b) IS TRUE`` keeps exactly the pairs ``a = b`` keeps."""
    rules = dict(BLOCKING_RULES)
    condition = "AND p.surname_initial = left(r.surname_joined, 1)"
    if condition not in rules["dob_surname"]:
        raise CompiledPredictError(f"the dob_surname rule no longer reads {condition!r}")
    rules["dob_surname"] = rules["dob_surname"].replace(
        condition, "AND (p.surname_initial = left(r.surname_joined, 1)) IS TRUE"
    )
    return rules


_LIST_INPUTS = {
    "address_keys",
    "surname_parts",
    "first_forms",
    "zips",
    "street_keys",
    "locator_keys",
    "locators",
    "city_locator_keys",
}
# DuckDB turns the small side of a join into an IN filter pushed into the other side's scan
# (and so into an ART index look-up) up to this many distinct values; 50 by default, which a
# request's one-edit name keys or a capped block's candidates can pass. It reads through an
# index up to ``index_scan_max_count`` matching rows, DuckDB's default of 2,048 here: past
# that a scan of the key-ordered table, skipping every row group the IN filter rules out, is
# cheaper than fetching row by row (~10 us a row). At 1,000,000 people the name rule's first
# name block (JOSE: 11,117 holders) took 114 ms through the index and a look-up's p95 was
# 864-903 ms at 50,000 against 390-409 ms at 2,048 (benchmarks/RESULTS.md); the name rule has
# read the first name and surname together since (``mk_name``, matchgate.match.blocking).
_POINT_READ_SETTINGS = {"dynamic_or_filter_threshold": 5_000, "index_scan_max_count": 2_048}
# A plan kept over tables refilled per look-up must not depend on what they held when it
# was made: with these on, DuckDB folds filters on the column statistics of the moment
# (``x IS NOT NULL`` on a column then all NULL becomes false) and a prepared statement
# executed after the table was refilled returned nothing. Off on the look-up connection;
# the test of this fails with statistics propagation on. The other two plan from the same
# statistics (compressed materialization narrows integers to the range of the moment, the
# row-group pruner skips groups by it) and are off as a precaution: with statistics
# propagation off neither was seen to fold, so no test fails on them alone.
STATISTICS_OPTIMIZERS = ("statistics_propagation", "compressed_materialization", "row_group_pruner")
# DuckDB's threads on the look-up connection once its scorer is built (see CompiledScorer).
LOOKUP_THREADS = 1


def _blocked_pairs_into(head: str, chunk_ids: str) -> str:
    """The batch's :func:`blocked_pairs_sql`, its ``CREATE`` head replaced by ``head``."""
    batch_head = "CREATE OR REPLACE TABLE blocked_pairs_for_splink AS"
    text = blocked_pairs_sql(chunk_ids)
    if batch_head not in text:
        raise CompiledPredictError(f"blocked_pairs_sql no longer starts {batch_head!r}")
    return text.replace(batch_head, head)


def configure_lookup_connection(con: duckdb.DuckDBPyConnection) -> None:
    """The look-up connection's settings: the point-read limits, and no optimizer that
    folds a plan on the statistics of the moment (:data:`STATISTICS_OPTIMIZERS`)."""
    for name, value in _POINT_READ_SETTINGS.items():
        sql.run(con, f"SET {name} = {value}", label="compiled.settings")
    sql.run(
        con,
        f"SET disabled_optimizers = '{','.join(STATISTICS_OPTIMIZERS)}'",
        label="compiled.settings",
    )


class CompiledScorer:
    """Decisions on requests loaded one at a time into ``request_features``, with Splink's
    predict compiled once (:func:`compile_predict`) and the master-wide facts computed once.

    ``con`` holds the master (``taxpayer_features``, the key tables, ``taxpayer_namesakes``)
    and stays with this scorer: it replaces ``request_features``, ``candidate_pairs``,
    ``capped_blocks`` and ``scored_pairs`` on every call and refills its fixed TEMP tables.
    Not safe for two threads at once (the caller holds a lock per connection)."""

    _prepared = 0  # names the prepared statements of the scorers of this process

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        *,
        model: MatchModel,
        taxpayers: int,
        policy: MatchPolicy,
    ) -> None:
        self.con = con
        self.policy = policy
        self._rules = _lookup_rules()
        configure_lookup_connection(con)
        self._master_facts()
        # The linker reads the columns of both input tables when built: empty tables of
        # the look-ups' own shape will do.
        self._stage_requests([])
        sql.run(
            con,
            f"CREATE OR REPLACE TEMP TABLE {_LOOKUP_REQUESTS} AS"
            " SELECT * FROM request_features LIMIT 0",
            label="compiled.request_features",
        )
        self._candidate_pairs()
        sql.run(
            con,
            _blocked_pairs_into(
                f"CREATE OR REPLACE TEMP TABLE {_BLOCKED_PAIRS} AS",
                "(SELECT NULL::VARCHAR AS rid WHERE false)",
            ),
            label="compiled.blocked_pairs",
        )
        sql.run(
            con,
            f"CREATE OR REPLACE TEMP TABLE {_CANDIDATE_FEATURES} AS"
            " SELECT * FROM taxpayer_features LIMIT 0",
            label="compiled.candidate_features",
        )
        sql.run(
            con,
            f"CREATE OR REPLACE TEMP TABLE {_CANDIDATE_NAMESAKES} AS"
            " SELECT * FROM taxpayer_namesakes LIMIT 0",
            label="compiled.candidate_namesakes",
        )
        self.splink = make_linker(
            con,
            model.with_prior(taxpayers=taxpayers),
            master_table=_CANDIDATE_FEATURES,
            requests_table=_LOOKUP_REQUESTS,
        )
        self._term_frequencies = self._register_term_frequencies()
        self.predict = compile_predict(con, self.splink, blocked_pairs=_BLOCKED_PAIRS)
        CompiledScorer._prepared += 1
        self._predict_statement = f"lookup_predict_{CompiledScorer._prepared}"
        self.predict.prepare(con, into=_LOOKUP_PREDICTIONS, name=self._predict_statement)
        # A look-up's statements touch a few rows each: scheduling them over several threads
        # cost more than it gained (20,000 people, load 8 on 2 cores: p50 584-762 ms with
        # 2 threads, 370-398 ms with 1). Set after the master-wide tables above are built.
        sql.run(con, f"SET threads = {LOOKUP_THREADS}", label="compiled.settings")

    def _register_term_frequencies(self) -> list[str]:
        """Register one small table per term-frequency column with Splink (see
        :data:`_LOOKUP_TERM_FREQUENCIES`); returns the columns."""
        con = self.con
        columns = []
        for column, table in build_term_frequency_tables(con).items():
            every = _ALL_TERM_FREQUENCIES.format(column=column)
            lookup = _LOOKUP_TERM_FREQUENCIES.format(column=column)
            sql.run_all(
                con,
                [
                    f"CREATE OR REPLACE TEMP TABLE {every} AS SELECT * FROM {table}",
                    f"CREATE INDEX {every}__{column} ON {every} ({column})",
                    f"CREATE OR REPLACE TEMP TABLE {lookup} AS SELECT * FROM {table} LIMIT 0",
                ],
                label="compiled.term_frequencies",
            )
            frame = self.splink.db_api.register(lookup, table_name=f"{lookup}_registered")
            self.splink.linker.table_management.register_term_frequency_lookup(frame, column)
            columns.append(column)
        return columns

    def _fill_term_frequencies(self) -> None:
        """The term frequencies of the values the loaded request and its candidates hold."""
        for column in self._term_frequencies:
            every = _ALL_TERM_FREQUENCIES.format(column=column)
            lookup = _LOOKUP_TERM_FREQUENCIES.format(column=column)
            sql.run_all(
                self.con,
                [
                    f"DELETE FROM {lookup}",
                    f"""INSERT INTO {lookup} SELECT * FROM {every} WHERE {column} IN (
                            SELECT {column} FROM {_CANDIDATE_FEATURES}
                            UNION SELECT {column} FROM request_features)""",
                ],
                label="compiled.term_frequencies",
            )

    def _master_facts(self) -> None:
        known = pa.table({"name": pa.array(sorted(known_given_names()), pa.string())})
        legal = pa.table({"name": pa.array(sorted(legal_given_names()), pa.string())})
        with sql.registered(self.con, "_known_given_names", known):
            sql.run(self.con, first_names_seen_sql(into=_FIRST_NAMES_SEEN), label="compiled.names")
        with sql.registered(self.con, "_legal_given_names_arrow", legal):
            sql.run(
                self.con,
                f"CREATE OR REPLACE TEMP TABLE {_LEGAL_GIVEN_NAMES} AS"
                " SELECT name FROM _legal_given_names_arrow",
                label="compiled.names",
            )
        sql.run(
            self.con,
            f"CREATE OR REPLACE TEMP TABLE {_MASTER_FIRST_NAMES} AS SELECT DISTINCT first_name"
            " FROM taxpayer_features WHERE first_name IS NOT NULL",
            label="compiled.names",
        )
        sql.run(
            self.con,
            first_name_variants_sql(_FIRST_NAMES_SEEN, into=_FIRST_NAME_VARIANTS),
            label="compiled.names",
        )
        for table, column in (
            (_FIRST_NAMES_SEEN, "name"),
            (_LEGAL_GIVEN_NAMES, "name"),
            (_MASTER_FIRST_NAMES, "first_name"),
            (_FIRST_NAME_VARIANTS, "variant"),
        ):
            sql.run(
                self.con,
                f"CREATE INDEX {table}__{column} ON {table} ({column})",
                label="compiled.names",
            )

    def _stage_requests(self, requests: list[MatchInput]) -> None:
        """``request_features`` and ``request_address_kinds`` for these requests, with the
        unrecognised-name marks, as :func:`load_requests_for_matching` makes them; all in
        the main catalog. The rows go in through a relation on the Arrow table, not a
        registered view (``con.register`` makes a TEMP view: a catalog change that makes
        DuckDB plan the prepared prediction again)."""
        con = self.con
        sql.run(con, f"DROP TABLE IF EXISTS {_REQUEST_ROWS}", label="compiled.request_features")
        con.from_arrow(request_feature_rows(requests)).create(_REQUEST_ROWS)
        sql.run(con, request_features_sql(_REQUEST_ROWS), label="compiled.request_features")
        sql.run(con, request_address_kinds_sql(_REQUEST_ROWS), label="compiled.request_features")
        sql.run(con, mark_unrecognised_sql(_SEEN_BY_REQUEST), label="compiled.names")
        sql.run(con, first_name_neighbours_sql(_FIRST_NAME_VARIANTS), label="compiled.names")

    def load(self, requests: list[MatchInput]) -> None:
        """Load these requests (:meth:`_stage_requests`) and copy them into Splink's fixed
        request input."""
        self._stage_requests(requests)
        sql.run_all(
            self.con,
            [
                f"DELETE FROM {_LOOKUP_REQUESTS}",
                f"INSERT INTO {_LOOKUP_REQUESTS} SELECT * FROM request_features",
            ],
            label="compiled.request_features",
        )

    def decide(self, request: MatchInput) -> MatchDecision:
        """The decision on one request (loaded, blocked and scored here)."""
        self.load([request])
        return self.score([request.row_number])[request.row_number]

    def score(self, row_numbers: list[int]) -> dict[int, MatchDecision]:
        """Decisions for the requests now in ``request_features`` (every one gets one)."""
        con = self.con
        found = self._candidate_pairs()
        sql.run(con, f"DELETE FROM {_CANDIDATE_FEATURES}", label="compiled.candidate_features")
        sql.run(con, f"DELETE FROM {_CANDIDATE_NAMESAKES}", label="compiled.candidate_namesakes")
        if found:  # (an empty IN list would scan taxpayer_features whole)
            sql.run(
                con,
                f"INSERT INTO {_CANDIDATE_FEATURES} SELECT * FROM taxpayer_features"
                " WHERE unique_id IN (SELECT tin FROM candidate_pairs)",
                label="compiled.candidate_features",
            )
            sql.run(
                con,
                f"INSERT INTO {_CANDIDATE_NAMESAKES} SELECT * FROM taxpayer_namesakes"
                " WHERE tin IN (SELECT tin FROM candidate_pairs)",
                label="compiled.candidate_namesakes",
            )
        self._fill_term_frequencies()
        facts = self._facts()
        blocked = _blocked_pairs_into(
            f"INSERT INTO {_BLOCKED_PAIRS}", "(SELECT unnest(?::VARCHAR[]) AS rid)"
        )
        sql.run(con, f"DELETE FROM {_BLOCKED_PAIRS}", label="compiled.blocked_pairs")
        sql.run(con, blocked, [[str(r) for r in row_numbers]], label="compiled.blocked_pairs")
        sql.run(con, f"DELETE FROM {_LOOKUP_PREDICTIONS}", label="compiled.predict")
        sql.run(con, f"EXECUTE {self._predict_statement}", label="compiled.predict")
        sql.run(con, scored_pairs_sql(_LOOKUP_PREDICTIONS), label="compiled.scored_pairs")
        decisions = {
            rid: decide(candidates, facts(rid), self.policy)
            for rid, candidates in _candidates_by_request(con, namesakes=_CANDIDATE_NAMESAKES)
        }
        for rid in row_numbers:
            if rid not in decisions:
                decisions[rid] = decide([], facts(rid), self.policy)
        return decisions

    def _candidate_pairs(self) -> int:
        """``candidate_pairs`` and ``capped_blocks`` as :func:`build_candidate_pairs` makes
        them, with the rules that cannot find a pair for the loaded requests left out;
        returns how many pairs the rules found before the cap."""
        con = self.con
        columns = sorted({c for inputs in _RULE_INPUTS.values() for c in inputs})
        present = sql.fetch_one(
            con,
            "SELECT "
            + ", ".join(
                f"coalesce(bool_or({c} IS NOT NULL"
                + (f" AND len({c}) > 0" if c in _LIST_INPUTS else "")
                + "), false)"
                for c in columns
            )
            + " FROM request_features",
            label="compiled.rule_inputs",
        )
        held = {c for c, flag in zip(columns, present or (), strict=True) if flag}
        rules = [
            (name, rule)
            for name, rule in self._rules.items()
            if all(c in held for c in _RULE_INPUTS.get(name, ()))
        ]
        if "name_phonetic" in dict(rules):
            _request_phonetics(con)
        union = " UNION ALL ".join(
            f"SELECT rid, tin, '{name}' AS rule FROM ({rule})" for name, rule in rules
        )
        if not union:
            union = (
                "SELECT unique_id AS rid, NULL::VARCHAR AS tin, NULL::VARCHAR AS rule"
                " FROM request_features WHERE false"
            )
        # A name of the look-up's own: a batch's TEMP raw_pairs, left behind on a shared
        # connection, would hide a main table named raw_pairs (even from `main.raw_pairs`,
        # which DuckDB resolves in the temp catalog first).
        sql.run(
            con, f"CREATE OR REPLACE TABLE lookup_raw_pairs AS {union}", label="compiled.raw_pairs"
        )
        block_cap = self.policy.block_cap
        sql.run(
            con, capped_blocks_sql("lookup_raw_pairs"), [block_cap], label="compiled.capped_blocks"
        )
        found = sql.fetch_int(
            con, "SELECT count(*) FROM lookup_raw_pairs", label="compiled.raw_pairs"
        )
        if found:
            sql.run(
                con,
                candidate_pairs_sql("lookup_raw_pairs"),
                [block_cap],
                label="compiled.candidate_pairs",
            )
        else:
            # No pair: the same (empty) table without the join, which DuckDB would run as
            # a full scan of mk_person when one side of it is empty.
            sql.run(
                con,
                "CREATE OR REPLACE TABLE candidate_pairs AS"
                " SELECT rid, tin, [rule] AS rules FROM lookup_raw_pairs WHERE false",
                label="compiled.candidate_pairs",
            )
        sql.run(con, "DROP TABLE lookup_raw_pairs", label="compiled.raw_pairs")
        return found

    def _facts(self) -> Callable[[int], RequestFacts]:
        """The request facts :class:`BatchScorer` reads, for the requests now loaded."""
        capped: dict[int, list[str]] = {}
        for rid, rule in sql.fetch_all(
            self.con,
            "SELECT rid, rule FROM capped_blocks ORDER BY rid, rule",
            label="compiled.facts",
        ):
            capped.setdefault(int(rid), []).append(rule)
        has_tin: set[int] = set()
        unrecognised: set[int] = set()
        suffix_given: set[int] = set()
        for rid, tin, flag, suffix in sql.fetch_all(
            self.con,
            "SELECT unique_id, tin IS NOT NULL, first_name_unrecognised IS TRUE,"
            " suffix IS NOT NULL FROM request_features",
            label="compiled.facts",
        ):
            if tin:
                has_tin.add(int(rid))
            if flag:
                unrecognised.add(int(rid))
            if suffix:
                suffix_given.add(int(rid))
        nobody = sql.fetch_all(
            self.con,
            first_names_nobody_holds_sql(
                _LEGAL_BY_REQUEST,
                master_first_names=f"SELECT first_name FROM {_MASTER_FIRST_NAMES}"
                " WHERE first_name IN (SELECT first_name FROM request_features)",
            ),
            label="compiled.facts",
        )
        no_legal = {
            int(rid) for rid, name in nobody if len(set(first_name_forms(name)) - {name}) == 1
        }

        def facts(rid: int) -> RequestFacts:
            return RequestFacts(
                has_tin=rid in has_tin,
                capped_rules=tuple(capped.get(rid, ())),
                first_name_unrecognised=rid in unrecognised,
                first_name_no_legal_name=rid in no_legal,
                suffix_given=rid in suffix_given,
            )

        return facts
