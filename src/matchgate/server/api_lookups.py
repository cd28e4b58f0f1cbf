"""``/api/lookups``: one request row, answered at once as a batch of one.

The look-up runs the same pipeline as a bulk upload (legal review, matching, disclosure,
ledger) under the letter on file with an earlier batch of the same requester.
"""

from __future__ import annotations

from fastapi import APIRouter

from matchgate.accounts import Role
from matchgate.server.access import recorded_read
from matchgate.server.accounts import check_batch_visible, require_roles
from matchgate.server.deps import ApiUserDep, BatchFoldersDep, SettingsDep
from matchgate.server.schemas import LookupCreate, LookupPublic

__all__ = ["router"]

router = APIRouter(prefix="/api/lookups", tags=["lookups"])


@router.post("", response_model=LookupPublic)
def create_lookup(
    body: LookupCreate,
    user: ApiUserDep,
    settings: SettingsDep,
    batches: BatchFoldersDep,
) -> LookupPublic:
    """A requester's look-up under the letter of one of its own agency's batches (another
    agency's batch id answers 404, as an id that does not exist). The actor is the user."""
    fields = body.request_fields()
    subject = {"letter_batch_id": body.letter_batch_id, "tin": fields.get("tin")}
    with recorded_read(user, "lookup", subject) as read:
        require_roles(user, frozenset({Role.REQUESTER}), "run look-ups")
        check_batch_visible(user, batches, body.letter_batch_id)
        result, row = batches.run_lookup(
            fields,
            letter_batch_id=body.letter_batch_id,
            actor=user.name,
            ledger_url=settings.ledger_url,
            ledger_key=settings.ledger_key,
        )
        read.update(batch_id=result.batch_id, row_number=int(row.get("row_number") or 1))
    return LookupPublic.from_response_row(result.batch_id, row)
