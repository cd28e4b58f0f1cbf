"""``Annotated`` dependency aliases shared by the route modules."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Form, Request
from fastapi.templating import Jinja2Templates

from matchgate.errors import InputError
from matchgate.ledger import Ledger
from matchgate.server.accounts import (
    REVIEWERS,
    Principal,
    check_csrf,
    principal_for,
    require_roles,
)
from matchgate.server.batch_folders import BatchFolders
from matchgate.server.settings import ServerSettings

__all__ = [
    "ApiReviewerDep",
    "ApiUserDep",
    "BatchFoldersDep",
    "LedgerReaderDep",
    "LedgerWriterDep",
    "NoClientActorDep",
    "PageFormUserDep",
    "PageReviewerDep",
    "PageUserDep",
    "SettingsDep",
    "TemplatesDep",
]


def get_settings(request: Request) -> ServerSettings:
    settings: ServerSettings = request.app.state.settings
    return settings


SettingsDep = Annotated[ServerSettings, Depends(get_settings)]


def get_templates(request: Request) -> Jinja2Templates:
    templates: Jinja2Templates = request.app.state.templates
    return templates


TemplatesDep = Annotated[Jinja2Templates, Depends(get_templates)]


def get_batch_folders(settings: SettingsDep) -> BatchFolders:
    return BatchFolders(
        workspace=settings.workspace, master=settings.master, policy=settings.policy
    )


BatchFoldersDep = Annotated[BatchFolders, Depends(get_batch_folders)]


def open_ledger_reader(settings: SettingsDep) -> Iterator[Ledger]:
    with Ledger.open(settings.workspace, url=settings.ledger_url, read_only=True) as ledger:
        yield ledger


def open_ledger_writer(settings: SettingsDep) -> Iterator[Ledger]:
    with Ledger.open(
        settings.workspace, url=settings.ledger_url, key_path=settings.ledger_key, server=True
    ) as ledger:
        yield ledger


LedgerReaderDep = Annotated[Ledger, Depends(open_ledger_reader)]
LedgerWriterDep = Annotated[Ledger, Depends(open_ledger_writer)]


def api_principal(request: Request) -> Principal:
    """The authenticated caller of an API route (401 without a valid credential)."""
    return principal_for(request, page=False)


def page_principal(request: Request) -> Principal:
    """The authenticated caller of a page (without one: a redirect to the sign-in page)."""
    return principal_for(request, page=True)


ApiUserDep = Annotated[Principal, Depends(api_principal)]
PageUserDep = Annotated[Principal, Depends(page_principal)]


def api_reviewer(principal: ApiUserDep) -> Principal:
    """A reviewer or supervisor, checked before the ledger is opened for writing."""
    require_roles(principal, REVIEWERS, "record review actions")
    return principal


ApiReviewerDep = Annotated[Principal, Depends(api_reviewer)]


def page_form_user(principal: PageUserDep, csrf_token: Annotated[str, Form()] = "") -> Principal:
    """The caller of a page's form POST, its CSRF token checked (403 when it is missing or
    not the session's)."""
    check_csrf(principal, csrf_token)
    return principal


PageFormUserDep = Annotated[Principal, Depends(page_form_user)]


def page_reviewer(principal: PageFormUserDep) -> Principal:
    require_roles(principal, REVIEWERS, "record review actions")
    return principal


PageReviewerDep = Annotated[Principal, Depends(page_reviewer)]

# The ledger's actor is the authenticated user; a client that names one is refused.
CLIENT_ACTOR_FIELDS = ("submitted_by", "reviewer")


async def refuse_client_actor(request: Request) -> None:
    """422 when a form names its own actor (``submitted_by``, ``reviewer``): that name would
    be ignored, and a client should learn so rather than believe it was recorded."""
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        return
    form = await request.form()
    for name in CLIENT_ACTOR_FIELDS:
        if name in form:
            raise InputError(
                f"the ledger's actor is the signed-in user; do not send {name!r}",
                field=name,
            )


NoClientActorDep = Annotated[None, Depends(refuse_client_actor)]
