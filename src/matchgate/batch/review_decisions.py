"""A person's decision on a row the pipeline left to review, applied as the pipeline applies
its own: the ledger first, then ``final_rows``, then the output files.

The steps, each a ``review_action`` ledger entry with the authenticated actor and a reason:

    release          a reviewer proposes to disclose the best candidate's latest address in
                     the requested periods; nothing is disclosed yet
    confirm_release  a supervisor who is not the releaser confirms it (two-person rule): the
                     confirmation and the disclosure entry are appended in one transaction,
                     and only then does the row become ``disclosed`` in ``final_rows`` and in
                     ``response.csv`` (26 U.S.C. 6103(p)(3)(A): accounting before release)
    reject_release   a supervisor sends the release back; the row is pending again
    refuse           nothing is disclosed; the row becomes ``no_match`` (reason
                     ``refused_on_review``), which the requester reads as ``not_disclosed``
    note             a remark for the record; changes nothing

Which steps a row has had is kept in the batch database's ``review_log`` (an index of the
ledger's entries, written right after each append); the ledger is the record. A crash
between the two is repaired by submitting again: confirmation, rejection and refusal have
idempotency keys derived from the row (and the release they answer), so the ledger returns
the entry it already holds and the rest of the step is done.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from matchgate import sql
from matchgate.batch import stages
from matchgate.batch.ledger_entries import disclosure_entry, disclosure_id
from matchgate.batch.rows import FinalRow, read_final_rows, reasons_to_json
from matchgate.batch.state import BatchStages
from matchgate.decisions import Outcome, Reason, join_codes
from matchgate.disclose import DisclosedAddress, latest_addresses_in_periods
from matchgate.errors import InputError, MatchgateError
from matchgate.ledger import EntryKind, Ledger, LedgerEntry, NewEntry
from matchgate.reasons import registry

if TYPE_CHECKING:
    from matchgate.review import RequestLetter

__all__ = [
    "MAX_REASON",
    "LoggedAction",
    "ReviewStateError",
    "ReviewStep",
    "RowReview",
    "apply_step",
    "check_reason",
    "release_address",
    "review_log",
    "row_review",
]

MAX_REASON = 2_000
# A contradiction is never outweighed, not even by a person: such a row is not released.
HARD_CONTRADICTIONS = frozenset({"tin_conflict", "suffix_conflict", "tin_name_conflict"})


class ReviewStep(StrEnum):
    RELEASE = "release"
    CONFIRM_RELEASE = "confirm_release"
    REJECT_RELEASE = "reject_release"
    REFUSE = "refuse"
    NOTE = "note"


class ReviewStateError(MatchgateError):
    """The row is not in a state that allows the step (409): decided already, a release
    pending or none to answer, no address to release. Its text speaks of the row only (no
    path, no engine message), so a reviewer reads it as it is."""


_CREATE_LOG = (
    "CREATE TABLE IF NOT EXISTS review_log (sequence BIGINT PRIMARY KEY, entry_id VARCHAR, "
    "recorded_at VARCHAR, row_number BIGINT, action VARCHAR, actor VARCHAR, reason VARCHAR, "
    "release_sequence BIGINT)"
)
_LOG_INSERT = "INSERT OR IGNORE INTO review_log VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
_LOG_OF_ROW = (
    "SELECT sequence, entry_id, recorded_at, row_number, action, actor, reason, "
    "release_sequence FROM review_log WHERE row_number = ? ORDER BY sequence"
)
_LOG_TABLE_EXISTS = "SELECT count(*) FROM information_schema.tables WHERE table_name = 'review_log'"
_ROW_REQUEST = (
    "SELECT q.statute, q.case_number, q.reason, q.tax_periods, r.tax_years "
    "FROM request_rows q LEFT JOIN review_results r ON r.row_number = q.row_number "
    "WHERE q.row_number = ?"
)
_UPDATE_RELEASED = (
    "UPDATE final_rows SET outcome = 'disclosed', reasons_json = ?, street = ?, city = ?, "
    "state = ?, zip = ?, tax_year = ? WHERE row_number = ? OR duplicate_of = ?"
)
_UPDATE_REFUSED = (
    "UPDATE final_rows SET outcome = 'no_match', reasons_json = ? "
    "WHERE row_number = ? OR duplicate_of = ?"
)
_OUTCOME_COUNTS = "SELECT outcome, count(*) FROM final_rows GROUP BY outcome"


@dataclass(frozen=True, slots=True)
class LoggedAction:
    """One review step as the ledger recorded it."""

    sequence: int
    entry_id: str
    recorded_at: str
    row_number: int
    action: str
    actor: str
    reason: str
    release_sequence: int | None = None


@dataclass(frozen=True, slots=True)
class RowReview:
    """Where one row stands: its current outcome, its steps so far, a pending release."""

    row: FinalRow
    actions: tuple[LoggedAction, ...]

    @property
    def pending_release(self) -> LoggedAction | None:
        pending: LoggedAction | None = None
        for action in self.actions:
            if action.action == ReviewStep.RELEASE:
                pending = action
            elif action.action in {ReviewStep.CONFIRM_RELEASE, ReviewStep.REJECT_RELEASE}:
                pending = None
        return pending

    @property
    def open(self) -> bool:
        """The row waits for a decision (a pending release still waits for its second
        person)."""
        return self.row.outcome is Outcome.NEEDS_REVIEW


def check_reason(value: str) -> str:
    """The written reason every step needs: non-empty, at most :data:`MAX_REASON`."""
    text = " ".join((value or "").split())
    if not text:
        raise InputError("every review step needs a written reason", field="reason")
    if len(text) > MAX_REASON:
        raise InputError(f"the reason is longer than {MAX_REASON} characters", field="reason")
    return text


def review_log(con: duckdb.DuckDBPyConnection, row_number: int) -> tuple[LoggedAction, ...]:
    if not sql.fetch_int(con, _LOG_TABLE_EXISTS, label="review_decisions.log_exists"):
        return ()
    rows = sql.fetch_all(con, _LOG_OF_ROW, [row_number], label="review_decisions.log_of_row")
    return tuple(
        LoggedAction(
            sequence=int(r[0]),
            entry_id=str(r[1]),
            recorded_at=str(r[2]),
            row_number=int(r[3]),
            action=str(r[4]),
            actor=str(r[5]),
            reason=str(r[6] or ""),
            release_sequence=None if r[7] is None else int(r[7]),
        )
        for r in rows
    )


def row_review(con: duckdb.DuckDBPyConnection, row_number: int) -> RowReview:
    found = list(read_final_rows(con, row_number=row_number))
    if not found:
        raise InputError(f"the batch has no row {row_number}", row=row_number)
    return RowReview(row=found[0], actions=review_log(con, row_number))


def _request_of(
    con: duckdb.DuckDBPyConnection, row_number: int
) -> tuple[tuple[str, ...], list[int]]:
    row = sql.fetch_one(con, _ROW_REQUEST, [row_number], label="review_decisions.row_request")
    if row is None:
        raise InputError(f"the batch has no row {row_number}", row=row_number)
    fields = tuple(str(value or "") for value in row[:4])
    return fields, [int(year) for year in (row[4] or [])]


def release_address(con: duckdb.DuckDBPyConnection, row: FinalRow) -> DisclosedAddress | None:
    """The best candidate's latest address within the row's requested tax years, read from
    the batch's taxpayer addresses exactly as an automatic disclosure reads it."""
    best = row.decision.best if row.decision else None
    if best is None:
        return None
    _, years = _request_of(con, row.row_number)
    found = latest_addresses_in_periods(con, [(row.row_number, best.tin, years)])
    return found.get(row.row_number)


def _registered_reason(code: str) -> Reason:
    return Reason(code=code, message=registry()[code].meaning)


def _check_releasable(con: duckdb.DuckDBPyConnection, review: RowReview) -> DisclosedAddress:
    row = review.row
    contradiction = sorted({r.code for r in row.reasons} & HARD_CONTRADICTIONS)
    if contradiction:
        raise ReviewStateError(
            f"row {row.row_number} has a contradiction ({', '.join(contradiction)}) that no"
            " review outweighs; refuse it"
        )
    if row.decision is None or row.decision.best is None:
        raise ReviewStateError(f"row {row.row_number} has no candidate to release")
    address = release_address(con, row)
    if address is None:
        raise ReviewStateError(
            f"row {row.row_number}: the candidate filed no return in the requested tax"
            " periods, so there is no address to release; refuse it"
        )
    return address


def _check_step(review: RowReview, step: ReviewStep, actor: str) -> LoggedAction | None:
    """Raise unless ``step`` fits the row's state; returns the release it answers."""
    row = review.row
    pending = review.pending_release
    if step is ReviewStep.NOTE:
        return None
    if row.duplicate_of is not None:
        raise ReviewStateError(
            f"row {row.row_number} repeats row {row.duplicate_of}; decide row"
            f" {row.duplicate_of} and this row follows it"
        )
    if not review.open:
        raise ReviewStateError(
            f"row {row.row_number} is decided already (outcome {row.outcome.value})"
        )
    if step in {ReviewStep.RELEASE, ReviewStep.REFUSE}:
        if pending is not None:
            raise ReviewStateError(
                f"row {row.row_number} has a release by {pending.actor} waiting for a"
                " supervisor; it is confirmed or rejected first"
            )
        return None
    if pending is None:
        raise ReviewStateError(f"row {row.row_number} has no release waiting for confirmation")
    if step is ReviewStep.CONFIRM_RELEASE and pending.actor == actor:
        raise ReviewStateError(
            f"{actor} released row {row.row_number}; a second person must confirm it"
        )
    return pending


def _action_payload(
    batch_id: str, row: FinalRow, step: ReviewStep, reason: str, **extra: object
) -> dict[str, object]:
    return {
        "action": step.value,
        "batch_id": batch_id,
        "row_number": row.row_number,
        "request_id": row.request_id,
        "outcome": row.outcome.value,
        "reason_codes": join_codes(row.reasons),
        "reason": reason,
        **extra,
    }


def _log(
    con: duckdb.DuckDBPyConnection, entry: LedgerEntry, row: int, release: int | None
) -> LoggedAction:
    sql.run(con, _CREATE_LOG, label="review_decisions.create_log")
    payload = entry.payload_dict()
    logged = LoggedAction(
        sequence=entry.sequence,
        entry_id=entry.entry_id,
        recorded_at=entry.recorded_at,
        row_number=row,
        action=str(payload["action"]),
        actor=entry.actor,
        reason=str(payload.get("reason", "")),
        release_sequence=release,
    )
    sql.run(
        con,
        _LOG_INSERT,
        [
            logged.sequence,
            logged.entry_id,
            logged.recorded_at,
            row,
            logged.action,
            logged.actor,
            logged.reason,
            release,
        ],
        label="review_decisions.log_insert",
    )
    return logged


def apply_step(
    con: duckdb.DuckDBPyConnection,
    ledger: Ledger,
    *,
    batch_id: str,
    letter: RequestLetter,
    out_dir: Path,
    row_number: int,
    step: ReviewStep,
    reason: str,
    actor: str,
    form_key: str,
) -> LoggedAction:
    """Check ``step`` against the row's state, record it, and apply what it decides.

    The caller holds the batch's locks and checks the actor's role; ``con`` is the batch
    database opened for writing."""
    reason_text = check_reason(reason)
    key = " ".join((form_key or "").split())
    if not key:
        raise InputError("a review step needs an idempotency key", field="idempotency_key")
    review = row_review(con, row_number)
    row = review.row
    answered = _check_step(review, step, actor)
    prefix = f"review:{batch_id}:{row_number}"
    if step is ReviewStep.NOTE or step is ReviewStep.RELEASE:
        if step is ReviewStep.RELEASE:
            _check_releasable(con, review)
        entry = ledger.append(
            EntryKind.REVIEW_ACTION,
            _action_payload(batch_id, row, step, reason_text),
            actor=actor,
            idempotency_key=f"{prefix}:{key}",
        )
        return _log(con, entry, row_number, None)
    release_sequence = answered.sequence if answered is not None else None
    if step is ReviewStep.REJECT_RELEASE:
        entry = ledger.append(
            EntryKind.REVIEW_ACTION,
            _action_payload(batch_id, row, step, reason_text),
            actor=actor,
            idempotency_key=f"{prefix}:reject:{release_sequence}",
        )
        return _log(con, entry, row_number, release_sequence)
    if step is ReviewStep.REFUSE:
        return _refuse(con, ledger, batch_id, review, reason_text, actor, prefix, out_dir)
    assert answered is not None  # _check_step: a confirmation answers a pending release
    return _confirm(
        con, ledger, batch_id, letter, review, reason_text, actor, prefix, out_dir, answered
    )


def _refuse(
    con: duckdb.DuckDBPyConnection,
    ledger: Ledger,
    batch_id: str,
    review: RowReview,
    reason: str,
    actor: str,
    prefix: str,
    out_dir: Path,
) -> LoggedAction:
    row = review.row
    entry = ledger.append(
        EntryKind.REVIEW_ACTION,
        _action_payload(
            batch_id,
            row,
            ReviewStep.REFUSE,
            reason,
            outcome=Outcome.NO_MATCH.value,
            previous_outcome=row.outcome.value,
        ),
        actor=actor,
        idempotency_key=f"{prefix}:refuse",
    )
    reasons = [*row.reasons, _registered_reason("refused_on_review")]
    with _transaction(con):
        logged = _log(con, entry, row.row_number, None)
        sql.run(
            con,
            _UPDATE_REFUSED,
            [reasons_to_json(reasons), row.row_number, row.row_number],
            label="review_decisions.update_refused",
        )
    _rewrite_outputs(con, out_dir)
    return logged


def _confirm(
    con: duckdb.DuckDBPyConnection,
    ledger: Ledger,
    batch_id: str,
    letter: RequestLetter,
    review: RowReview,
    reason: str,
    actor: str,
    prefix: str,
    out_dir: Path,
    release: LoggedAction,
) -> LoggedAction:
    address = _check_releasable(con, review)
    row = review.row
    reasons = (*row.reasons, _registered_reason("released_on_review"))
    released = FinalRow(
        row_number=row.row_number,
        request_id=row.request_id,
        outcome=Outcome.DISCLOSED,
        reasons=reasons,
        review_outcome=row.review_outcome,
        decision=row.decision,
        address=address,
        duplicate_of=None,
        request=row.request,
    )
    fields, _ = _request_of(con, row.row_number)
    disclosure = disclosure_entry(
        released,
        batch_id=batch_id,
        letter=letter,
        request_fields=(fields[0], fields[1], fields[2], fields[3]),
    )
    assert disclosure is not None  # a disclosed row with a candidate and an address
    confirmation = NewEntry(
        kind=EntryKind.REVIEW_ACTION,
        payload=_action_payload(
            batch_id,
            row,
            ReviewStep.CONFIRM_RELEASE,
            reason,
            outcome=Outcome.DISCLOSED.value,
            previous_outcome=row.outcome.value,
            disclosure_id=disclosure_id(batch_id, row.row_number),
        ),
        idempotency_key=f"{prefix}:confirm:{release.sequence}",
    )
    # One transaction: the confirmation and the accounting of the disclosure, before the
    # address is written anywhere else.
    entry, _ = ledger.append_many([confirmation, disclosure], actor=actor)
    with _transaction(con):
        logged = _log(con, entry, row.row_number, release.sequence)
        sql.run(
            con,
            _UPDATE_RELEASED,
            [
                reasons_to_json(reasons),
                address.street,
                address.city,
                address.state,
                address.zip,
                address.tax_year,
                row.row_number,
                row.row_number,
            ],
            label="review_decisions.update_released",
        )
    _rewrite_outputs(con, out_dir)
    return logged


@contextmanager
def _transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """The step's index row and the row's new outcome together or not at all: a crash
    between them would leave a decided step on a row that still waits."""
    sql.run(con, _CREATE_LOG, label="review_decisions.create_log")
    sql.run(con, "BEGIN TRANSACTION", label="review_decisions.begin")
    try:
        yield
    except BaseException:
        sql.run(con, "ROLLBACK", label="review_decisions.rollback")
        raise
    sql.run(con, "COMMIT", label="review_decisions.commit")


def _no_progress(stage: str, done: int, total: int | None) -> None:
    return None


def _rewrite_outputs(con: duckdb.DuckDBPyConnection, out_dir: Path) -> None:
    """The files and the summary from ``final_rows`` as they now stand (the ledger holds
    every disclosure they carry). The summary keeps its time: the batch's age in the
    review queue runs from when it was first finished."""
    state = BatchStages(con)
    counts = {
        str(outcome): int(n)
        for outcome, n in sql.fetch_all(con, _OUTCOME_COUNTS, label="review_decisions.counts")
    }
    state.mark("final_rows", {"outcomes": counts})
    state.clear("outputs")
    stages.outputs(con, state, out_dir=out_dir, with_response=True, progress=_no_progress)
    _rewrite_summary(out_dir / "summary.json", counts)


def _rewrite_summary(path: Path, counts: dict[str, int]) -> None:
    if not path.is_file():
        return
    stat = path.stat()
    data = json.loads(path.read_text(encoding="utf-8"))
    pending = counts.get(Outcome.NEEDS_REVIEW.value, 0)
    data["outcomes"] = {o.value: counts.get(o.value, 0) for o in Outcome}
    data["rows_pending_review"] = pending
    data["response_final"] = pending == 0
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(data, indent=2, sort_keys=True), encoding="utf-8")
    temporary.replace(path)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
