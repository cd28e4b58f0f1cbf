"""``/api/batches``: upload and run a batch, list batches, fetch the requester's response."""

from __future__ import annotations

import io
import re
from typing import Annotated, Any

from fastapi import APIRouter, File, Header, Path, Response, UploadFile
from fastapi.responses import FileResponse, JSONResponse

from matchgate.accounts import Role
from matchgate.errors import InputError
from matchgate.server.access import recorded_read
from matchgate.server.accounts import (
    TAXPAYER_READERS,
    Principal,
    check_batch_visible,
    check_letter_is_own,
    require_roles,
    visible_batches,
)
from matchgate.server.batch_folders import BatchFolders, Upload
from matchgate.server.batch_jobs import JobRunner
from matchgate.server.deps import (
    ApiReviewerDep,
    ApiUserDep,
    ApiWriterDep,
    BatchFoldersDep,
    LedgerWriterDep,
    NoClientActorDep,
    SettingsDep,
)
from matchgate.server.errors import ResponseNotFinalError
from matchgate.server.openapi import error_responses
from matchgate.server.review_actions import record_review_action
from matchgate.server.review_queue import row_evidence
from matchgate.server.schemas import BatchPublic, ReviewActionCreate, ReviewActionPublic
from matchgate.server.settings import ServerSettings

__all__ = ["router", "submit_upload"]

router = APIRouter(prefix="/api/batches", tags=["batches"])

BatchId = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{0,63}$")]
# Row numbers start at 1; the bound keeps a number within what the databases compare.
MAX_ROW_NUMBER = 2**53
RowNumber = Annotated[int, Path(ge=1, le=MAX_ROW_NUMBER)]


def _upload(file: UploadFile | None, field: str, *, required: bool) -> Upload | None:
    if file is None or not getattr(file, "filename", ""):
        if required:
            raise InputError("the upload has no file in this field", field=field)
        return None
    return Upload(filename=file.filename or field, stream=file.file)


def submit_upload(
    user: Principal,
    settings: ServerSettings,
    batches: BatchFolders,
    *,
    requests: UploadFile | None,
    letter: UploadFile | None,
    mapping: UploadFile | None,
) -> str:
    """Keep a requester's upload and start its background job; the batch's id.

    The one way a batch is submitted, for ``POST /api/batches`` and the upload page alike:
    only a requester, only under its own agency's letter, the ledger's actor the requester.
    A missing file is an :class:`InputError` naming its field (422).
    """
    require_roles(user, frozenset({Role.REQUESTER}), "submit batches")
    requests_upload = _upload(requests, "requests", required=True)
    letter_upload = _upload(letter, "letter", required=True)
    assert requests_upload is not None and letter_upload is not None
    letter_bytes = letter_upload.stream.read()
    check_letter_is_own(
        user,
        letter_bytes,
        settings.workspace,
        filename=letter_upload.filename,
        url=settings.ledger_url,
    )
    staged = batches.stage_upload(
        requests=requests_upload,
        letter=Upload(filename=letter_upload.filename, stream=io.BytesIO(letter_bytes)),
        mapping=_upload(mapping, "mapping", required=False),
    )
    # Run again even when finished: a finished batch's run changes nothing and is quick, and
    # one whose ledger stage did not finish finishes it.
    batches.start_job(
        staged, actor=user.name, ledger_url=settings.ledger_url, ledger_key=settings.ledger_key
    )
    return staged.batch_id


_PREFER_WAIT = re.compile(r"(?:^|[,;\s])wait\s*=\s*(\d{1,6})(?:$|[,;\s])", re.IGNORECASE)
MAX_WAIT_SECONDS = 600


def _wait_seconds(prefer: str | None) -> int:
    """RFC 7240's ``Prefer: wait=N``: how long the client will wait for the job (0: not)."""
    match = _PREFER_WAIT.search(prefer or "")
    return min(int(match.group(1)), MAX_WAIT_SECONDS) if match else 0


@router.post(
    "",
    response_model=BatchPublic,
    status_code=202,
    responses={
        200: {
            "model": BatchPublic,
            "description": "The batch is finished (within the client's ``Prefer: wait``).",
        },
        **error_responses(401, 403, 409, 413, 415, 422),
    },
)
def create_batch(
    user: ApiWriterDep,
    _no_actor: NoClientActorDep,
    settings: SettingsDep,
    batches: BatchFoldersDep,
    answer: Response,
    requests: Annotated[UploadFile, File(description="The request file (CSV, XLSX, ...).")],
    letter: Annotated[UploadFile, File(description="The signed request letter (TOML).")],
    mapping: Annotated[UploadFile | None, File(description="Column-mapping TOML.")] = None,
    prefer: Annotated[
        str | None,
        Header(
            description="``wait=N`` (RFC 7240): wait up to N seconds (at most 600) for the "
            "job to end; then a finished batch answers 200 and a failed one its error."
        ),
    ] = None,
) -> Any:
    """Keep the upload and run it as a background job: 202 with the batch and its
    ``progress``; ``GET /api/batches/{batch_id}`` follows the job.

    Only a requester submits, and only under its own agency's letter; the ledger's actor is
    the requester (a ``submitted_by`` field is refused). Uploading the same files again
    returns the recorded batch (200 once finished) and records nothing twice; after a failed
    job it runs the job again.
    """
    batch_id = submit_upload(
        user, settings, batches, requests=requests, letter=letter, mapping=mapping
    )
    wait = _wait_seconds(prefer)
    JobRunner.wait(batch_id, wait)
    summary = batches.summary(batch_id)
    job = summary.job or {}
    if wait and summary.job_state == "failed" and job.get("error"):
        error = dict(job["error"])
        return JSONResponse(error, status_code=int(job.get("status") or 500))
    answer.status_code = 200 if summary.complete else 202
    return BatchPublic.from_summary(summary)


@router.get("", response_model=list[BatchPublic], responses=error_responses(401, 409))
def list_batches(user: ApiUserDep, batches: BatchFoldersDep) -> list[BatchPublic]:
    """Every batch the caller may see (a requester: its own agency's only)."""
    return [BatchPublic.from_summary(summary) for summary in visible_batches(user, batches)]


@router.get(
    "/{batch_id}", response_model=BatchPublic, responses=error_responses(401, 404, 409, 422)
)
def get_batch(batch_id: BatchId, user: ApiUserDep, batches: BatchFoldersDep) -> BatchPublic:
    check_batch_visible(user, batches, batch_id)
    return BatchPublic.from_summary(batches.summary(batch_id))


@router.get(
    "/{batch_id}/response.csv",
    response_class=FileResponse,
    responses={
        200: {"content": {"text/csv": {}}, "description": "The response file."},
        **error_responses(401, 403, 404, 409, 422),
    },
)
def get_response(batch_id: BatchId, user: ApiUserDep, batches: BatchFoldersDep) -> FileResponse:
    """The requester's file: the only file that leaves the disclosure office, and only once
    it is final (no row pending review). The requester of the batch's agency, reviewers,
    supervisors and auditors may fetch it."""
    with recorded_read(user, "response_download", {"batch_id": batch_id}):
        require_roles(user, TAXPAYER_READERS | {Role.REQUESTER}, "download responses")
        check_batch_visible(user, batches, batch_id)
        summary = batches.summary(batch_id)
        if not summary.complete:
            raise ResponseNotFinalError(
                f"the response of batch {batch_id} is not final: the batch is not finished"
                f" (its job is {summary.job_state})"
            )
        path = batches.response_path(batch_id)  # 404 unless the ledger holds all of it
        if not summary.response_final:
            raise ResponseNotFinalError(
                f"the response of batch {batch_id} is not final: "
                f"{summary.outcomes.get('needs_review', 0)} row(s) wait for a person's review"
            )
    return FileResponse(
        path,
        media_type="text/csv; charset=utf-8",
        filename=f"response-{batch_id}.csv",
    )


@router.post(
    "/{batch_id}/rows/{row_number}/review-actions",
    response_model=ReviewActionPublic,
    responses=error_responses(401, 403, 404, 409, 413, 415, 422),
)
def create_review_action(
    batch_id: BatchId,
    row_number: RowNumber,
    body: ReviewActionCreate,
    user: ApiReviewerDep,
    batches: BatchFoldersDep,
    ledger: LedgerWriterDep,
) -> ReviewActionPublic:
    """A reviewer's or supervisor's action on a row; the ledger's actor is that user."""
    row = row_evidence(batches.decisions_path(batch_id), row_number)
    recorded = record_review_action(
        ledger,
        batch_id=batch_id,
        row=row,
        action=body.action,
        reason=body.reason,
        reviewer=user.name,
        idempotency_key=body.idempotency_key,
    )
    return ReviewActionPublic.from_recorded(recorded)
