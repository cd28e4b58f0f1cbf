"""The pages: batches, flagged rows, one row's evidence and a review form.

Server-rendered with Jinja2, no JavaScript. Pages show TINs masked to the last four
digits and no master-file field other than identity comparisons. Every page needs a
signed-in user (:mod:`matchgate.server.sessions`): a requester sees its own agency's
batches and their counts only (no row evidence: that is the office's), reviewers and
supervisors review, an auditor reads, an admin sees the batch list.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from matchgate.decisions import Outcome
from matchgate.ledger import EntryKind, Ledger
from matchgate.ledger._files import LEDGER_FILE
from matchgate.server.access import recorded_read, row_tins
from matchgate.server.accounts import (
    REVIEWERS,
    TAXPAYER_READERS,
    check_batch_visible,
    require_roles,
    visible_batches,
)
from matchgate.server.api_batches import MAX_ROW_NUMBER, RowNumber
from matchgate.server.deps import (
    BatchFoldersDep,
    LedgerWriterDep,
    NoClientActorDep,
    PageReviewerDep,
    PageUserDep,
    SettingsDep,
    TemplatesDep,
)
from matchgate.server.review_actions import ReviewAction, record_review_action
from matchgate.server.review_queue import flagged_rows, request_fields, row_evidence
from matchgate.server.settings import ServerSettings

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

BatchId = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{0,63}$")]
_PAGE_SIZE = 200
_MAX_PAGE = 1_000_000  # 200 million flagged rows; the offset stays well within the engine's
OUTCOMES = [outcome.value for outcome in Outcome]


@router.get("/", response_class=HTMLResponse)
def index(
    request: Request, user: PageUserDep, batches: BatchFoldersDep, templates: TemplatesDep
) -> Response:
    return templates.TemplateResponse(
        request,
        "index.html",
        {"batches": visible_batches(user, batches), "outcomes": OUTCOMES},
    )


@router.get("/batches/{batch_id}", response_class=HTMLResponse)
def batch_page(
    request: Request,
    batch_id: BatchId,
    user: PageUserDep,
    batches: BatchFoldersDep,
    templates: TemplatesDep,
    page: Annotated[int, Query(ge=1, le=_MAX_PAGE)] = 1,
) -> Response:
    with recorded_read(user, "batch_page", {"batch_id": batch_id, "page": page}):
        check_batch_visible(user, batches, batch_id)
        summary = batches.summary(batch_id)
        # Flagged rows' explanations speak of the master's taxpayers: the office's staff only.
        shows_rows = user.role in TAXPAYER_READERS
        rows, total = (
            flagged_rows(
                batches.decisions_path(batch_id), limit=_PAGE_SIZE, offset=(page - 1) * _PAGE_SIZE
            )
            if summary.complete and shows_rows
            else ([], 0)
        )
    return templates.TemplateResponse(
        request,
        "batch.html",
        {
            "batch": summary,
            "outcomes": OUTCOMES,
            "rows": rows,
            "shows_rows": shows_rows,
            "total": total,
            "page": page,
            "pages": max(1, -(-total // _PAGE_SIZE)),
        },
    )


def _recorded_action(
    settings: ServerSettings, sequence: int | None, batch_id: str, row_number: int
) -> tuple[int, str] | None:
    """The review action the ledger holds as entry ``sequence`` for this row, if it does:
    the confirmation is shown from the ledger, never from what the address says."""
    if sequence is None:
        return None
    if settings.ledger_url is None and not (settings.workspace / LEDGER_FILE).is_file():
        return None  # no ledger, so nothing was recorded
    with Ledger.open(settings.workspace, url=settings.ledger_url, read_only=True) as ledger:
        entry = ledger.entry(sequence)
    if entry is None or entry.kind != EntryKind.REVIEW_ACTION.value:
        return None
    payload = entry.payload_dict()
    if payload.get("batch_id") != batch_id or payload.get("row_number") != row_number:
        return None
    return entry.sequence, str(payload.get("action", ""))


@router.get("/batches/{batch_id}/rows/{row_number}", response_class=HTMLResponse)
def row_page(
    request: Request,
    batch_id: BatchId,
    row_number: RowNumber,
    user: PageUserDep,
    batches: BatchFoldersDep,
    templates: TemplatesDep,
    settings: SettingsDep,
    recorded: Annotated[int | None, Query(ge=1, le=MAX_ROW_NUMBER)] = None,
) -> Response:
    with recorded_read(user, "row_page", {"batch_id": batch_id, "row_number": row_number}) as read:
        require_roles(user, TAXPAYER_READERS, "read a row's evidence")
        evidence = row_evidence(batches.decisions_path(batch_id), row_number)
        database = batches.database_path(batch_id)
        fields = request_fields(database, batch_id, row_number)
        read.update(row_tins(batches.decisions_path(batch_id), database, batch_id, row_number))
    confirmed = _recorded_action(settings, recorded, batch_id, row_number)
    return templates.TemplateResponse(
        request,
        "row.html",
        {
            "batch_id": batch_id,
            "row": evidence,
            "request_fields": fields,
            "actions": [action.value for action in ReviewAction],
            "form_key": uuid.uuid4().hex,
            "may_review": user.role in REVIEWERS,
            "recorded": confirmed[0] if confirmed else None,
            "recorded_action": confirmed[1] if confirmed else None,
        },
    )


@router.post("/batches/{batch_id}/rows/{row_number}/review")
def submit_review(
    batch_id: BatchId,
    row_number: RowNumber,
    user: PageReviewerDep,
    _no_actor: NoClientActorDep,
    batches: BatchFoldersDep,
    ledger: LedgerWriterDep,
    action: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    form_key: Annotated[str, Form()] = "",
) -> Response:
    row = row_evidence(batches.decisions_path(batch_id), row_number)
    recorded = record_review_action(
        ledger,
        batch_id=batch_id,
        row=row,
        action=action,
        reason=reason,
        reviewer=user.name,
        idempotency_key=form_key,
    )
    # Post/redirect/get: reloading the confirmation page does not submit again.
    return RedirectResponse(
        f"/batches/{batch_id}/rows/{row_number}?recorded={recorded.sequence}",
        status_code=303,
    )
