"""One batch through every stage: intake -> review -> match -> final rows -> ledger -> files.

Accounting comes before release (26 U.S.C. 6103(p)(3)(A)): the final rows, addresses
included, stay in the batch's database in the workspace (the office's own store); the
ledger is written from them; only then are ``response.csv`` and ``internal/decisions.csv``
written to the output folder. If the ledger cannot be written, no file with an address is.

Rows stream through DuckDB staging tables in the batch's folder of the workspace, so a
batch of a million rows never sits in Python memory at once. Each stage is idempotent and
marked done in the same database (``matchgate.batch.state``): a batch killed at any moment (even
``kill -9``) and run again with the same command finishes with the response an
uninterrupted run would have written, and the ledger's idempotency keys keep entries from
being recorded twice. Running a finished batch again changes nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from matchgate import sql
from matchgate.batch import stages
from matchgate.batch.faults import kill_point
from matchgate.batch.repeats import flag_repeat_requests
from matchgate.batch.stages import Progress
from matchgate.batch.state import BatchLock, BatchStages
from matchgate.batch.workspace import Workspace, file_sha256
from matchgate.decisions import Outcome
from matchgate.errors import MasterFileError, MatchgateError
from matchgate.match import MatchPolicy
from matchgate.match.policy import load_match_policy
from matchgate.match.spark import check_engine

if TYPE_CHECKING:
    from matchgate.review import Policy, RequestLetter
    from matchgate.review.transfer import Transfer

__all__ = ["BatchResult", "Progress", "match_batch", "run_batch"]


def _no_progress(stage: str, done: int, total: int | None) -> None:
    return None


@dataclass
class BatchResult:
    batch_id: str
    rows_in: int
    rows_out: int
    outcomes: dict[str, int]
    out_dir: Path
    workspace: Path
    timings: dict[str, float] = field(default_factory=dict)
    master: dict[str, object] = field(default_factory=dict)
    matching: dict[str, object] = field(default_factory=dict)
    letter: dict[str, object] = field(default_factory=dict)
    resumed_stages: list[str] = field(default_factory=list)

    @property
    def rows_pending_review(self) -> int:
        return self.outcomes.get(Outcome.NEEDS_REVIEW.value, 0)

    @property
    def response_final(self) -> bool:
        """A response is final, and may be released to the requester, when no row waits
        for a person's review."""
        return self.rows_pending_review == 0

    def summary(self) -> dict[str, object]:
        return {
            "batch_id": self.batch_id,
            "rows_in": self.rows_in,
            "rows_out": self.rows_out,
            "response_final": self.response_final,
            "rows_pending_review": self.rows_pending_review,
            "outcomes": {o.value: self.outcomes.get(o.value, 0) for o in Outcome},
            "timings_seconds": {k: round(v, 3) for k, v in self.timings.items()},
            "master": self.master,
            "matching": self.matching,
            "letter": self.letter,
            "response": str(self.out_dir / "response.csv"),
            "decisions": str(self.out_dir / "internal" / "decisions.csv"),
            "workspace": str(self.workspace),
        }


def run_batch(
    *,
    master: Path,
    requests: Path,
    letter: Path,
    out_dir: Path,
    workspace: Path | None = None,
    policy_path: Path | None = None,
    mapping: Path | None = None,
    model_path: Path | None = None,
    actor: str = "matchgate",
    ledger_url: str | None = None,
    progress: Progress = _no_progress,
    ledger_key: Path | None = None,
    transfer_date: date | None = None,
    engine: str = "duckdb",
    registry_url: str | None = None,
) -> BatchResult:
    """Run one request batch through every stage and write the response files.

    The ledger is ``WORKSPACE/ledger.sqlite`` unless ``ledger_url`` names another database
    (PostgreSQL for a server). The letter is judged against the workspace's agency registry
    on ``transfer_date`` (default: today, UTC), or against the one in the database
    ``registry_url`` names (a server's uploads: the server's database). ``engine`` scores the
    candidate pairs with Splink on DuckDB or on Spark (``matchgate.match.spark``); the
    decisions are the same. When the registry is read from a database, the ledger is opened
    first: a server database that cannot be reached (or a ledger that cannot be signed)
    stops the batch with the ledger's own error before any work is done."""
    from matchgate.review.transfer import Transfer

    check_engine(engine)
    watch = stages.Stopwatch()
    run = _checked_inputs(
        master=master,
        requests=requests,
        letter=letter,
        out_dir=out_dir,
        policy_path=policy_path,
        mapping=mapping,
        actor=actor,
        ledger_url=ledger_url,
        ledger_key=ledger_key,
        progress=progress,
    )
    space = Workspace.open(workspace or out_dir / "workspace")
    if registry_url is not None and ledger_url is not None:
        _check_ledger_opens(space, ledger_url=ledger_url, ledger_key=ledger_key)
    transfer = Transfer.for_workspace(
        space.root, requests=requests, transfer_date=transfer_date, registry_url=registry_url
    )
    batch_id = space.batch_id(requests, letter, policy_path, mapping=mapping, master=master)
    with BatchLock(space.batch_folder(batch_id)):
        con = space.batch_database(batch_id)
        try:
            done = _run_stages(
                con,
                run,
                space=space,
                batch_id=batch_id,
                model_path=model_path,
                watch=watch,
                transfer=transfer,
                engine=engine,
            )
        finally:
            con.close()
    result = BatchResult(
        batch_id=batch_id,
        rows_in=done.rows_in,
        rows_out=done.rows_out,
        outcomes=done.outcomes,
        out_dir=out_dir,
        workspace=space.root,
        timings=watch.timings,
        master=done.master,
        matching=done.matching,
        letter=done.letter,
        resumed_stages=done.resumed,
    )
    # A batch that was already finished is left exactly as it was, summary included.
    finished_before = {"ledger", "outputs"} <= set(done.resumed)
    if not finished_before or not (out_dir / "summary.json").exists():
        _write_summary(out_dir, result)
    space.record_output(batch_id, out_dir, letter)
    return result


def _check_ledger_opens(space: Workspace, *, ledger_url: str, ledger_key: Path | None) -> None:
    """Open the ledger as the ledger stage will, and close it: a :class:`LedgerError`
    (exit 6, naming the database) rather than the registry's error when the server's
    database is unreachable."""
    from matchgate.ledger import Ledger

    with Ledger.open(space.root, url=ledger_url, key_path=ledger_key):
        pass


@dataclass(frozen=True)
class _Run:
    """The checked inputs of one ``run_batch`` call."""

    master: Path
    requests: Path
    out_dir: Path
    policy_path: Path | None
    mapping: Path | None
    actor: str
    ledger_url: str | None
    ledger_key: Path | None
    progress: Progress
    review_policy: Policy
    match_policy: MatchPolicy
    letter: RequestLetter


@dataclass(frozen=True)
class _StagesDone:
    """What the stages of one run report for the batch's summary."""

    resumed: list[str]
    rows_in: int
    rows_out: int
    outcomes: dict[str, int]
    letter: dict[str, object]
    master: dict[str, object]
    matching: dict[str, object]


def _checked_inputs(
    *,
    master: Path,
    requests: Path,
    letter: Path,
    out_dir: Path,
    policy_path: Path | None,
    mapping: Path | None,
    actor: str,
    ledger_url: str | None,
    ledger_key: Path | None,
    progress: Progress,
) -> _Run:
    """Check every input that can be wrong before any work is done or recorded."""
    from matchgate.review import Policy, load_letter

    review_policy = Policy.load(policy_path)
    match_policy = load_match_policy(policy_path)
    request_letter = load_letter(letter)
    if not master.exists():
        raise MasterFileError("file not found", path=master)
    return _Run(
        master=master,
        requests=requests,
        out_dir=out_dir,
        policy_path=policy_path,
        mapping=mapping,
        actor=actor,
        ledger_url=ledger_url,
        ledger_key=ledger_key,
        progress=progress,
        review_policy=review_policy,
        match_policy=match_policy,
        letter=request_letter,
    )


def _run_stages(
    con: duckdb.DuckDBPyConnection,
    run: _Run,
    *,
    space: Workspace,
    batch_id: str,
    model_path: Path | None,
    watch: stages.Stopwatch,
    transfer: Transfer | None = None,
    engine: str = "duckdb",
) -> _StagesDone:
    """Intake, review, match, final rows, ledger and output files, each skipped when done."""
    state = BatchStages(con)
    resumed = [s for s in ("intake", "review", "match", "ledger", "outputs") if state.done(s)]
    rows_in = stages.intake(
        con, state, requests=run.requests, mapping=run.mapping, progress=run.progress
    )
    watch.lap("intake")
    letter_summary = stages.review(
        con,
        state,
        letter=run.letter,
        policy=run.review_policy,
        rows_in=rows_in,
        progress=run.progress,
        transfer=transfer,
    )
    watch.lap("review")
    master_report, matching = stages.match(
        con,
        state,
        master=run.master,
        to_match=stages.rows_to_match(con, reviewed=True),
        model_path=model_path,
        policy=run.match_policy,
        progress=run.progress,
        watch=watch,
        engine=engine,
        workspace=space.root,
    )
    flag_repeat_requests(
        con,
        state,
        space,
        batch_id=batch_id,
        agency_code=run.letter.agency_code,
        policy=run.review_policy,
        ledger_url=run.ledger_url,
        ledger_key=run.ledger_key,
    )
    outcomes = stages.final_rows(con, state, all_years=False)
    _check_row_conservation(rows_in, sum(outcomes.values()), requests=run.requests)
    watch.lap("disclose")
    # The ledger first: no file with an address exists before its disclosure is recorded.
    _record_in_ledger(con, state, run, space=space, batch_id=batch_id, rows_in=rows_in)
    watch.lap("ledger")
    rows_out = stages.outputs(
        con, state, out_dir=run.out_dir, with_response=True, progress=run.progress
    )
    _check_row_conservation(rows_in, rows_out, requests=run.requests)
    watch.lap("write")
    return _StagesDone(
        resumed=resumed,
        rows_in=rows_in,
        rows_out=rows_out,
        outcomes=outcomes,
        letter=letter_summary,
        master=master_report,
        matching=matching,
    )


def _check_row_conservation(rows_in: int, rows_out: int, *, requests: Path) -> None:
    if rows_out != rows_in:
        raise MatchgateError(
            f"row conservation failed: {rows_in} rows in, {rows_out} rows out",
            path=requests,
        )


def _record_in_ledger(
    con: duckdb.DuckDBPyConnection,
    state: BatchStages,
    run: _Run,
    *,
    space: Workspace,
    batch_id: str,
    rows_in: int,
) -> None:
    """The ledger stage: the batch's entries, unless they are recorded already."""
    from matchgate.batch.ledger_entries import record_batch

    if state.done("ledger"):
        return
    record_batch(
        con,
        space,
        batch_id=batch_id,
        letter=run.letter,
        requests_path=run.requests,
        mapping_path=run.mapping,
        rows_in=rows_in,
        policy_sha256=file_sha256(run.policy_path) if run.policy_path else "",
        actor=run.actor,
        ledger_url=run.ledger_url,
        ledger_key=run.ledger_key,
        policy_text=_policy_in_force(run),
    )
    state.mark("ledger")
    kill_point("after_ledger")


def _policy_in_force(run: _Run) -> str:
    """The whole policy the batch was judged under, defaults included, as ``policy show``
    prints it: the ledger keeps its text, not only the file's hash."""
    from matchgate.match.policy import match_policy_toml

    return run.review_policy.to_toml() + "\n" + match_policy_toml(run.match_policy)


def _write_summary(out_dir: Path, result: BatchResult) -> None:
    path = out_dir / "summary.json"
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(result.summary(), indent=2, sort_keys=True), encoding="utf-8")
    temporary.replace(path)


def match_batch(
    *,
    master: Path,
    requests: Path,
    out_dir: Path,
    workspace: Path | None = None,
    mapping: Path | None = None,
    model_path: Path | None = None,
    policy: MatchPolicy | None = None,
    progress: Progress = _no_progress,
    engine: str = "duckdb",
) -> BatchResult:
    """Intake and matching only: no legal review, no disclosure, nothing in the ledger.

    ``outcome`` ``disclosed`` in ``internal/decisions.csv`` means "would be disclosed"."""
    check_engine(engine)
    watch = stages.Stopwatch()
    if not master.exists():
        raise MasterFileError("file not found", path=master)
    space = Workspace.open(workspace or out_dir / "workspace")
    batch_id = "match-" + space.batch_id(requests, None, None, mapping=mapping, master=master)
    with BatchLock(space.batch_folder(batch_id)):
        con = space.batch_database(batch_id)
        try:
            state = BatchStages(con)
            rows_in = stages.intake(
                con, state, requests=requests, mapping=mapping, progress=progress
            )
            watch.lap("intake")
            # Without legal review every readable row is matched, for every tax year.
            sql.run(con, stages.REVIEW_RESULTS_TABLE, label="pipeline.review_results_table")
            master_report, matching = stages.match(
                con,
                state,
                master=master,
                to_match=stages.rows_to_match(con, reviewed=False),
                model_path=model_path,
                policy=policy or MatchPolicy(),
                progress=progress,
                watch=watch,
                engine=engine,
                workspace=space.root,
            )
            outcomes = stages.final_rows(con, state, all_years=True)
            rows_out = stages.outputs(
                con, state, out_dir=out_dir, with_response=False, progress=progress
            )
            watch.lap("write")
        finally:
            con.close()
    result = BatchResult(
        batch_id=batch_id,
        rows_in=rows_in,
        rows_out=rows_out,
        outcomes=outcomes,
        out_dir=out_dir,
        workspace=space.root,
        timings=watch.timings,
        master=master_report,
        matching=matching,
    )
    _write_summary(out_dir, result)
    return result
