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
later look-up fills ``blocked_pairs_for_splink`` (the table :func:`blocked_pairs_sql` makes)
with its own pairs and runs the recorded statements, verbatim, in order. Splink's SQL does
not depend on the data (only on the settings and the tables' columns, which every look-up
keeps), so the scores are the ones ``predict`` would give; ``tests/lookups`` checks that,
decision by decision, against :class:`BatchScorer` on generated worlds.

What a look-up reads of the master is found by key (its candidate pairs, the features of
its candidates); the master-wide facts the batch path recomputes per batch (the first names
held in the master file) are computed once per connection.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import duckdb
import pyarrow as pa

from matchgate import sql
from matchgate.errors import MatchgateError
from matchgate.match.blocking import build_candidate_pairs
from matchgate.match.decide import MatchDecision, MatchPolicy, RequestFacts, decide
from matchgate.match.engine import (
    _candidates_by_request,
    blocked_pairs_sql,
    first_names_nobody_holds_sql,
    first_names_seen_sql,
    mark_unrecognised_sql,
    request_address_kinds_sql,
    request_features_sql,
    scored_pairs_sql,
)
from matchgate.match.features import MatchInput, request_feature_rows
from matchgate.match.model import MatchLinker, MatchModel, make_linker, register_term_frequencies
from matchgate.standardize.nicknames import first_name_forms, known_given_names, legal_given_names

__all__ = ["CompiledPredict", "CompiledPredictError", "CompiledScorer", "compile_predict"]

_BLOCKED_PAIRS = "blocked_pairs_for_splink"
# Master-wide tables built once per connection (TEMP: they go with the connection).
_FIRST_NAMES_SEEN = "lookup_first_names_seen"
_MASTER_FIRST_NAMES = "lookup_master_first_names"
_LEGAL_GIVEN_NAMES = "lookup_legal_given_names"
_PREDICTIONS = "__splink__df_predict"


class CompiledPredictError(MatchgateError):
    """Splink's ``predict`` did not run the statements this module expects (another Splink
    version): nothing is scored rather than scored differently."""


class CompiledPredict:
    """The statements Splink's ``predict`` runs for the registered blocked pairs, in order,
    each as ``(table, select)``; the last one makes the predictions."""

    def __init__(self, statements: list[tuple[str, str]]) -> None:
        if not statements or not statements[-1][0].startswith(_PREDICTIONS):
            raise CompiledPredictError(
                "Splink's predict ran no prediction statement this version of matchgate knows"
                f" (ran: {', '.join(name for name, _ in statements) or 'nothing'})"
            )
        self.statements = statements

    @property
    def predictions(self) -> str:
        return self.statements[-1][0]

    def run(self, con: duckdb.DuckDBPyConnection) -> str:
        """Run every statement (each table replaced); returns the predictions table."""
        for table, select in self.statements:
            sql.run(con, f"CREATE OR REPLACE TABLE {table} AS\n{select}", label="compiled.predict")
        return self.predictions

    def drop(self, con: duckdb.DuckDBPyConnection) -> None:
        for table, _ in self.statements:
            sql.run(con, f"DROP TABLE IF EXISTS {table}", label="compiled.predict")


def compile_predict(
    con: duckdb.DuckDBPyConnection,
    match_linker: MatchLinker,
    *,
    blocked_pairs: str = _BLOCKED_PAIRS,
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

    pairs = db_api.register(blocked_pairs, table_name="matchgate_lookup_blocked_pairs")
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


class CompiledScorer:
    """Decisions on requests loaded one at a time into ``request_features``, with Splink's
    predict compiled once (:func:`compile_predict`) and the master-wide facts computed once.

    ``con`` holds the master (``taxpayer_features``, the key tables, ``taxpayer_namesakes``)
    and stays with this scorer: it replaces ``request_features``, ``candidate_pairs``,
    ``capped_blocks``, ``blocked_pairs_for_splink`` and ``scored_pairs`` on every call.
    Not safe for two threads at once (the caller holds a lock per connection)."""

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
        self._master_facts()
        # The linker reads the columns of both input tables when built: an empty request
        # table of the look-ups' own shape will do.
        self.load([])
        build_candidate_pairs(con, block_cap=policy.block_cap)
        sql.run(
            con,
            blocked_pairs_sql("(SELECT NULL::VARCHAR AS rid WHERE false)"),
            label="compiled.blocked_pairs",
        )
        self.splink = make_linker(con, model.with_prior(taxpayers=taxpayers))
        register_term_frequencies(self.splink, con)
        self.predict = compile_predict(con, self.splink)

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

    def load(self, requests: list[MatchInput]) -> None:
        """``request_features`` and ``request_address_kinds`` for these requests, with the
        unrecognised-name marks, as :func:`load_requests_for_matching` makes them."""
        with sql.registered(self.con, "_request_features_arrow", request_feature_rows(requests)):
            sql.run(self.con, request_features_sql(), label="compiled.request_features")
            sql.run(self.con, request_address_kinds_sql(), label="compiled.request_features")
        sql.run(self.con, mark_unrecognised_sql(_FIRST_NAMES_SEEN), label="compiled.names")

    def decide(self, request: MatchInput) -> MatchDecision:
        """The decision on one request (loaded, blocked and scored here)."""
        self.load([request])
        return self.score([request.row_number])[request.row_number]

    def score(self, row_numbers: list[int]) -> dict[int, MatchDecision]:
        """Decisions for the requests now in ``request_features`` (every one gets one)."""
        con = self.con
        build_candidate_pairs(con, block_cap=self.policy.block_cap)
        facts = self._facts()
        ids = pa.table({"rid": pa.array([str(r) for r in row_numbers], pa.string())})
        with sql.registered(con, "_chunk_ids", ids):
            sql.run(con, blocked_pairs_sql(), label="compiled.blocked_pairs")
        predictions = self.predict.run(con)
        try:
            sql.run(con, scored_pairs_sql(predictions), label="compiled.scored_pairs")
        finally:
            self.predict.drop(con)
        decisions = {
            rid: decide(candidates, facts(rid), self.policy)
            for rid, candidates in _candidates_by_request(con)
        }
        for rid in row_numbers:
            if rid not in decisions:
                decisions[rid] = decide([], facts(rid), self.policy)
        return decisions

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
        for rid, tin, flag in sql.fetch_all(
            self.con,
            "SELECT unique_id, tin IS NOT NULL, first_name_unrecognised IS TRUE"
            " FROM request_features",
            label="compiled.facts",
        ):
            if tin:
                has_tin.add(int(rid))
            if flag:
                unrecognised.add(int(rid))
        nobody = sql.fetch_all(
            self.con,
            first_names_nobody_holds_sql(
                _LEGAL_GIVEN_NAMES,
                master_first_names=f"SELECT first_name FROM {_MASTER_FIRST_NAMES}",
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
            )

        return facts
