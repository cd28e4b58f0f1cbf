"""``Annotated`` dependency aliases shared by the route modules."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Form, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from fastapi.templating import Jinja2Templates

from matchgate.errors import InputError
from matchgate.ledger import Ledger
from matchgate.ledger._files import LEDGER_FILE
from matchgate.server.accounts import (
    REVIEWERS,
    SESSION_COOKIE,
    NotSignedInError,
    Principal,
    bearer_token,
    check_csrf,
    principal_for,
    require_roles,
)
from matchgate.server.batch_folders import BatchFolders
from matchgate.server.errors import NoLedgerYetError
from matchgate.server.limits import Limiter, address_key, token_key
from matchgate.server.settings import ServerSettings

__all__ = [
    "ApiReviewerDep",
    "ApiUserDep",
    "ApiWriterDep",
    "BatchFoldersDep",
    "LedgerReaderDep",
    "LedgerWriterDep",
    "NoClientActorDep",
    "PageFormUserDep",
    "PageReviewerDep",
    "PageUserDep",
    "SettingsDep",
    "TemplatesDep",
    "check_not_locked_out",
    "record_refused_credential",
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
        workspace=settings.workspace,
        master=settings.master,
        policy=settings.policy,
        database_url=settings.ledger_url,
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


def _limiter(request: Request) -> Limiter:
    limiter: Limiter = request.app.state.limiter
    return limiter


def _credential_keys(request: Request, token: str | None) -> tuple[str, ...]:
    """The limiter's keys for a credential: the client's address, and the token's id when
    the token is well formed (never its secret)."""
    address = address_key(request.client.host if request.client else None)
    by_id = token_key(token) if token else None
    return (address,) if by_id is None else (address, by_id)


def check_not_locked_out(request: Request, token: str | None) -> None:
    """429 (with Retry-After) when the address or the token's id is locked out, before the
    credential is even looked at: the right token does not get through a lock-out."""
    limiter = _limiter(request)
    for key in _credential_keys(request, token):
        limiter.check(key, count=False)


def record_refused_credential(request: Request, token: str | None) -> None:
    """One refused credential against the address and the token's id (enough of them lock
    both out: :mod:`matchgate.server.limits`)."""
    limiter = _limiter(request)
    for key in _credential_keys(request, token):
        limiter.record_failure(key)


def _authenticate(request: Request, *, page: bool) -> Principal:
    """The caller (:func:`~matchgate.server.accounts.principal_for`), with every refused
    bearer token counted against the client's address and the token's id. No credential at
    all is not counted (a browser whose session ended is no guesser)."""
    token = bearer_token(request.headers.get("authorization"))
    check_not_locked_out(request, token)
    try:
        return principal_for(request, page=page)
    except NotSignedInError:
        if token is not None:
            record_refused_credential(request, token)
        raise


# Declared as security schemes, so the OpenAPI schema says how to authenticate; the
# credential itself is read by principal_for.
_BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="bearerToken",
    description="Authorization: Bearer mg_<id>_<secret>, the token 'matchgate user add' printed.",
)
_SESSION = APIKeyCookie(
    name=SESSION_COOKIE,
    auto_error=False,
    scheme_name="sessionCookie",
    description="The web session of /sign-in; API reads (GET) only.",
)
BearerDoc = Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)]
SessionDoc = Annotated[str | None, Depends(_SESSION)]


def api_principal(
    request: Request, _bearer: BearerDoc = None, _session: SessionDoc = None
) -> Principal:
    """The authenticated caller of an API read (401 without a valid credential): a bearer
    token or the session cookie."""
    return _authenticate(request, page=False)


def api_writer(request: Request, _bearer: BearerDoc = None) -> Principal:
    """The authenticated caller of an API write: a bearer token only (the session cookie is
    refused, 401, since a browser sends it by itself)."""
    return _authenticate(request, page=False)


def page_principal(request: Request) -> Principal:
    """The authenticated caller of a page (without one: a redirect to the sign-in page)."""
    return _authenticate(request, page=True)


ApiUserDep = Annotated[Principal, Depends(api_principal)]
ApiWriterDep = Annotated[Principal, Depends(api_writer)]
PageUserDep = Annotated[Principal, Depends(page_principal)]


def api_reviewer(principal: ApiWriterDep) -> Principal:
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
