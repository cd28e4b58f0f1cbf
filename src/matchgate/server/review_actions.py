"""A reviewer's action on a flagged row, recorded as a ``review_action`` ledger entry.

Two actions exist so far: ``confirm_not_disclosed`` (a person agrees the row stays
unanswered) and ``note`` (a remark for the record). Both need a reason and the reviewer's
name; the entry's idempotency key comes from the form, so a double-submitted form records
one entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from matchgate.errors import InputError
from matchgate.ledger import EntryKind, Ledger, LedgerEntry
from matchgate.server.review_queue import RowEvidence

__all__ = ["RecordedReviewAction", "ReviewAction", "record_review_action"]

_MAX_TEXT = 2_000


class ReviewAction(StrEnum):
    CONFIRM_NOT_DISCLOSED = "confirm_not_disclosed"
    NOTE = "note"


@dataclass(frozen=True, slots=True)
class RecordedReviewAction:
    sequence: int
    entry_id: str
    recorded_at: str
    action: str
    actor: str


def _action(value: str) -> ReviewAction:
    try:
        return ReviewAction(value)
    except ValueError:
        allowed = ", ".join(action.value for action in ReviewAction)
        raise InputError(
            f"unknown review action {value!r} (allowed: {allowed})", field="action"
        ) from None


def _text(value: str, field: str) -> str:
    text = " ".join((value or "").split())
    if not text:
        raise InputError(f"a review action needs a {field}", field=field)
    if len(text) > _MAX_TEXT:
        raise InputError(f"the {field} is longer than {_MAX_TEXT} characters", field=field)
    return text


def record_review_action(
    ledger: Ledger,
    *,
    batch_id: str,
    row: RowEvidence,
    action: str,
    reason: str,
    reviewer: str,
    idempotency_key: str,
) -> RecordedReviewAction:
    """Append the action to the ledger; the same ``idempotency_key`` returns the first entry."""
    chosen = _action(action)
    reason_text = _text(reason, "reason")
    reviewer_name = _text(reviewer, "reviewer")
    key = _text(idempotency_key, "idempotency_key")
    if chosen is ReviewAction.CONFIRM_NOT_DISCLOSED and row.outcome == "disclosed":
        raise InputError(
            "row was disclosed; 'confirm_not_disclosed' is for rows that were not"
            " (use 'note', or retract the disclosure)",
            row=row.row_number,
            field="action",
        )
    payload = {
        "action": chosen.value,
        "batch_id": batch_id,
        "row_number": row.row_number,
        "request_id": row.request_id,
        "outcome": row.outcome,
        "reason_codes": row.reason_codes,
        "reason": reason_text,
    }
    entry: LedgerEntry = ledger.append(
        EntryKind.REVIEW_ACTION,
        payload,
        actor=reviewer_name,
        idempotency_key=f"review:{batch_id}:{row.row_number}:{key}",
    )
    return RecordedReviewAction(
        sequence=entry.sequence,
        entry_id=entry.entry_id,
        recorded_at=entry.recorded_at,
        action=chosen.value,
        actor=entry.actor,
    )
