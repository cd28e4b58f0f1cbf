"""One batch through every stage: intake -> review -> match -> disclose -> ledger.

Rows stream through DuckDB staging tables in the batch's workspace folder, so a batch of
a million rows never sits in Python memory at once. Every input row ends in exactly one
output row; the counts are checked before any file is declared finished.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from matchgate.decisions import Outcome, Reason, join_codes
from matchgate.disclose import RESPONSE_COLUMNS, ResponseRow, latest_addresses_in_periods
from matchgate.errors import MatchgateError
from matchgate.intake import REQUEST_FIELDS, RequestRecord, read_requests
from matchgate.match import (
    MatchDecision,
    MatchInput,
    MatchModel,
    MatchPolicy,
    evidence_json,
    load_requests_for_matching,
    prepare_master,
    score_and_decide,
)
from matchgate.match.policy import load_match_policy
from matchgate.safe_csv import SafeCsvWriter
from matchgate.staging import StagedRow, read_staged_rows, stage_records
from matchgate.workspace import Workspace, file_sha256

__all__ = ["DECISION_COLUMNS", "BatchResult", "Progress", "match_batch", "run_batch"]

Progress = Callable[[str, int, int | None], None]

DECISION_COLUMNS: tuple[str, ...] = (
    *RESPONSE_COLUMNS,
    "review_outcome",
    "tin",
    "runner_up_tin",
    "runner_up_probability",
    "best_probability",
    "competitor_tins",
    "evidence",
    "reasons_json",
)


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


@dataclass
class _RowOutcome:
    outcome: Outcome
    reasons: list[Reason]
    review_outcome: str = ""
    match: MatchDecision | None = None


def _explanation(outcome: Outcome, reasons: list[Reason]) -> str:
    if not reasons:
        return {
            Outcome.DISCLOSED: "Identity confirmed; latest address in the requested periods.",
        }.get(outcome, outcome.value)
    return " ".join(dict.fromkeys(r.message for r in reasons))


def _match_inputs(rows: Iterator[StagedRow], wanted: set[int]) -> Iterator[MatchInput]:
    for row in rows:
        if row.row_number in wanted:
            r = row.record
            yield MatchInput(
                row_number=r.row_number,
                first_name=r.first_name,
                middle_name=r.middle_name,
                last_name=r.last_name,
                suffix=r.suffix,
                dob=r.dob,
                tin=r.tin,
                street=r.street,
                city=r.city,
                state=r.state,
                zip=r.zip,
            )


def _tax_years(text: str) -> list[int]:
    from matchgate.review.periods import parse_tax_periods

    return sorted(parse_tax_periods(text) or ())


class _Stopwatch:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._start = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.timings[name] = now - self._start
        self._start = now


def _progress_noop(stage: str, done: int, total: int | None) -> None:
    return None


def _match_stage(
    con: duckdb.DuckDBPyConnection,
    *,
    master: Path,
    to_match: set[int],
    workspace: Workspace,
    policy: MatchPolicy,
    model_path: Path | None,
    progress: Progress,
    watch: _Stopwatch,
) -> tuple[dict[int, MatchDecision], dict[str, object], dict[str, object]]:
    report, taxpayers = prepare_master(
        con, master, progress=lambda what, n: progress(f"standardizing master {what}", n, None)
    )
    watch.lap("master")
    load_requests_for_matching(con, _match_inputs(read_staged_rows(con), to_match))
    model = None
    path = model_path or workspace.model_path
    if path.exists():
        model = MatchModel.load(path)
    progress("matching", 0, len(to_match))
    scored = score_and_decide(con, taxpayers=taxpayers, policy=policy, model=model, model_path=path)
    progress("matching", len(to_match), len(to_match))
    watch.lap("match")
    return scored.decisions, report.as_dict(), scored.stats


def _write_outputs(
    con: duckdb.DuckDBPyConnection,
    *,
    out_dir: Path,
    outcomes: dict[int, _RowOutcome],
    disclosed_addresses: dict[int, object],
    progress: Progress,
    rows_in: int,
) -> tuple[int, list[tuple[StagedRow, ResponseRow, _RowOutcome]]]:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "internal").mkdir(exist_ok=True)
    written = 0
    disclosed: list[tuple[StagedRow, ResponseRow, _RowOutcome]] = []
    response_tmp = out_dir / "response.csv.tmp"
    decisions_tmp = out_dir / "internal" / "decisions.csv.tmp"
    with (
        response_tmp.open("w", encoding="utf-8", newline="") as response_stream,
        decisions_tmp.open("w", encoding="utf-8", newline="") as decisions_stream,
    ):
        response = SafeCsvWriter(response_stream, RESPONSE_COLUMNS)
        decisions = SafeCsvWriter(decisions_stream, DECISION_COLUMNS)
        for staged in read_staged_rows(con):
            row_outcome = outcomes[staged.row_number]
            decision = row_outcome.match
            address = disclosed_addresses.get(staged.row_number)
            row = ResponseRow(
                row_number=staged.row_number,
                request_id=staged.record.request_id,
                outcome=row_outcome.outcome,
                reason_codes=join_codes(row_outcome.reasons),
                explanation=_explanation(row_outcome.outcome, row_outcome.reasons),
                match_probability=decision.best.match_probability
                if decision and decision.best
                else None,
                address=address if row_outcome.outcome is Outcome.DISCLOSED else None,  # type: ignore[arg-type]
            )
            csv_row = row.as_csv_row()
            response.write_row(csv_row)
            best = decision.best if decision else None
            runner = decision.runner_up if decision else None
            decisions.write_row(
                {
                    **csv_row,
                    "review_outcome": row_outcome.review_outcome,
                    "tin": best.tin if best else "",
                    "best_probability": round(best.match_probability, 6) if best else "",
                    "runner_up_tin": runner.tin if runner else "",
                    "runner_up_probability": round(runner.match_probability, 6) if runner else "",
                    "competitor_tins": ";".join(decision.competitors) if decision else "",
                    "evidence": evidence_json(decision) if decision else "{}",
                    "reasons_json": json.dumps([r.as_dict() for r in row_outcome.reasons]),
                }
            )
            if row.outcome is Outcome.DISCLOSED:
                disclosed.append((staged, row, row_outcome))
            written += 1
            if written % 50_000 == 0:
                progress("writing response", written, rows_in)
    response_tmp.replace(out_dir / "response.csv")
    decisions_tmp.replace(out_dir / "internal" / "decisions.csv")
    return written, disclosed


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
    progress: Progress = _progress_noop,
) -> BatchResult:
    """Run one request batch through every stage and write the response files."""
    from matchgate.ledger_events import record_batch
    from matchgate.review import (
        BatchFacts,
        Policy,
        ReviewOutcome,
        load_letter,
        review_letter,
        review_row,
    )

    watch = _Stopwatch()
    space = Workspace.open(workspace or out_dir / "workspace")
    policy = Policy.load(policy_path)
    request_letter = load_letter(letter)
    request_file = read_requests(requests, mapping=mapping)
    batch_id = space.batch_id(requests, letter, policy_path)
    con = space.batch_database(batch_id)
    facts = BatchFacts()

    def observe(records: Iterator[RequestRecord]) -> Iterator[RequestRecord]:
        for record in records:
            facts.observe(record)
            yield record

    rows_in = stage_records(
        con, observe(request_file.records), progress=lambda n: progress("intake", n, None)
    )
    watch.lap("intake")
    letter_decision = review_letter(request_letter, facts=facts, policy=policy)

    outcomes: dict[int, _RowOutcome] = {}
    to_match: set[int] = set()
    duplicates: dict[int, int] = {}
    periods: dict[int, list[int]] = {}
    for staged in read_staged_rows(con):
        record = staged.record
        if record.problems:
            outcomes[record.row_number] = _RowOutcome(Outcome.INVALID, list(record.problems))
            continue
        review = review_row(
            record,
            letter=request_letter,
            letter_decision=letter_decision,
            facts=facts,
            policy=policy,
        )
        reasons = list(review.reasons)
        if record.duplicate_of is not None and record.duplicate_reason is not None:
            reasons.append(record.duplicate_reason)
            duplicates[record.row_number] = record.duplicate_of
        if review.outcome is ReviewOutcome.LEGALLY_DEFICIENT:
            outcome = Outcome.LEGALLY_DEFICIENT
        elif review.outcome is ReviewOutcome.NEEDS_REVIEW:
            outcome = Outcome.NEEDS_REVIEW
        else:
            outcome = Outcome.NO_MATCH  # replaced by the match decision below
        outcomes[record.row_number] = _RowOutcome(outcome, reasons, review.outcome.value)
        if review.outcome is not ReviewOutcome.LEGALLY_DEFICIENT and record.duplicate_of is None:
            to_match.add(record.row_number)
            periods[record.row_number] = _tax_years(record.tax_periods)
    watch.lap("review")

    matching: dict[str, object] = {}
    master_report: dict[str, object] = {}
    if to_match:
        match_policy = load_match_policy(policy_path)
        decisions, master_report, matching = _match_stage(
            con,
            master=master,
            to_match=to_match,
            workspace=space,
            policy=match_policy,
            model_path=model_path,
            progress=progress,
            watch=watch,
        )
        for row_number, decision in decisions.items():
            current = outcomes[row_number]
            current.match = decision
            if current.outcome is Outcome.NEEDS_REVIEW:
                current.reasons.extend(decision.reasons)
            else:
                current.outcome = decision.outcome
                current.reasons = current.reasons + list(decision.reasons)
    wanted = [
        (row, outcomes[row].match.best.tin, periods.get(row, []))  # type: ignore[union-attr]
        for row in to_match
        if outcomes[row].outcome is Outcome.DISCLOSED
    ]
    addresses = latest_addresses_in_periods(con, wanted) if wanted else {}
    for row, _tin, _years in wanted:
        if row not in addresses:
            current = outcomes[row]
            current.outcome = Outcome.NO_MATCH
            current.reasons.insert(
                0,
                Reason(
                    "no_filing_in_periods",
                    "The taxpayer filed no return in the requested tax periods, so there is "
                    "no address from those periods to disclose.",
                    field="tax_periods",
                ),
            )
    for row, first in duplicates.items():
        original = outcomes[first]
        current = outcomes[row]
        if current.outcome is Outcome.NO_MATCH and current.review_outcome == "accepted":
            current.outcome = original.outcome
            current.match = original.match
            if first in addresses:
                addresses[row] = addresses[first]
    watch.lap("disclose")

    rows_out, disclosed = _write_outputs(
        con,
        out_dir=out_dir,
        outcomes=outcomes,
        disclosed_addresses=addresses,  # type: ignore[arg-type]
        progress=progress,
        rows_in=rows_in,
    )
    if rows_out != rows_in:
        raise MatchgateError(
            f"row conservation failed: {rows_in} rows in, {rows_out} rows out", path=requests
        )
    watch.lap("write")
    record_batch(
        space,
        batch_id=batch_id,
        letter=request_letter,
        requests_path=requests,
        rows_in=rows_in,
        policy_sha256=file_sha256(policy_path) if policy_path else "",
        outcomes={row: (o.outcome, join_codes(o.reasons)) for row, o in outcomes.items()},
        request_ids=read_request_ids(con),
        disclosed=[
            (staged, response, duplicates.get(staged.row_number))
            for staged, response, _ in disclosed
        ],
        tins={
            row: o.match.best.tin
            for row, o in outcomes.items()
            if o.match and o.match.best and o.outcome is Outcome.DISCLOSED
        },
        actor=actor,
    )
    watch.lap("ledger")
    con.close()
    counts = Counter(o.outcome.value for o in outcomes.values())
    result = BatchResult(
        batch_id=batch_id,
        rows_in=rows_in,
        rows_out=rows_out,
        outcomes=dict(counts),
        out_dir=out_dir,
        workspace=space.root,
        timings=watch.timings,
        master=master_report,
        matching=matching,
        letter={
            "outcome": letter_decision.outcome.value,
            "reason_codes": join_codes(list(letter_decision.reasons)),
        },
    )
    (out_dir / "summary.json").write_text(
        json.dumps(result.summary(), indent=2, sort_keys=True), encoding="utf-8"
    )
    return result


def read_request_ids(con: duckdb.DuckDBPyConnection) -> dict[int, str]:
    return {
        int(row): request_id
        for row, request_id in con.execute(
            "SELECT row_number, request_id FROM request_rows"
        ).fetchall()
    }


def match_batch(
    *,
    master: Path,
    requests: Path,
    out_dir: Path,
    workspace: Path | None = None,
    mapping: Path | None = None,
    model_path: Path | None = None,
    policy: MatchPolicy | None = None,
    progress: Progress = _progress_noop,
) -> BatchResult:
    """Intake and matching only: no legal review, no disclosure, nothing in the ledger.

    ``outcome`` ``disclosed`` in ``internal/decisions.csv`` means "would be disclosed"."""
    watch = _Stopwatch()
    space = Workspace.open(workspace or out_dir / "workspace")
    request_file = read_requests(requests, mapping=mapping)
    batch_id = "match-" + space.batch_id(requests, None, None)
    con = space.batch_database(batch_id)
    rows_in = stage_records(
        con, request_file.records, progress=lambda n: progress("intake", n, None)
    )
    watch.lap("intake")
    outcomes: dict[int, _RowOutcome] = {}
    to_match: set[int] = set()
    for staged in read_staged_rows(con):
        record = staged.record
        if record.problems:
            outcomes[record.row_number] = _RowOutcome(Outcome.INVALID, list(record.problems))
        else:
            outcomes[record.row_number] = _RowOutcome(Outcome.NO_MATCH, [])
            to_match.add(record.row_number)
    matching: dict[str, object] = {}
    master_report: dict[str, object] = {}
    if to_match:
        decisions, master_report, matching = _match_stage(
            con,
            master=master,
            to_match=to_match,
            workspace=space,
            policy=policy or MatchPolicy(),
            model_path=model_path,
            progress=progress,
            watch=watch,
        )
        for row_number, decision in decisions.items():
            outcomes[row_number].outcome = decision.outcome
            outcomes[row_number].reasons = list(decision.reasons)
            outcomes[row_number].match = decision
    # "Would be disclosed" rows get the address they would receive, all years allowed.
    wanted = [
        (row, o.match.best.tin, list(range(1900, 2200)))
        for row, o in outcomes.items()
        if o.outcome is Outcome.DISCLOSED and o.match and o.match.best
    ]
    addresses = latest_addresses_in_periods(con, wanted) if wanted else {}
    rows_out, _ = _write_outputs(
        con,
        out_dir=out_dir,
        outcomes=outcomes,
        disclosed_addresses=addresses,  # type: ignore[arg-type]
        progress=progress,
        rows_in=rows_in,
    )
    # Matching alone produces no response for a requester.
    (out_dir / "response.csv").unlink()
    watch.lap("write")
    con.close()
    counts = Counter(o.outcome.value for o in outcomes.values())
    result = BatchResult(
        batch_id=batch_id,
        rows_in=rows_in,
        rows_out=rows_out,
        outcomes=dict(counts),
        out_dir=out_dir,
        workspace=space.root,
        timings=watch.timings,
        master=master_report,
        matching=matching,
    )
    (out_dir / "summary.json").write_text(
        json.dumps(result.summary(), indent=2, sort_keys=True), encoding="utf-8"
    )
    return result


__all__ += ["REQUEST_FIELDS"]
