"""``/batches/new``: a requester uploads a batch from the browser.

The form (multipart: request file, letter, optional column mapping, the session's CSRF
token) posts to the same code as ``POST /api/batches``
(:func:`matchgate.server.api_batches.submit_upload`): the same role and agency checks, the
same staging and background job, and the same size and content-type limits, which the
request guard applies to every route before its body is read
(:mod:`matchgate.server.guards`). The answer is a redirect (303) to the batch page, which
follows the job's progress. A file missing from the form shows the form again (422) with
the field named; any other refusal is the error page.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from matchgate.accounts import Role
from matchgate.errors import InputError
from matchgate.server.accounts import require_roles
from matchgate.server.api_batches import submit_upload
from matchgate.server.deps import (
    BatchFoldersDep,
    NoClientActorDep,
    PageFormUserDep,
    PageUserDep,
    SettingsDep,
    TemplatesDep,
)

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

_SUBMITTERS = frozenset({Role.REQUESTER})


def _form(
    request: Request, templates: TemplatesDep, *, status: int = 200, problem: str = ""
) -> Response:
    return templates.TemplateResponse(
        request, "upload.html", {"problem": problem}, status_code=status
    )


@router.get("/batches/new", response_class=HTMLResponse)
def upload_form(request: Request, user: PageUserDep, templates: TemplatesDep) -> Response:
    require_roles(user, _SUBMITTERS, "submit batches")
    return _form(request, templates)


@router.post("/batches/new")
def upload_batch(
    request: Request,
    user: PageFormUserDep,
    _no_actor: NoClientActorDep,
    settings: SettingsDep,
    batches: BatchFoldersDep,
    templates: TemplatesDep,
    requests: Annotated[UploadFile | None, File()] = None,
    letter: Annotated[UploadFile | None, File()] = None,
    mapping: Annotated[UploadFile | None, File()] = None,
) -> Response:
    try:
        batch_id = submit_upload(
            user, settings, batches, requests=requests, letter=letter, mapping=mapping
        )
    except InputError as problem:
        if problem.field not in {"requests", "letter"} or problem.row is not None:
            raise
        return _form(request, templates, status=422, problem=str(problem))
    # Post/redirect/get: the batch page follows the job (and refreshes itself while it runs).
    return RedirectResponse(f"/batches/{batch_id}", status_code=303)
