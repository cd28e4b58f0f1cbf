"""One batch through every stage: intake -> review -> match -> disclose -> ledger.

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

from matchgate.batch import stages
from matchgate.batch.faults import kill_point
from matchgate.batch.stages import Progress
from matchgate.batch.state import BatchLock, BatchStages
from matchgate.batch.workspace import Workspace, file_sha256
from matchgate.decisions import Outcome
from matchgate.errors import MasterFileError, MatchgateError
from matchgate.match import MatchPolicy
from matchgate.match.policy import load_match_policy

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

    def summary(self) -> dict[str, object]:
        return {
            "batch_id": self.batch_id,
            "rows_in": self.rows_in,
            "rows_out": self.rows_out,
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
    transfer_date: date | None = None,
) -> BatchResult:
    """Run one request batch through every stage and write the response files.

    The ledger is ``WORKSPACE/ledger.sqlite`` unless ``ledger_url`` names another database
    (PostgreSQL for a server). The letter is judged against the workspace's agency registry
    on ``transfer_date`` (default: today, UTC)."""
    from matchgate.batch.ledger_entries import record_batch
    from matchgate.review import Policy, load_letter
    from matchgate.review.transfer import Transfer

    watch = stages.Stopwatch()
    # Check every input that can be wrong before any work is done or recorded.
    review_policy = Policy.load(policy_path)
    match_policy = load_match_policy(policy_path)
    request_letter = load_letter(letter)
    if not master.exists():
        raise MasterFileError("file not found", path=master)
    space = Workspace.open(workspace or out_dir / "workspace")
    transfer = Transfer.for_workspace(space.root, requests=requests, transfer_date=transfer_date)
    batch_id = space.batch_id(requests, letter, policy_path)
    with BatchLock(space.batch_folder(batch_id)):
        con = space.batch_database(batch_id)
        try:
            state = BatchStages(con)
            resumed = [
                s for s in ("intake", "review", "match", "outputs", "ledger") if state.done(s)
            ]
            rows_in = stages.intake(
                con, state, requests=requests, mapping=mapping, progress=progress
            )
            watch.lap("intake")
            letter_summary = stages.review(
                con,
                state,
                letter=request_letter,
                policy=review_policy,
                rows_in=rows_in,
                progress=progress,
                transfer=transfer,
            )
            watch.lap("review")
            master_report, matching = stages.match(
                con,
                state,
                master=master,
                to_match=stages.rows_to_match(con, reviewed=True),
                model_path=model_path or space.model_path,
                policy=match_policy,
                progress=progress,
                watch=watch,
            )
            outcomes = stages.final_rows(con, state, all_years=False)
            watch.lap("disclose")
            rows_out = stages.outputs(
                con, state, out_dir=out_dir, with_response=True, progress=progress
            )
            if rows_out != rows_in:
                raise MatchgateError(
                    f"row conservation failed: {rows_in} rows in, {rows_out} rows out",
                    path=requests,
                )
            watch.lap("write")
            if not state.done("ledger"):
                record_batch(
                    con,
                    space,
                    batch_id=batch_id,
                    letter=request_letter,
                    requests_path=requests,
                    rows_in=rows_in,
                    policy_sha256=file_sha256(policy_path) if policy_path else "",
                    actor=actor,
                    ledger_url=ledger_url,
                )
                state.mark("ledger")
                kill_point("after_ledger")
            watch.lap("ledger")
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
        letter=letter_summary,
        resumed_stages=resumed,
    )
    # A batch that was already finished is left exactly as it was, summary included.
    if "ledger" not in resumed or not (out_dir / "summary.json").exists():
        _write_summary(out_dir, result)
    return result


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
) -> BatchResult:
    """Intake and matching only: no legal review, no disclosure, nothing in the ledger.

    ``outcome`` ``disclosed`` in ``internal/decisions.csv`` means "would be disclosed"."""
    watch = stages.Stopwatch()
    if not master.exists():
        raise MasterFileError("file not found", path=master)
    space = Workspace.open(workspace or out_dir / "workspace")
    batch_id = "match-" + space.batch_id(requests, None, None)
    with BatchLock(space.batch_folder(batch_id)):
        con = space.batch_database(batch_id)
        try:
            state = BatchStages(con)
            rows_in = stages.intake(
                con, state, requests=requests, mapping=mapping, progress=progress
            )
            watch.lap("intake")
            # Without legal review every readable row is matched, for every tax year.
            con.execute(stages.REVIEW_RESULTS_TABLE)
            master_report, matching = stages.match(
                con,
                state,
                master=master,
                to_match=stages.rows_to_match(con, reviewed=False),
                model_path=model_path or space.model_path,
                policy=policy or MatchPolicy(),
                progress=progress,
                watch=watch,
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
