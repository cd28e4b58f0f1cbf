"""The review queue's routes: the queue, one row's case, and the steps that decide a row.

    GET  /api/review/queue                                   reviewer, supervisor
    GET  /api/review/batches/{id}/rows/{n}                   reviewer, supervisor
    POST /api/review/batches/{id}/rows/{n}/steps             reviewer, supervisor
    POST /api/review/batches/{id}/rows/{n}/release/confirm   supervisor (not the releaser)
    POST /api/review/batches/{id}/rows/{n}/release/reject    supervisor
    GET  /review, GET /review/batches/{id}/rows/{n}          the same as pages
    POST /review/batches/{id}/rows/{n}/steps|release/confirm|release/reject   page forms

API writes take the bearer token; page forms the session cookie and its CSRF token. The
ledger's actor is always the authenticated user. A case and the queue's explanations are
master-file data: each view is on record in the access log (``review_case`` with every TIN
shown, ``review_queue`` with its filters) before its body exists; a refused one is a denied
record.
"""

from __future__ import annotations

import uuid
from typing import Annotated

import duckdb
from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from matchgate.accounts import Role
from matchgate.batch.review_decisions import LoggedAction, ReviewStep, apply_step, row_review
from matchgate.batch.stages import attach_batch_master
from matchgate.batch.state import BatchLock
from matchgate.batch.workspace import connect_duckdb
from matchgate.errors import LetterError, WorkspaceError
from matchgate.review import load_letter
from matchgate.server import access
from matchgate.server.accounts import (
    REVIEWERS,
    AccessDeniedError,
    Principal,
    check_batch_visible,
    require_roles,
)
from matchgate.server.batch_folders import BatchFolders, batch_lock
from matchgate.server.deps import (
    ApiUserDep,
    ApiWriterDep,
    BatchFoldersDep,
    LedgerWriterDep,
    NoClientActorDep,
    PageFormUserDep,
    PageUserDep,
    TemplatesDep,
)
from matchgate.server.openapi import error_responses
from matchgate.server.review_cases import (
    QUEUE_PAGE_SIZE,
    QueueFilters,
    QueuePage,
    ReviewCase,
    case_tins,
    queue_page,
    review_case,
)
from matchgate.server.review_queue import row_evidence
from matchgate.server.review_schemas import (
    ReviewCasePublic,
    ReviewQueuePublic,
    ReviewStepCreate,
    ReviewStepPublic,
    SupervisorStepCreate,
)

__all__ = ["router"]

router = APIRouter()

SUPERVISORS = frozenset({Role.SUPERVISOR})
BatchId = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{0,63}$")]
RowNumber = Annotated[int, Path(ge=1, le=2_000_000_000)]
_AGE = r"^[0-9]{0,5}$"


def queue_filters(
    batch_id: Annotated[str, Query(pattern=r"^([A-Za-z0-9][A-Za-z0-9-]{0,63})?$")] = "",
    agency: Annotated[str, Query(pattern=r"^([A-Za-z0-9][A-Za-z0-9 .&'-]{0,79})?$")] = "",
    reason_code: Annotated[str, Query(pattern=r"^([a-z][a-z0-9_]{0,63})?$")] = "",
    min_age_days: Annotated[str, Query(pattern=_AGE, description="Days, 0-99999.")] = "",
    max_age_days: Annotated[str, Query(pattern=_AGE, description="Days, 0-99999.")] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = QUEUE_PAGE_SIZE,
) -> QueueFilters:
    """The queue's filters, every one bounded (422 in the error form otherwise)."""
    filters = QueueFilters(
        batch_id=batch_id,
        agency=agency.strip(),
        reason_code=reason_code,
        min_age_days=int(min_age_days) if min_age_days else None,
        max_age_days=int(max_age_days) if max_age_days else None,
        page=page,
        page_size=page_size,
    )
    filters.check()
    return filters


FiltersDep = Annotated[QueueFilters, Depends(queue_filters)]


def _reviewer(principal: Principal) -> Principal:
    require_roles(principal, REVIEWERS, "use the review queue")
    return principal


def api_review_writer(principal: ApiWriterDep) -> Principal:
    """A reviewer recording a step through the API: a bearer token only, as every API write
    (a browser sends the session cookie by itself; the pages' forms carry a CSRF token)."""
    return _reviewer(principal)


def api_supervisor(principal: ApiWriterDep) -> Principal:
    require_roles(principal, SUPERVISORS, "confirm or reject a release")
    return principal


def page_form_reviewer(principal: PageFormUserDep) -> Principal:
    return _reviewer(principal)


def page_form_supervisor(principal: PageFormUserDep) -> Principal:
    require_roles(principal, SUPERVISORS, "confirm or reject a release")
    return principal


ApiReviewWriter = Annotated[Principal, Depends(api_review_writer)]
ApiSupervisor = Annotated[Principal, Depends(api_supervisor)]
PageFormReviewer = Annotated[Principal, Depends(page_form_reviewer)]
PageFormSupervisor = Annotated[Principal, Depends(page_form_supervisor)]


# -- shared ---------------------------------------------------------------------------------


def _case(user: Principal, batches: BatchFolders, batch_id: str, row_number: int) -> ReviewCase:
    subject: access.AccessSubject = {"batch_id": batch_id, "row_number": row_number}
    with access.recorded_read(user, "review_case", subject) as read:
        _reviewer(user)
        check_batch_visible(user, batches, batch_id)
        case = review_case(batches, batch_id, row_number)
        read.update(case_tins(case))
    return case


def _queue(user: Principal, batches: BatchFolders, filters: QueueFilters) -> QueuePage:
    """One page of the queue; its explanations speak of the master's taxpayers."""
    subject: access.AccessSubject = {
        "batch_id": filters.batch_id or None,
        "agency": filters.agency or None,
        "reason_code": filters.reason_code or None,
        "page": filters.page,
    }
    with access.recorded_read(user, "review_queue", subject) as read:
        _reviewer(user)
        page = queue_page(user, batches, filters)
        read.update(rows_shown=len(page.items), rows_waiting=page.total)
    return page


def _step(
    user: Principal,
    batches: BatchFolders,
    ledger: LedgerWriterDep,
    *,
    batch_id: str,
    row_number: int,
    step: ReviewStep,
    reason: str,
    key: str,
) -> ReviewStepPublic:
    """Record one step under the batch's locks and apply it (see
    :mod:`matchgate.batch.review_decisions`)."""
    check_batch_visible(user, batches, batch_id)
    row_evidence(batches.decisions_path(batch_id), row_number)  # 404 for a row not there
    folder = batches.folder(batch_id)
    try:
        letter = load_letter(folder / "input" / "letter.toml")
    except LetterError as exc:
        raise WorkspaceError(f"batch {batch_id} has no readable letter on file here") from exc
    with batch_lock(batch_id), BatchLock(folder):
        try:
            con = connect_duckdb(batches.database_path(batch_id))
        except duckdb.Error as exc:
            raise WorkspaceError("the batch database cannot be opened right now") from exc
        try:
            attach_batch_master(con)  # a release reads the candidate's filed addresses
            if step is ReviewStep.CONFIRM_RELEASE:
                pending = row_review(con, row_number).pending_release
                if pending is not None and pending.actor == user.name:
                    raise AccessDeniedError(
                        f"{user.name} released row {row_number}; the two-person rule needs"
                        " another supervisor to confirm it"
                    )
            logged = apply_step(
                con,
                ledger,
                batch_id=batch_id,
                letter=letter,
                out_dir=batches.output_dir(batch_id),
                row_number=row_number,
                step=step,
                reason=reason,
                actor=user.name,
                form_key=key,
            )
            outcome = row_review(con, row_number).row.outcome.value
        finally:
            con.close()
    summary = batches.summary(batch_id)
    return ReviewStepPublic.of(
        logged, batch_id=batch_id, outcome=outcome, response_final=summary.response_final
    )


# -- API ------------------------------------------------------------------------------------


@router.get(
    "/api/review/queue",
    response_model=ReviewQueuePublic,
    tags=["review"],
    responses=error_responses(401, 403, 409, 422),
)
def api_queue(user: ApiUserDep, batches: BatchFoldersDep, filters: FiltersDep) -> ReviewQueuePublic:
    """Rows waiting for a person's decision, oldest batch first, one page at a time."""
    return ReviewQueuePublic.of(_queue(user, batches, filters))


@router.get(
    "/api/review/batches/{batch_id}/rows/{row_number}",
    response_model=ReviewCasePublic,
    tags=["review"],
    responses=error_responses(401, 403, 404, 409, 422),
)
def api_case(
    batch_id: BatchId, row_number: RowNumber, user: ApiUserDep, batches: BatchFoldersDep
) -> ReviewCasePublic:
    """The request beside each candidate's identity record, the evidence, the reasons and
    the steps so far (TINs masked). Each read is recorded in the access log."""
    return ReviewCasePublic.of(_case(user, batches, batch_id, row_number))


@router.post(
    "/api/review/batches/{batch_id}/rows/{row_number}/steps",
    response_model=ReviewStepPublic,
    tags=["review"],
    responses=error_responses(401, 403, 404, 409, 413, 415, 422),
)
def api_step(
    batch_id: BatchId,
    row_number: RowNumber,
    body: ReviewStepCreate,
    user: ApiReviewWriter,
    batches: BatchFoldersDep,
    ledger: LedgerWriterDep,
) -> ReviewStepPublic:
    """``release`` (waits for a supervisor's confirmation), ``refuse`` or ``note``."""
    return _step(
        user,
        batches,
        ledger,
        batch_id=batch_id,
        row_number=row_number,
        step=ReviewStep(body.action),
        reason=body.reason,
        key=body.idempotency_key,
    )


# -- pages ----------------------------------------------------------------------------------


@router.get("/review", response_class=HTMLResponse, include_in_schema=False)
def queue_page_view(
    request: Request,
    user: PageUserDep,
    batches: BatchFoldersDep,
    templates: TemplatesDep,
    filters: FiltersDep,
) -> Response:
    return templates.TemplateResponse(
        request, "review_queue.html", {"queue": _queue(user, batches, filters)}
    )


def _recorded(case: ReviewCase, sequence: int | None) -> LoggedAction | None:
    """The step the redirect names, only if the ledger index of this row holds it."""
    return next((a for a in case.actions if a.sequence == sequence), None)


@router.get(
    "/review/batches/{batch_id}/rows/{row_number}",
    response_class=HTMLResponse,
    include_in_schema=False,
)
def case_page(
    request: Request,
    batch_id: BatchId,
    row_number: RowNumber,
    user: PageUserDep,
    batches: BatchFoldersDep,
    templates: TemplatesDep,
    recorded: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> Response:
    case = _case(user, batches, batch_id, row_number)
    return templates.TemplateResponse(
        request,
        "review_case.html",
        {
            "case": case,
            "row": case.evidence,
            "form_key": uuid.uuid4().hex,
            "is_supervisor": user.role is Role.SUPERVISOR,
            "recorded": _recorded(case, recorded),
            "steps": [
                step.value for step in (ReviewStep.RELEASE, ReviewStep.REFUSE, ReviewStep.NOTE)
            ],
        },
    )


def _back(batch_id: str, row_number: int, result: ReviewStepPublic) -> RedirectResponse:
    # Post/redirect/get: reloading the page does not submit again.
    return RedirectResponse(
        f"/review/batches/{batch_id}/rows/{row_number}?recorded={result.sequence}",
        status_code=303,
    )


@router.post("/review/batches/{batch_id}/rows/{row_number}/steps", include_in_schema=False)
def step_form(
    batch_id: BatchId,
    row_number: RowNumber,
    user: PageFormReviewer,
    _no_actor: NoClientActorDep,
    batches: BatchFoldersDep,
    ledger: LedgerWriterDep,
    action: Annotated[str, Form(pattern=r"^(release|refuse|note)$")] = "note",
    reason: Annotated[str, Form(max_length=4_000)] = "",
    form_key: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    result = _step(
        user,
        batches,
        ledger,
        batch_id=batch_id,
        row_number=row_number,
        step=ReviewStep(action),
        reason=reason,
        key=form_key,
    )
    return _back(batch_id, row_number, result)


# -- a supervisor's two steps, on the API and from the page -----------------------------------


def _supervisor_step_routes(verb: str, step: ReviewStep, description: str) -> None:
    """``POST /api/review/.../release/{verb}`` (JSON) and its page form's twin: the same
    step, the same checks; only how the request arrives and what is answered differ."""
    path = f"/review/batches/{{batch_id}}/rows/{{row_number}}/release/{verb}"

    def api_route(
        batch_id: BatchId,
        row_number: RowNumber,
        body: SupervisorStepCreate,
        user: ApiSupervisor,
        batches: BatchFoldersDep,
        ledger: LedgerWriterDep,
    ) -> ReviewStepPublic:
        return _step(
            user,
            batches,
            ledger,
            batch_id=batch_id,
            row_number=row_number,
            step=step,
            reason=body.reason,
            key=body.idempotency_key,
        )

    def form_route(
        batch_id: BatchId,
        row_number: RowNumber,
        user: PageFormSupervisor,
        _no_actor: NoClientActorDep,
        batches: BatchFoldersDep,
        ledger: LedgerWriterDep,
        reason: Annotated[str, Form(max_length=4_000)] = "",
        form_key: Annotated[str, Form(max_length=200)] = "",
    ) -> Response:
        result = _step(
            user,
            batches,
            ledger,
            batch_id=batch_id,
            row_number=row_number,
            step=step,
            reason=reason,
            key=form_key,
        )
        return _back(batch_id, row_number, result)

    router.post(
        f"/api{path}",
        response_model=ReviewStepPublic,
        tags=["review"],
        responses=error_responses(401, 403, 404, 409, 413, 415, 422),
        name=f"api_{verb}",
        description=description,
    )(api_route)
    router.post(path, include_in_schema=False, name=f"{verb}_form")(form_route)


_supervisor_step_routes(
    "confirm",
    ReviewStep.CONFIRM_RELEASE,
    "A second person confirms a release: the disclosure is recorded in the ledger, then"
    " the row is disclosed in the response.",
)
_supervisor_step_routes(
    "reject",
    ReviewStep.REJECT_RELEASE,
    "A supervisor sends a release back: the row returns to the queue, the reason kept.",
)
