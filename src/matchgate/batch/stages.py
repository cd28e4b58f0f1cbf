"""The stages of one batch, each idempotent and marked done in the batch's database.

Each function either finds its stage done (``BatchStages``) and returns what it recorded,
or does the work, stores the results, marks the stage done, and passes a kill point so the
resume tests can stop the process right there. ``pipeline`` runs them in order, the ledger
before the output files.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa

from matchgate import sql
from matchgate.batch.faults import chunk_rows, kill_point
from matchgate.batch.memo import BoundedMemo
from matchgate.batch.rows import build_final_rows, reasons_to_json, write_outputs
from matchgate.batch.staging import read_staged_rows, stage_records
from matchgate.batch.state import BatchStages
from matchgate.batch.workspace import file_sha256
from matchgate.decisions import Outcome, join_codes
from matchgate.disclose import DisclosedAddress, latest_addresses_in_periods
from matchgate.errors import MatchgateError
from matchgate.intake import read_requests
from matchgate.master import attach_prepared, ensure_prepared, open_prepared
from matchgate.master.build import standardizing_workers
from matchgate.master.store import ATTACHED_AS
from matchgate.match import (
    BatchScorer,
    MatchInput,
    MatchPolicy,
    ensure_model,
    load_requests_for_matching,
)
from matchgate.match.features import PARALLEL_FROM_REQUESTS

if TYPE_CHECKING:
    from matchgate.review import BatchFacts, Policy, RequestLetter
    from matchgate.review.transfer import Transfer

__all__ = [
    "attach_batch_master",
    "Progress",
    "Stopwatch",
    "disclosed_addresses",
    "final_rows",
    "intake",
    "match",
    "outputs",
    "review",
    "rows_to_match",
]

Progress = Callable[[str, int, int | None], None]

_REVIEW_CHUNK = 20_000
_MATCH_CHUNK = 10_000
_REVIEW_SCHEMA = pa.schema(
    [
        ("row_number", pa.int64()),
        ("outcome", pa.string()),
        ("reasons_json", pa.string()),
        ("to_match", pa.bool_()),
        ("tax_years", pa.list_(pa.int32())),
    ]
)
MATCH_DECISIONS_TABLE = (
    "CREATE TABLE IF NOT EXISTS match_decisions (row_number BIGINT PRIMARY KEY, "
    "decision_json VARCHAR)"
)
REVIEW_RESULTS_TABLE = (
    "CREATE TABLE IF NOT EXISTS review_results (row_number BIGINT PRIMARY KEY, "
    "outcome VARCHAR, reasons_json VARCHAR, to_match BOOLEAN, tax_years INTEGER[])"
)
_LAST_REVIEWED = "SELECT coalesce(max(row_number), 0) FROM review_results"
_INSERT_REVIEW_CHUNK = "INSERT INTO review_results SELECT * FROM _review_chunk"
_DECIDED_ROWS = "SELECT row_number FROM match_decisions"
_INSERT_DECISIONS_CHUNK = "INSERT INTO match_decisions SELECT * FROM _decisions_chunk"
# The rows whose decision discloses, with the chosen taxpayer and the requested years: read
# from the stored JSON in SQL, so the batch's decisions are not each parsed in Python here.
_DISCLOSING_WITH_YEARS = f"""
    SELECT m.row_number, json_extract_string(m.decision_json, '$.best.tin'), r.tax_years
    FROM match_decisions m LEFT JOIN review_results r ON r.row_number = m.row_number
    WHERE json_extract_string(m.decision_json, '$.outcome') = '{Outcome.DISCLOSED.value}'
      AND json_extract_string(m.decision_json, '$.best.tin') IS NOT NULL
    """


def rows_to_match_sql(*, reviewed: bool) -> str:
    """Row numbers the review sent on to matching, or (``reviewed=False``) every row
    intake could read."""
    return (
        "SELECT row_number FROM review_results WHERE to_match"
        if reviewed
        else "SELECT row_number FROM request_rows WHERE problems = '[]'"
    )


class Stopwatch:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._start = time.perf_counter()

    def lap(self, name: str) -> None:
        """Seconds since the last lap go to ``name`` (added, when a stage laps twice: the
        match stage laps before and after training, which is its own lap ``train``)."""
        now = time.perf_counter()
        self.timings[name] = round(self.timings.get(name, 0.0) + now - self._start, 3)
        self._start = now


def intake(
    con: duckdb.DuckDBPyConnection,
    stages: BatchStages,
    *,
    requests: Path,
    mapping: Path | None,
    progress: Progress,
) -> int:
    done = stages.info("intake")
    if done is not None:
        return int(done["rows_in"])
    request_file = read_requests(requests, mapping=mapping)
    rows_in = stage_records(
        con, request_file.records, progress=lambda n: progress("intake", n, None)
    )
    stages.mark(
        "intake",
        {
            "rows_in": rows_in,
            "unknown_columns": list(request_file.unknown_columns),
            "columns_mapped": dict(request_file.columns_mapped),
        },
    )
    kill_point("after_intake")
    return rows_in


def review(
    con: duckdb.DuckDBPyConnection,
    stages: BatchStages,
    *,
    letter: RequestLetter,
    policy: Policy,
    rows_in: int,
    progress: Progress,
    transfer: Transfer | None = None,
) -> dict[str, object]:
    """Review every row (resuming after the last reviewed chunk); returns the letter's
    decision as a dict for the summary."""
    from matchgate.review import RowReviewer, review_letter
    from matchgate.review.periods import parse_tax_periods

    facts = _batch_facts(con)
    letter_decision = review_letter(letter, facts=facts, policy=policy, transfer=transfer)
    summary: dict[str, object] = {
        "outcome": letter_decision.outcome.value,
        "reason_codes": join_codes(letter_decision.reasons),
    }
    if stages.done("review"):
        return summary
    sql.run(con, REVIEW_RESULTS_TABLE, label="stages.review_results_table")
    resume_after = sql.fetch_int(con, _LAST_REVIEWED, label="stages.last_reviewed")
    chunk: dict[str, list[object]] = {name: [] for name in _REVIEW_SCHEMA.names}

    def flush() -> None:
        with sql.registered(con, "_review_chunk", pa.table(chunk, schema=_REVIEW_SCHEMA)):
            sql.run(con, _INSERT_REVIEW_CHUNK, label="stages.insert_review_chunk")
        for values in chunk.values():
            values.clear()
        kill_point("review_chunk")

    reviewer = RowReviewer(
        letter=letter, letter_decision=letter_decision, facts=facts, policy=policy
    )
    # Most rows share their reasons and periods with others: each text is made once.
    reasons_text = BoundedMemo(reasons_to_json)
    years_of: BoundedMemo[str, list[int]] = BoundedMemo(
        lambda periods: sorted(parse_tax_periods(periods) or ())
    )
    reviewed = resume_after
    size = chunk_rows(_REVIEW_CHUNK)
    for staged in read_staged_rows(con, after=resume_after, readable_only=True):
        record = staged.record
        review = reviewer.review(record)
        reasons = review.reasons  # includes the `duplicate` note for a repeated row
        text = reasons_text(reasons)
        years = years_of(record.tax_periods)
        chunk["row_number"].append(record.row_number)
        chunk["outcome"].append(review.outcome.value)
        chunk["reasons_json"].append(text)
        chunk["to_match"].append(
            review.outcome.value != "legally_deficient" and record.duplicate_of is None
        )
        chunk["tax_years"].append(years)
        reviewed = record.row_number
        if len(chunk["row_number"]) >= size:
            flush()
            progress("review", reviewed, rows_in)
    if chunk["row_number"]:
        flush()
    progress("review", rows_in, rows_in)
    stages.mark("review")
    kill_point("after_review")
    return summary


_FACT_FIELDS = (
    "SELECT reason, case_number, problems <> '[]', duplicate_of IS NOT NULL "
    "FROM request_rows ORDER BY row_number"
)


def _batch_facts(con: duckdb.DuckDBPyConnection) -> BatchFacts:
    """The batch's facts from the four staged columns they need, a chunk at a time."""
    from matchgate.review import BatchFacts

    facts = BatchFacts()
    cursor = con.cursor()
    sql.run(cursor, _FACT_FIELDS, label="stages.fact_fields")
    while rows := cursor.fetchmany(_REVIEW_CHUNK):
        for reason, case_number, invalid, duplicate in rows:
            facts.observe_fields(
                reason=reason or "",
                case_number=case_number or "",
                invalid=bool(invalid),
                duplicate=bool(duplicate),
            )
    cursor.close()
    return facts


def _match_inputs(con: duckdb.DuckDBPyConnection, wanted: set[int]) -> list[MatchInput]:
    return [
        MatchInput.from_record(staged.record)
        for staged in read_staged_rows(con)
        if staged.row_number in wanted
    ]


def match(
    con: duckdb.DuckDBPyConnection,
    stages: BatchStages,
    *,
    master: Path,
    to_match: set[int],
    model_path: Path | None,
    policy: MatchPolicy,
    progress: Progress,
    watch: Stopwatch,
    engine: str = "duckdb",
    workspace: Path | None = None,
) -> tuple[dict[str, object], dict[str, object]]:
    """Match the rows ``to_match`` against the prepared master of ``master`` in
    ``workspace`` (prepared first if it is not: ``matchgate.master``), ATTACHed read-only.
    The model is ``model_path``, else the one trained once per prepared master."""
    sql.run(con, MATCH_DECISIONS_TABLE, label="stages.match_decisions_table")
    if not to_match:
        return {}, {}
    # Attached on every run, a resumed one too: the later stages read the master's
    # addresses through the attached views.
    prepared = ensure_prepared(master, _master_workspace(con, workspace), progress=progress)
    attach_prepared(con, prepared)
    done = stages.info("match")
    if done is not None:
        return done["master"], done["matching"]
    master_info = stages.info("master")
    if master_info is None:
        master_info = {
            "report": prepared.report(),
            "taxpayers": prepared.taxpayers,
            "prepared": str(prepared.folder),
        }
        stages.mark("master", master_info)
        kill_point("after_master")
    watch.lap("master")
    taxpayers = int(master_info["taxpayers"])
    workers = standardizing_workers(len(to_match), parallel_from=PARALLEL_FROM_REQUESTS)
    load_requests_for_matching(con, _match_inputs(con, to_match), workers=workers)
    saved_model = model_path or prepared.model_path
    # Whether this batch trains the model (the first batch on a prepared master) or reads
    # the one trained before: the one-time cost is reported apart (lap "train").
    model_was_saved = saved_model.exists()
    watch.lap("match")
    model = ensure_model(con, taxpayers=taxpayers, model_path=saved_model)
    kill_point("after_model")
    watch.lap("train")
    scorer = BatchScorer(
        con,
        model=model,
        taxpayers=taxpayers,
        policy=policy,
        engine=engine,
        predict_cache=prepared.folder,
    )
    try:
        decided = {int(row) for (row,) in sql.fetch_all(con, _DECIDED_ROWS, label="stages.decided")}
        pending = sorted(to_match - decided)
        size = chunk_rows(_MATCH_CHUNK)
        for start in range(0, len(pending), size):
            chunk = pending[start : start + size]
            decisions = scorer.score(chunk)
            table = pa.table(
                {
                    "row_number": pa.array(chunk, pa.int64()),
                    "decision_json": pa.array([decisions[r].to_json() for r in chunk], pa.string()),
                }
            )
            with sql.registered(con, "_decisions_chunk", table):
                sql.run(con, _INSERT_DECISIONS_CHUNK, label="stages.insert_decisions_chunk")
            progress("matching", len(decided) + start + len(chunk), len(to_match))
            kill_point("match_chunk")
    finally:
        # also on an error: stops a local Spark session and removes its scratch folder
        # (personal data); after a kill the next run of the batch removes what is left
        scorer.close()
    matching = dict(scorer.stats)
    matching["model_trained"] = model.trained.get("at", "")
    matching["model_trained_in_this_batch"] = not model_was_saved
    stages.mark("match", {"master": master_info["report"], "matching": matching})
    kill_point("after_match")
    watch.lap("match")
    return master_info["report"], matching


def attach_batch_master(con: duckdb.DuckDBPyConnection) -> None:
    """Attach, read-only, the prepared master a finished batch was matched against, so its
    candidates' records and filed addresses can be read after the run (the review of a
    row, a release); nothing when the batch never reached matching. Works on a read-only
    connection to the batch database."""
    exists = sql.fetch_one(
        con,
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database()"
        " AND table_name = 'batch_stages'",
        label="stages.has_stages",
    )
    if not exists or not exists[0]:
        return
    row = sql.fetch_one(
        con, "SELECT info FROM batch_stages WHERE stage = 'master'", label="stages.master_info"
    )
    info = json.loads(row[0]) if row and row[0] else {}
    if "prepared" not in info:
        return
    attached = sql.fetch_all(
        con,
        "SELECT 1 FROM duckdb_databases() WHERE database_name = ?",
        [ATTACHED_AS],
        label="stages.attached",
    )
    if not attached:
        attach_prepared(con, open_prepared(Path(str(info["prepared"]))))


def _attach_recorded_master(con: duckdb.DuckDBPyConnection, stages: BatchStages) -> None:
    """Attach the prepared master the match stage used, if this connection has not (a
    batch resumed after matching reads the disclosed addresses from it)."""
    info = stages.info("master")
    if info is None or "prepared" not in info:
        return
    attached = sql.fetch_all(
        con,
        "SELECT 1 FROM duckdb_databases() WHERE database_name = ?",
        [ATTACHED_AS],
        label="stages.attached",
    )
    if not attached:
        attach_prepared(con, open_prepared(Path(str(info["prepared"]))))


def _master_workspace(con: duckdb.DuckDBPyConnection, workspace: Path | None) -> Path:
    """The workspace whose prepared masters a batch uses: the one given, else the one the
    batch's database is in (``WORKSPACE/batches/<id>/batch.duckdb``)."""
    if workspace is not None:
        return workspace
    row = sql.fetch_one(
        con,
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()",
        label="stages.workspace",
    )
    if row is None or not row[0]:
        raise MatchgateError("a batch in memory needs its workspace to find the master")
    return Path(str(row[0])).resolve().parent.parent.parent


def rows_to_match(con: duckdb.DuckDBPyConnection, *, reviewed: bool) -> set[int]:
    """Rows the legal review sent on to matching, or (``reviewed=False``, matching alone)
    every readable row."""
    rows = sql.fetch_all(con, rows_to_match_sql(reviewed=reviewed), label="stages.rows_to_match")
    return {int(row) for (row,) in rows}


def disclosed_addresses(
    con: duckdb.DuckDBPyConnection, *, all_years: bool
) -> dict[int, DisclosedAddress]:
    """Latest address within the requested periods for rows the matcher would disclose."""
    _attach_recorded_master(con, BatchStages(con))
    wanted: list[tuple[int, str, list[int] | None]] = []
    rows = sql.fetch_all(con, _DISCLOSING_WITH_YEARS, label="stages.disclosing_with_years")
    for row_number, tin, years in rows:
        wanted.append((int(row_number), str(tin), None if all_years else list(years or [])))
    return latest_addresses_in_periods(con, wanted)


def final_rows(
    con: duckdb.DuckDBPyConnection, stages: BatchStages, *, all_years: bool
) -> dict[str, int]:
    done = stages.info("final_rows")
    if done is not None:
        return {k: int(v) for k, v in done["outcomes"].items()}
    addresses = disclosed_addresses(con, all_years=all_years)
    outcomes = build_final_rows(con, addresses=addresses)
    stages.mark("final_rows", {"outcomes": outcomes})
    kill_point("after_final_rows")
    return outcomes


def outputs(
    con: duckdb.DuckDBPyConnection,
    stages: BatchStages,
    *,
    out_dir: Path,
    with_response: bool,
    progress: Progress,
) -> int:
    """Write the output files unless this exact output is already in place.

    A response carries addresses, so it is written only once the ledger stage is done:
    every disclosure it carries is then recorded (26 U.S.C. 6103(p)(3)(A))."""
    if with_response and not stages.done("ledger"):
        raise MatchgateError(
            "the response cannot be written before the ledger holds the batch's disclosures"
        )
    done = stages.info("outputs")
    response = out_dir / "response.csv"
    decisions = out_dir / "internal" / "decisions.csv"
    if (
        done is not None
        and done.get("out_dir") == str(out_dir.resolve())
        and decisions.exists()
        and file_sha256(decisions) == done.get("decisions_sha256")
        and (
            not with_response
            or (response.exists() and file_sha256(response) == done.get("response_sha256"))
        )
    ):
        return int(done["rows_out"])
    rows_out = write_outputs(
        con,
        out_dir=out_dir,
        with_response=with_response,
        progress=lambda n: progress("writing files", n, None),
    )
    stages.mark(
        "outputs",
        {
            "out_dir": str(out_dir.resolve()),
            "rows_out": rows_out,
            "decisions_sha256": file_sha256(decisions),
            "response_sha256": file_sha256(response) if with_response else "",
        },
    )
    kill_point("after_outputs")
    return rows_out
