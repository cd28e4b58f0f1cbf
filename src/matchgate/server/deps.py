"""``Annotated`` dependency aliases shared by the route modules."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Form, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from fastapi.templating import Jinja2Templates

from matchgate.ledger import Ledger
from matchgate.ledger._files import LEDGER_FILE
from matchgate.server.auth import check_reviewer_token
from matchgate.server.batch_folders import BatchFolders
from matchgate.server.errors import NoLedgerYetError, WrongTokenError
from matchgate.server.limits import Limiter, address_key
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
    if settings.ledger_url is None and not (settings.workspace / LEDGER_FILE).is_file():
        raise NoLedgerYetError("no batch has been recorded in this workspace yet: no ledger")
    with Ledger.open(settings.workspace, url=settings.ledger_url, read_only=True) as ledger:
        yield ledger


def open_ledger_writer(settings: SettingsDep) -> Iterator[Ledger]:
    with Ledger.open(
        settings.workspace, url=settings.ledger_url, key_path=settings.ledger_key, server=True
    ) as ledger:
        yield ledger


LedgerReaderDep = Annotated[Ledger, Depends(open_ledger_reader)]
LedgerWriterDep = Annotated[Ledger, Depends(open_ledger_writer)]


def _authenticate(request: Request, settings: ServerSettings, presented: str | None) -> None:
    """The token check, with every refused token counted against the client's address
    (enough of them lock it out: :mod:`matchgate.server.limits`)."""
    limiter: Limiter = request.app.state.limiter
    key = address_key(request.client.host if request.client else None)
    limiter.check(key, count=False)
    try:
        check_reviewer_token(settings, presented)
    except WrongTokenError:
        limiter.record_failure(key)
        raise


# Declared as security schemes, so the OpenAPI schema says how to authenticate.
_BEARER = HTTPBearer(
    auto_error=False, scheme_name="reviewerToken", description="Authorization: Bearer TOKEN"
)
_TOKEN_HEADER = APIKeyHeader(
    name="X-Reviewer-Token",
    auto_error=False,
    scheme_name="reviewerTokenHeader",
    description="The reviewer token in a header of its own (the same token).",
)


def require_reviewer_token(
    request: Request,
    settings: SettingsDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)] = None,
    x_reviewer_token: Annotated[str | None, Depends(_TOKEN_HEADER)] = None,
) -> None:
    """API calls present the token as ``Authorization: Bearer`` or ``X-Reviewer-Token``."""
    token = bearer.credentials.strip() if bearer is not None else None
    _authenticate(request, settings, token or x_reviewer_token)


ReviewerTokenDep = Annotated[None, Depends(require_reviewer_token)]


def require_form_token(
    request: Request, settings: SettingsDep, reviewer_token: Annotated[str, Form()] = ""
) -> None:
    """Pages' forms carry the token in a password field (no cookies, no JavaScript)."""
    _authenticate(request, settings, reviewer_token)


FormTokenDep = Annotated[None, Depends(require_form_token)]
