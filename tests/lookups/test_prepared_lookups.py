"""A look-up's prediction is PREPAREd once and keeps its plan, and a kept plan is right.

DuckDB 1.5 keeps a prepared statement's plan until the catalog of a table it reads changes.
The look-up path refills fixed TEMP tables and changes nothing in the temp catalog per
look-up, so the prediction statement is planned once (checked here with DuckDB's profiler:
no planner time on a look-up's ``EXECUTE``). A plan kept over refilled tables must not have
been folded on what they held when it was made: with DuckDB's statistics optimizers on, a
statement prepared while a column was all NULL returned nothing after it was filled; the
look-up connection turns them off (``configure_lookup_connection``).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from matchgate import sql
from matchgate.batch.workspace import connect_duckdb
from matchgate.intake.read import record_from_fields
from matchgate.master import attach_prepared, ensure_prepared
from matchgate.match import MatchInput, MatchPolicy
from matchgate.match import compiled as compiled_module
from matchgate.match.compiled import CompiledScorer, configure_lookup_connection
from matchgate.match.engine import load_requests_for_matching
from matchgate.match.model import train_model
from matchgate.synth import generate_world


def _kept_plan_results(con: duckdb.DuckDBPyConnection) -> tuple[list[Any], list[Any]]:
    """A statement prepared while ``b`` is all NULL, executed after the table was refilled
    (and a table of the main catalog replaced, as a look-up's blocking does)."""
    con.execute("CREATE TEMP TABLE refilled (a INTEGER, b VARCHAR)")
    con.execute("INSERT INTO refilled VALUES (1, NULL), (2, NULL)")
    con.execute("PREPARE filled AS SELECT a FROM refilled WHERE b IS NOT NULL ORDER BY a")
    con.execute(
        "PREPARE joined AS SELECT x.a, y.b FROM refilled x JOIN refilled y ON x.a = y.a"
        " WHERE y.b IS NOT NULL ORDER BY x.a"
    )
    assert con.execute("EXECUTE filled").fetchall() == []
    con.execute("DELETE FROM refilled")
    con.execute("INSERT INTO refilled VALUES (1, 'x'), (2, NULL), (3, 'y')")
    con.execute("CREATE OR REPLACE TABLE main.blocking_stage AS SELECT 1 AS z")
    return con.execute("EXECUTE filled").fetchall(), con.execute("EXECUTE joined").fetchall()


def test_a_kept_plan_reads_the_refilled_tables() -> None:
    con = duckdb.connect()
    configure_lookup_connection(con)
    filled, joined = _kept_plan_results(con)
    assert filled == [(1,), (3,)]
    assert joined == [(1, "x"), (3, "y")]


def test_with_the_statistics_optimizers_on_a_kept_plan_misses_rows() -> None:
    """Why the look-up connection turns them off: the same statements on a connection with
    DuckDB's defaults keep the plan folded on the empty column. (Should a DuckDB version
    stop doing so, this fails, and the setting's comment is to be revisited.)"""
    filled, joined = _kept_plan_results(duckdb.connect())
    assert filled == [] and joined == []


@pytest.mark.slow
def test_look_ups_execute_the_prepared_prediction_without_planning_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = tmp_path / "world"
    generate_world(world, people=400, requests=40, seed=12, request_mix="stress")
    prepared = ensure_prepared(world / "master.parquet", tmp_path / "ws")
    con = connect_duckdb()
    attach_prepared(con, prepared)
    with (world / "requests.csv").open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    requests = [
        MatchInput.from_record(record)
        for record in (record_from_fields(n, row) for n, row in enumerate(rows, start=1))
        if not record.problems
    ]
    load_requests_for_matching(con, requests)
    model = train_model(con, taxpayers=prepared.taxpayers)
    scorer = CompiledScorer(con, model=model, taxpayers=prepared.taxpayers, policy=MatchPolicy())

    planned: list[float] = []
    scored: list[int] = []
    run = sql.run

    def profiled(
        con: duckdb.DuckDBPyConnection, text: str, params: Any = None, *, label: str
    ) -> Any:
        if not text.startswith("EXECUTE"):
            return run(con, text, params, label=label)
        con.execute("SET enable_profiling = 'no_output'")
        con.execute("SET profiling_mode = 'detailed'")
        try:
            result = run(con, text, params, label=label)
            info = json.loads(con.get_profiling_information(format="json"))
        finally:
            con.execute("SET enable_profiling = 'no_output'")
            con.execute("SET profiling_mode = 'standard'")
            con.execute("PRAGMA disable_profiling")
        planned.append(float(info["planner"]) + float(info["all_optimizers"]))
        scored.append(int(con.execute("SELECT count(*) FROM lookup_predictions").fetchone()[0]))
        return result

    monkeypatch.setattr(compiled_module.sql, "run", profiled)
    decisions = [scorer.decide(request) for request in requests[:12]]
    assert len(planned) == 12
    # The first look-up may plan it (made over empty tables); none after it does. Planning
    # again costs every later look-up 15-45 ms (a TEMP view registered between look-ups:
    # 30-44 ms at load 4); kept, it is under 0.1 ms. A process descheduled on a loaded
    # machine shows one look-up at 4-8 ms now and then (two CI runs failed so), so two
    # such look-ups of eleven are tolerated, not a plan made again for all of them.
    replanned = [seconds for seconds in planned[1:] if seconds >= 0.002]
    assert len(replanned) <= 2, planned
    # And the kept plan scored pairs: the look-ups found candidates and scored them.
    assert sum(scored) > 0 and any(d.best is not None for d in decisions), scored

    # A batch's TEMP raw_pairs left behind on the connection (a batch failing between
    # its blocking statements) must not reach a look-up's blocking: same decisions again.
    con.execute(
        "CREATE TEMP TABLE raw_pairs AS"
        " SELECT unique_id AS rid, 'JUNK' AS tin, 'dob_zip' AS rule FROM request_features"
    )
    again = [scorer.decide(request) for request in requests[:12]]
    assert [d.to_json() for d in again] == [d.to_json() for d in decisions]
