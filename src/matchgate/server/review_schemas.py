"""HTTP schemas of the review routes (``XCreate`` in, ``XPublic`` out)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from matchgate.batch.review_decisions import MAX_REASON, LoggedAction
from matchgate.server.review_cases import QueuePage, ReviewCase
from matchgate.server.schemas import _NoClientActor

__all__ = [
    "ReviewCasePublic",
    "ReviewQueuePublic",
    "ReviewStepCreate",
    "ReviewStepPublic",
    "SupervisorStepCreate",
]

_REASON = Field(
    min_length=1, max_length=MAX_REASON, description="Why: required, recorded in the ledger."
)
_KEY = Field(
    min_length=1,
    max_length=200,
    description="Any unique text; sending the same key again records nothing new.",
)


class ReviewStepCreate(_NoClientActor):
    """A reviewer's step on a row waiting for review."""

    action: Literal["release", "refuse", "note"] = Field(
        description="release (a supervisor must confirm it), refuse, or note"
    )
    reason: str = _REASON
    idempotency_key: str = _KEY


class SupervisorStepCreate(_NoClientActor):
    """A supervisor's confirmation or rejection of another person's release."""

    reason: str = _REASON
    idempotency_key: str = _KEY


class ReviewStepPublic(BaseModel):
    sequence: int
    entry_id: str
    recorded_at: str
    action: str
    actor: str
    reason: str
    batch_id: str
    row_number: int
    outcome: str = Field(description="The row's outcome after the step.")
    response_final: bool = Field(description="Whether no row of the batch waits any more.")

    @classmethod
    def of(
        cls, logged: LoggedAction, *, batch_id: str, outcome: str, response_final: bool
    ) -> ReviewStepPublic:
        return cls(
            sequence=logged.sequence,
            entry_id=logged.entry_id,
            recorded_at=logged.recorded_at,
            action=logged.action,
            actor=logged.actor,
            reason=logged.reason,
            batch_id=batch_id,
            row_number=logged.row_number,
            outcome=outcome,
            response_final=response_final,
        )


class ReviewQueueItemPublic(BaseModel):
    batch_id: str
    agency: str
    agency_code: str
    row_number: int
    request_id: str
    reason_codes: list[str]
    explanation: str
    queued_at: str
    age_days: int


class ReviewQueuePublic(BaseModel):
    items: list[ReviewQueueItemPublic]
    total: int
    page: int
    page_size: int
    pages: int

    @classmethod
    def of(cls, page: QueuePage) -> ReviewQueuePublic:
        return cls(
            items=[
                ReviewQueueItemPublic(
                    batch_id=item.batch_id,
                    agency=item.agency,
                    agency_code=item.agency_code,
                    row_number=item.row_number,
                    request_id=item.request_id,
                    reason_codes=list(item.reason_codes),
                    explanation=item.explanation,
                    queued_at=item.queued_at,
                    age_days=item.age_days,
                )
                for item in page.items
            ],
            total=page.total,
            page=page.filters.page,
            page_size=page.filters.page_size,
            pages=page.pages,
        )


class WaterfallStepPublic(BaseModel):
    name: str
    level: str
    weight: float
    running: float


class FilingAddressPublic(BaseModel):
    tax_year: int
    street: str
    city: str
    state: str
    zip: str
    released: bool = Field(description="The address a confirmed release discloses.")


class CandidatePublic(BaseModel):
    role: str
    tin_masked: str
    first_name: str
    middle_name: str
    surname: str
    suffix: str
    dob: str
    match_probability: float | None
    match_weight: float | None
    addresses: list[FilingAddressPublic]
    waterfall: list[WaterfallStepPublic]


class ReasonPublic(BaseModel):
    code: str
    message: str
    citation: str


class ActionPublic(BaseModel):
    sequence: int
    recorded_at: str
    action: str
    actor: str
    reason: str


class ReviewCasePublic(BaseModel):
    """A row waiting for review as the reviewer decides it (TINs masked)."""

    batch_id: str
    agency: str
    row_number: int
    request_id: str
    outcome: str
    open: bool
    request: dict[str, str]
    reasons: list[ReasonPublic]
    candidates: list[CandidatePublic]
    actions: list[ActionPublic]
    pending_release_by: str | None

    @classmethod
    def of(cls, case: ReviewCase) -> ReviewCasePublic:
        return cls(
            batch_id=case.batch_id,
            agency=case.agency,
            row_number=case.evidence.row_number,
            request_id=case.evidence.request_id,
            outcome=case.outcome,
            open=case.open,
            request=dict(case.request or {}),
            reasons=[
                ReasonPublic(code=r.code, message=r.message, citation=r.citation)
                for r in case.evidence.reasons
            ],
            candidates=[
                CandidatePublic(
                    role=c.role,
                    tin_masked=c.tin_masked,
                    first_name=c.first_name,
                    middle_name=c.middle_name,
                    surname=c.surname,
                    suffix=c.suffix,
                    dob=c.dob,
                    match_probability=c.match_probability,
                    match_weight=c.match_weight,
                    addresses=[
                        FilingAddressPublic(
                            tax_year=a.tax_year,
                            street=a.street,
                            city=a.city,
                            state=a.state,
                            zip=a.zip,
                            released=a.released,
                        )
                        for a in c.addresses
                    ],
                    waterfall=[
                        WaterfallStepPublic(
                            name=s.name, level=s.level, weight=s.weight, running=s.running
                        )
                        for s in c.waterfall
                    ],
                )
                for c in case.candidates
            ],
            actions=[
                ActionPublic(
                    sequence=a.sequence,
                    recorded_at=a.recorded_at,
                    action=a.action,
                    actor=a.actor,
                    reason=a.reason,
                )
                for a in case.actions
            ],
            pending_release_by=case.pending_release.actor if case.pending_release else None,
        )
