"""``/api/lookups``: one request row under a signed look-up letter, answered at once.

The route calls :func:`matchgate.lookups.run_lookup`, as ``matchgate lookup`` does: legal
review under the look-up letter, matching against the shared master, the ledger, the answer.
Only a requester calls it, only under its own agency's look-up letter, and the ledger's actor
is the signed-in user.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter

from matchgate.accounts import Role
from matchgate.lookups import LetterNotOnFileError, run_lookup
from matchgate.lookups.store import letter_folder
from matchgate.server.access import recorded_read
from matchgate.server.accounts import Principal, check_letter_is_own, require_roles
from matchgate.server.deps import ApiWriterDep, BatchFoldersDep, SettingsDep
from matchgate.server.errors import NotFoundError
from matchgate.server.openapi import error_responses
from matchgate.server.schemas import LookupCreate, LookupPublic

__all__ = ["router"]

router = APIRouter(prefix="/api/lookups", tags=["lookups"])


def _check_own_letter(
    user: Principal, workspace: Path, letter: Path | None, letter_id: str, url: str | None
) -> None:
    """A requester looks up only under its own agency's letter: a letter sent with the body
    (403 otherwise) or one on file by its id (another agency's id answers 404, as one that is
    not on file)."""
    if letter is not None:
        check_letter_is_own(user, letter.read_bytes(), workspace, url=url)
        return
    try:
        path = letter_folder(workspace, letter_id) / "letter.toml"
    except LetterNotOnFileError as exc:
        raise NotFoundError(str(exc)) from exc
    if not path.is_file():
        raise NotFoundError(f"no look-up letter {letter_id!r} on file in this workspace")
    try:
        check_letter_is_own(user, path.read_bytes(), workspace, url=url)
    except Exception as exc:  # noqa: BLE001 - any refusal of a filed letter reads as not found
        raise NotFoundError(f"no look-up letter {letter_id!r} on file in this workspace") from exc


@router.post(
    "",
    response_model=LookupPublic,
    responses=error_responses(401, 403, 404, 409, 413, 415, 422),
)
def create_lookup(
    body: LookupCreate,
    user: ApiWriterDep,
    settings: SettingsDep,
    batches: BatchFoldersDep,
) -> LookupPublic:
    """A requester's look-up under its own agency's look-up letter, sent as TOML text (filed
    on first use) or named by the id of one on file. The actor is the signed-in user. The
    read is on record (``lookup``) before the answer exists; a refusal is a denied record."""
    fields = body.request_fields()
    subject = {"letter_id": body.letter_id or None, "tin": fields.get("tin") or None}
    with recorded_read(user, "lookup", subject) as read:
        require_roles(user, frozenset({Role.REQUESTER}), "run look-ups")
        with batches.staged_letter(body.letter) as letter:
            _check_own_letter(user, batches.workspace, letter, body.letter_id, batches.database_url)
            try:
                answer = run_lookup(
                    workspace=batches.workspace,
                    fields=fields,
                    actor=user.name,
                    letter=letter,
                    letter_id=body.letter_id or None,
                    master=batches.master,
                    policy_path=batches.policy,
                    ledger_url=settings.ledger_url,
                    ledger_key=settings.ledger_key,
                )
            except LetterNotOnFileError as exc:
                raise NotFoundError(str(exc)) from exc
        read.update(letter_id=answer.letter_id, batch_id=answer.batch_id, row_number=answer.number)
    return LookupPublic.from_response_row(
        answer.batch_id, answer.response, letter_id=answer.letter_id
    )
