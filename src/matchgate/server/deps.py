"""``Annotated`` dependency aliases shared by the route modules."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Form, Header, Request
from fastapi.templating import Jinja2Templates

from matchgate.ledger import Ledger
from matchgate.server.auth import bearer_token, check_reviewer_token
from matchgate.server.batch_folders import BatchFolders
from matchgate.server.settings import ServerSettings

__all__ = [
    "BatchFoldersDep",
    "FormTokenDep",
    "LedgerReaderDep",
    "LedgerWriterDep",
    "ReviewerTokenDep",
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


def require_reviewer_token(
    settings: SettingsDep,
    authorization: Annotated[str | None, Header()] = None,
    x_reviewer_token: Annotated[str | None, Header()] = None,
) -> None:
    """API calls present the token as ``Authorization: Bearer`` or ``X-Reviewer-Token``."""
    check_reviewer_token(settings, bearer_token(authorization) or x_reviewer_token)


ReviewerTokenDep = Annotated[None, Depends(require_reviewer_token)]


def require_form_token(settings: SettingsDep, reviewer_token: Annotated[str, Form()] = "") -> None:
    """Pages' forms carry the token in a password field (no cookies, no JavaScript)."""
    check_reviewer_token(settings, reviewer_token)


FormTokenDep = Annotated[None, Depends(require_form_token)]
