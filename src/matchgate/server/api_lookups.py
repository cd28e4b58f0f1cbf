"""``/api/lookups``: one request row, answered at once as a batch of one.

The look-up runs the same pipeline as a bulk upload (legal review, matching, disclosure,
ledger) under the letter on file with an earlier batch of the same requester.
"""

from __future__ import annotations

from fastapi import APIRouter

from matchgate.server.deps import BatchFoldersDep, ReviewerTokenDep, SettingsDep
from matchgate.server.openapi import error_responses
from matchgate.server.schemas import LookupCreate, LookupPublic

__all__ = ["router"]

router = APIRouter(prefix="/api/lookups", tags=["lookups"])


@router.post(
    "",
    response_model=LookupPublic,
    responses=error_responses(401, 403, 404, 409, 413, 415, 422),
)
def create_lookup(
    body: LookupCreate,
    _token: ReviewerTokenDep,
    settings: SettingsDep,
    batches: BatchFoldersDep,
) -> LookupPublic:
    result, row = batches.run_lookup(
        body.request_fields(),
        letter_batch_id=body.letter_batch_id,
        actor=body.submitted_by.strip() or "matchgate-server",
        ledger_url=settings.ledger_url,
        ledger_key=settings.ledger_key,
    )
    return LookupPublic.from_response_row(result.batch_id, row)
