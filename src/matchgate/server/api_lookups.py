"""``/api/lookups``: one request row under a signed look-up letter, answered at once.

The route calls :func:`matchgate.lookups.run_lookup`, as ``matchgate lookup`` does: legal
review under the look-up letter, matching against the shared master, the ledger, the answer.
"""

from __future__ import annotations

from fastapi import APIRouter

from matchgate.lookups import LetterNotOnFileError, run_lookup
from matchgate.server.deps import BatchFoldersDep, ReviewerTokenDep, SettingsDep
from matchgate.server.errors import NotFoundError
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
    actor = "matchgate-server"  # the authenticated user, once the routes know who calls
    with batches.staged_letter(body.letter) as letter:
        try:
            answer = run_lookup(
                workspace=batches.workspace,
                fields=body.request_fields(),
                actor=actor,
                letter=letter,
                letter_id=body.letter_id or None,
                master=batches.master,
                policy_path=batches.policy,
                ledger_url=settings.ledger_url,
                ledger_key=settings.ledger_key,
            )
        except LetterNotOnFileError as exc:
            raise NotFoundError(str(exc)) from exc
    return LookupPublic.from_response_row(
        answer.batch_id, answer.response, letter_id=answer.letter_id
    )
