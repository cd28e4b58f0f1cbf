"""Who is calling, and what that person may see and do.

Every route takes a :class:`Principal` through :func:`principal_for` (``Annotated`` aliases
in :mod:`matchgate.server.deps`). How a caller authenticates:

- API (``/api/...``): ``Authorization: Bearer mg_<id>_<secret>``. API reads also accept
  the web session cookie (so a signed-in browser can follow a link to ``/api/ledger/verify``);
  API writes accept only the bearer token, which a browser never sends by itself.
- Pages: the session cookie of the sign-in page (:mod:`matchgate.server.sessions`), or a
  bearer token. A page POST made with the cookie must carry the session's CSRF token.

Walls: a requester sees only batches whose letter is its agency's (any other batch id
answers 404, exactly as an id that does not exist, so ids are never confirmed), and submits
only under its own agency's letters. Which role may call which route is :data:`ROLE_RULES`'s
business, in one place; ``tests/server/test_role_matrix.py`` holds the same table as tested.
"""

from __future__ import annotations

import secrets
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Request

from matchgate.accounts import AccountStore, Role, UserInfo
from matchgate.errors import LetterError
from matchgate.review import load_letter
from matchgate.review.letter import RequestLetter
from matchgate.review.registry import AgencyRegistryStore
from matchgate.server.batch_folders import BatchFolders, BatchSummary
from matchgate.server.errors import MissingTokenError, NotFoundError, WrongTokenError
from matchgate.server.settings import ServerSettings, is_loopback

__all__ = [
    "SESSION_COOKIE",
    "AccessDeniedError",
    "NotSignedInError",
    "Principal",
    "SignInRequiredError",
    "account_store",
    "agency_of_letter",
    "bearer_token",
    "check_csrf",
    "principal_for",
    "require_roles",
]

SESSION_COOKIE = "mg_session"
STAFF = frozenset({Role.REVIEWER, Role.SUPERVISOR, Role.AUDITOR, Role.ADMIN})
# Roles that read taxpayer data (row evidence, the accounting, responses) as part of the job.
TAXPAYER_READERS = frozenset({Role.REVIEWER, Role.SUPERVISOR, Role.AUDITOR})
REVIEWERS = frozenset({Role.REVIEWER, Role.SUPERVISOR})


class NotSignedInError(MissingTokenError):
    """No credential, or one that is malformed, unknown, wrong, expired or revoked (401)."""


class SignInRequiredError(NotSignedInError):
    """A page asked for without a live session: the browser is sent to the sign-in page."""


class AccessDeniedError(WrongTokenError):
    """The user is known but the role may not do this (403)."""


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller: the user, and the session's CSRF token when the credential
    was the session cookie (None for a bearer token)."""

    user: UserInfo
    csrf_token: str | None = None

    @property
    def name(self) -> str:
        return self.user.name

    @property
    def role(self) -> Role:
        return self.user.role

    @property
    def is_requester(self) -> bool:
        return self.user.role is Role.REQUESTER

    def may_see(self, agency_code: str) -> bool:
        """A requester sees only its own agency's batches; every other role sees all."""
        if not self.is_requester:
            return True
        own = (self.user.agency_code or "").casefold()
        return bool(agency_code) and agency_code.casefold() == own


_STORE_GUARD = threading.Lock()


def account_store(app: Any) -> AccountStore:
    """The app's account store, opened (and its tables made) on first use."""
    with _STORE_GUARD:
        store: AccountStore | None = getattr(app.state, "accounts", None)
        if store is None:
            settings: ServerSettings = app.state.settings
            store = AccountStore.open(settings.workspace, url=settings.store_url)
            app.state.accounts = store
        return store


def cookie_is_secure(settings: ServerSettings) -> bool:
    """``Secure`` cookies unless the server listens on loopback only (plain http there)."""
    return not is_loopback(settings.host)


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer TOKEN`` header, if there is one."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def principal_for(request: Request, *, page: bool) -> Principal:
    """Authenticate the request or raise (401; pages: a redirect to the sign-in page)."""
    missing: type[NotSignedInError] = SignInRequiredError if page else NotSignedInError
    token = bearer_token(request.headers.get("authorization"))
    cookie = request.cookies.get(SESSION_COOKIE, "")
    store = account_store(request.app)
    if token is not None:
        found = store.authenticate(token)
        if found is None:
            raise NotSignedInError("the API token is not valid (unknown, expired or revoked)")
        principal = Principal(user=found[0])
    elif cookie and (page or request.method in {"GET", "HEAD"}):
        session = store.session_user(cookie)
        if session is None:
            raise missing("the session has ended; sign in again at /sign-in")
        principal = Principal(user=session[0], csrf_token=session[1])
    elif cookie:
        raise NotSignedInError(
            "an API write needs 'Authorization: Bearer TOKEN'; the session cookie is for"
            " reading and for the pages' forms"
        )
    else:
        raise missing(
            "sign in first (API: header 'Authorization: Bearer TOKEN' with the token of"
            " 'matchgate user add'; browser: /sign-in)"
        )
    request.state.principal = principal
    return principal


def require_roles(principal: Principal, allowed: frozenset[Role], action: str) -> None:
    if principal.role not in allowed:
        raise AccessDeniedError(f"a {principal.role.value} may not {action}")


def check_csrf(principal: Principal, presented: str) -> None:
    """A form posted with the session cookie must carry the session's CSRF token."""
    if principal.csrf_token is None:
        return  # bearer token: not a credential a browser sends by itself
    if not presented or not secrets.compare_digest(
        presented.encode(), principal.csrf_token.encode()
    ):
        raise AccessDeniedError(
            "the form's CSRF token is missing or not this session's; reload the page and"
            " submit again"
        )


# -- agency walls -------------------------------------------------------------------------


def agency_of_letter(letter: RequestLetter, workspace: Path, url: str | None = None) -> str:
    """The agency code a letter asks for: its ``agency_code``, else its agency's name as the
    registry knows it (the server's database ``url``, else the workspace's); "" when neither
    resolves."""
    if letter.agency_code.strip():
        return letter.agency_code.strip().upper()
    if not letter.agency.strip():
        return ""
    with AgencyRegistryStore.open(workspace, url=url) as store:
        agency = store.registry().by_name(letter.agency)
    return agency.code.upper() if agency is not None else ""


def batch_agency_code(batches: BatchFolders, batch_id: str) -> str:
    """The agency code of a batch's letter on file; "" when it has none (such a batch is
    no requester's)."""
    path = batches.folder(batch_id) / "input" / "letter.toml"
    if not path.is_file():
        return ""
    try:
        return agency_of_letter(load_letter(path), batches.workspace, batches.database_url)
    except LetterError:
        return ""


def not_found(batch_id: str) -> NotFoundError:
    # The very sentence BatchFolders.folder uses for an id that does not exist.
    return NotFoundError(f"no batch {batch_id!r} in this workspace")


def check_batch_visible(principal: Principal, batches: BatchFolders, batch_id: str) -> None:
    """404 for a batch the caller may not see, exactly as for one that does not exist."""
    batches.folder(batch_id)  # 404 when it does not exist
    if principal.is_requester and not principal.may_see(batch_agency_code(batches, batch_id)):
        raise not_found(batch_id)


def visible_batches(principal: Principal, batches: BatchFolders) -> list[BatchSummary]:
    summaries = batches.list()
    if not principal.is_requester:
        return summaries
    return [s for s in summaries if principal.may_see(batch_agency_code(batches, s.batch_id))]


def check_letter_is_own(
    principal: Principal,
    letter_bytes: bytes,
    workspace: Path,
    *,
    filename: str = "letter.toml",
    url: str | None = None,
) -> None:
    """A requester submits only under its own agency's letters (403 otherwise: the letter is
    the caller's own upload, so saying why confirms nothing)."""
    if not principal.is_requester:
        return
    with tempfile.TemporaryDirectory(prefix="matchgate-letter-") as folder:
        path = Path(folder) / "letter.toml"
        path.write_bytes(letter_bytes)
        try:
            code = agency_of_letter(load_letter(path), workspace, url)
        except LetterError as exc:
            shown = f"upload 'letter' ({Path(filename).name or 'letter'})"
            raise type(exc)(exc.message, path=shown, row=exc.row, field=exc.field) from exc
    if not principal.may_see(code):
        raise AccessDeniedError(
            f"this letter is for agency {code or '(unknown)'!r}; requester {principal.name!r}"
            f" submits only under {principal.user.agency_code}'s letters"
        )
