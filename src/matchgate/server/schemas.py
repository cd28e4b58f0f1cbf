"""HTTP schemas (pydantic only here, at the boundary): ``XCreate`` in, ``XPublic`` out."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, get_type_hints

from pydantic import BaseModel, ConfigDict, Field, create_model, model_validator

from matchgate.disclose import RESPONSE_COLUMNS
from matchgate.intake import REQUEST_FIELDS
from matchgate.ledger import DisclosureRecord, VerifyReport
from matchgate.server.batch_folders import BatchSummary
from matchgate.server.review_actions import RecordedReviewAction

__all__ = [
    "BatchProgress",
    "BatchPublic",
    "DisclosurePublic",
    "ErrorPublic",
    "HealthPublic",
    "LookupCreate",
    "LookupPublic",
    "ReviewActionCreate",
    "ReviewActionPublic",
    "VerifyReportPublic",
]


class ErrorPublic(BaseModel):
    """Every error body: the error's kind and a sentence naming the file, row and field."""

    error: str = Field(description="The kind of error, e.g. InputError or NotFoundError.")
    message: str = Field(description="What is wrong, without server paths or internals.")


class BatchProgress(BaseModel):
    """An uploaded batch's background job, counted by the pipeline's own progress reports."""

    state: str = Field(
        description="queued, running, finished, failed, or interrupted (the server stopped"
        " mid-job; it runs the job again when it starts, resuming after the last durable"
        " chunk)."
    )
    stage: str = Field(default="", description="The pipeline's current stage, as it names it.")
    rows_read: int = Field(default=0, description="Request rows read (intake).")
    rows_reviewed: int = Field(default=0, description="Rows through the legal review.")
    rows_to_match: int = Field(default=0, description="Rows the review sent to matching.")
    rows_matched: int = Field(default=0, description="Rows matched so far.")
    rows_written: int = Field(default=0, description="Rows written to the output files.")
    started_at: str = ""
    updated_at: str = ""
    error: ErrorPublic | None = Field(
        default=None, description="Why a failed job failed, as the API answers errors."
    )

    @classmethod
    def from_job(cls, job: dict[str, Any], state: str) -> BatchProgress:
        error = job.get("error")
        return cls(
            state=state,
            stage=str(job.get("stage") or ""),
            **{
                name: int(job.get(name) or 0)
                for name in (
                    "rows_read",
                    "rows_reviewed",
                    "rows_to_match",
                    "rows_matched",
                    "rows_written",
                )
            },
            started_at=str(job.get("started_at") or ""),
            updated_at=str(job.get("updated_at") or ""),
            error=ErrorPublic(**error) if isinstance(error, dict) else None,
        )


class BatchPublic(BaseModel):
    batch_id: str
    complete: bool = True
    agency: str = ""
    rows_in: int = 0
    rows_out: int = 0
    outcomes: dict[str, int] = Field(default_factory=dict)
    letter_outcome: str = ""
    letter_reason_codes: str = ""
    completed_at: str = ""
    response_url: str = ""
    progress: BatchProgress | None = Field(
        default=None,
        description="The upload's background job; null for a batch run with `matchgate run`.",
    )

    @classmethod
    def from_summary(cls, summary: BatchSummary) -> BatchPublic:
        return cls(
            batch_id=summary.batch_id,
            complete=summary.complete,
            agency=summary.agency,
            rows_in=summary.rows_in,
            rows_out=summary.rows_out,
            outcomes=dict(summary.outcomes),
            letter_outcome=summary.letter_outcome,
            letter_reason_codes=summary.letter_reason_codes,
            completed_at=summary.completed_at,
            response_url=_response_url(summary.batch_id) if summary.complete else "",
            progress=(
                BatchProgress.from_job(summary.job, summary.job_state) if summary.job else None
            ),
        )


def _response_url(batch_id: str) -> str:
    return f"/api/batches/{batch_id}/response.csv"


class VerifyReportPublic(BaseModel):
    ok: bool
    summary: str
    entries_checked: int
    checkpoints_checked: int
    first_bad_sequence: int | None
    problem: str
    seconds: float
    last_sequence: int
    unsigned_tail: int

    @classmethod
    def from_report(cls, report: VerifyReport) -> VerifyReportPublic:
        values = report.as_dict()
        values.pop("source", None)  # a server URL or file path is nobody's business
        values.pop("first_bad_line", None)
        return cls(summary=report.summary(), **values)


# Internal bookkeeping of the ledger's index, not part of the accounting an auditor reads.
_DISCLOSURE_INTERNAL = frozenset({"retraction_sequence"})


def _disclosure_fields() -> dict[str, Any]:
    """The accounting's fields, taken from :class:`DisclosureRecord` itself (tuples as lists)."""
    hints = get_type_hints(DisclosureRecord)
    fields: dict[str, Any] = {}
    for item in dataclasses.fields(DisclosureRecord):
        if item.name in _DISCLOSURE_INTERNAL:
            continue
        kind = hints[item.name]
        fields[item.name] = (list[str] if kind == tuple[str, ...] else kind, ...)
    return fields


class _DisclosureBase(BaseModel):
    @classmethod
    def from_record(cls, record: DisclosureRecord) -> _DisclosureBase:
        values = record.as_dict()
        for name in _DISCLOSURE_INTERNAL:
            values.pop(name, None)
        return cls(**values)


if TYPE_CHECKING:
    # The fields come from DisclosureRecord at run time, which a type checker cannot follow.
    DisclosurePublic = _DisclosureBase
else:
    DisclosurePublic = create_model(
        "DisclosurePublic",
        __base__=_DisclosureBase,
        __doc__="One disclosure as accounted (26 U.S.C. 6103(p)(3)(A)).",
        __module__=__name__,
        **_disclosure_fields(),
    )


class _NoClientActor(BaseModel):
    """Bodies refuse unknown fields, and name the actor fields' refusal: the ledger's actor
    is the authenticated user, never text the client sends."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _refuse_actor(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for name in ("submitted_by", "reviewer"):
                if name in data:
                    raise ValueError(
                        f"the ledger's actor is the authenticated user; do not send {name!r}"
                    )
        return data


class ReviewActionCreate(_NoClientActor):
    action: str = Field(description="confirm_not_disclosed or note")
    reason: str = Field(description="Why: required, recorded in the ledger.")
    idempotency_key: str = Field(
        description="Any unique text; sending the same key again records nothing new."
    )


class ReviewActionPublic(BaseModel):
    sequence: int
    entry_id: str
    recorded_at: str
    action: str
    actor: str

    @classmethod
    def from_recorded(cls, recorded: RecordedReviewAction) -> ReviewActionPublic:
        return cls(
            sequence=recorded.sequence,
            entry_id=recorded.entry_id,
            recorded_at=recorded.recorded_at,
            action=recorded.action,
            actor=recorded.actor,
        )


class HealthPublic(BaseModel):
    status: str
    workspace_ready: bool
    master_present: bool


class _LookupLetter(_NoClientActor):
    """The part of a look-up body that is not a request field: the signed look-up letter,
    as its TOML text (filed in the workspace on first use) or by the id of one on file."""

    letter_id: str = Field(default="", pattern=r"^([0-9a-f]{16})?$")
    letter: str = Field(default="", max_length=200_000)

    def request_fields(self) -> dict[str, str]:
        return {name: str(getattr(self, name)) for name in REQUEST_FIELDS}


if TYPE_CHECKING:
    # The request fields are added from REQUEST_FIELDS at run time, which a type checker
    # cannot follow; to it the body is the letter part (request fields read as Any).
    LookupCreate = _LookupLetter
else:
    LookupCreate = create_model(
        "LookupCreate",
        __base__=_LookupLetter,
        __doc__="One request row under a look-up letter (``letter`` or ``letter_id``).",
        __module__=__name__,
        **{name: (str, "") for name in REQUEST_FIELDS},
    )


class LookupPublic(BaseModel):
    """The look-up as the ledger has it (its batch of one, the letter's id) and the
    requester's response row."""

    batch_id: str
    letter_id: str = ""
    response: dict[str, str]

    @classmethod
    def from_response_row(
        cls, batch_id: str, row: dict[str, str], *, letter_id: str = ""
    ) -> LookupPublic:
        return cls(
            batch_id=batch_id,
            letter_id=letter_id,
            response={name: row.get(name, "") for name in RESPONSE_COLUMNS},
        )
