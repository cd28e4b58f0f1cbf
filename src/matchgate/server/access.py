"""Every read of taxpayer data on record: who, when, what, and whether it was shown.

A route that shows taxpayer data wraps the work in :func:`recorded_read`; the record is
written (:func:`record_access`) when the block ends, so before the body is returned, and a
record that cannot be written fails the request: nothing is shown that is not on record.
A block that raises a :class:`MatchgateError` (403 for the role, 404 for another agency's
batch, 409 for a response not final...) is recorded as ``denied`` with that status, then
the error goes on to its handler. Callers without a credential (401) are not users and are
not recorded here.

The records go to the access log of the ledger database (:class:`matchgate.ledger.AccessLog`:
hash-chained, append-only, TINs stored only as keyed hashes). What each record holds:

- who: the authenticated user's id, name, role (and a requester's agency), the client address;
- when: the time it was recorded (UTC);
- what: the kind of read (``what``: ``row_page``, ``batch_page``, ``response_download``,
  ``lookup``, ``accounting``, ``access_log``, ``access_log_page``, ...), the route template,
  and the subject: batch id, row number, the TINs read (keyed hashes), other parameters;
- the outcome: ``allowed`` (the data was shown) or ``denied`` (nothing was), and the status.

The request's context (the app, the route, the client) comes from
:class:`AccessContextMiddleware`, installed by :func:`install_access_log`, so that
``record_access(user, what, subject)`` is all a route says.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
from starlette.types import ASGIApp, Receive, Scope, Send

from matchgate import sql
from matchgate.errors import MatchgateError
from matchgate.ledger import AccessLog, AccessRecord, AccessUser
from matchgate.server.accounts import Principal
from matchgate.server.batch_folders import batch_lock
from matchgate.server.error_handlers import status_code_for
from matchgate.server.settings import ServerSettings

__all__ = [
    "AccessContextMiddleware",
    "AccessSubject",
    "access_log",
    "install_access_log",
    "record_access",
    "recorded_read",
    "row_tins",
]

logger = logging.getLogger("matchgate.server.access")

AccessSubject = dict[str, str | int | None]


@dataclass(frozen=True, slots=True)
class _RequestContext:
    app: Any
    scope: Scope

    @property
    def route(self) -> str:
        route = self.scope.get("route")
        template = getattr(route, "path", None) or self.scope.get("path", "")
        return f"{self.scope.get('method', '')} {template}".strip()

    @property
    def client(self) -> str | None:
        client = self.scope.get("client")
        return str(client[0]) if client else None


_REQUEST: ContextVar[_RequestContext | None] = ContextVar("matchgate_access_request", default=None)
_LOG_GUARD = threading.Lock()


class AccessContextMiddleware:
    """Makes the request (its app, route and client) known to :func:`record_access`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = _REQUEST.set(_RequestContext(app=scope.get("app"), scope=scope))
        try:
            await self.app(scope, receive, send)
        finally:
            _REQUEST.reset(token)


def install_access_log(app: Any) -> None:
    """Record reads in this app's access log (call once from ``create_app``)."""
    app.add_middleware(AccessContextMiddleware)


def access_log(app: Any) -> AccessLog:
    """The app's access log, opened (its tables made) on first use and kept."""
    with _LOG_GUARD:
        log: AccessLog | None = getattr(app.state, "access_log", None)
        if log is None:
            settings: ServerSettings = app.state.settings
            log = AccessLog.open(settings.workspace, url=settings.ledger_url)
            app.state.access_log = log
        return log


def _context() -> _RequestContext:
    context = _REQUEST.get()
    if context is None or context.app is None:
        raise RuntimeError(
            "record_access was called outside a request of an app made by create_app"
            " (install_access_log puts the request's context in place)"
        )
    return context


def record_access(
    user: Principal,
    what: str,
    subject: Mapping[str, str | int | None],
    *,
    outcome: str = "allowed",
    status: int = 200,
) -> AccessRecord:
    """Record that ``user`` read ``what`` about ``subject`` in this request; the record is
    committed when this returns (raises :class:`LedgerError` when it cannot be).

    ``subject`` names what was read: ``batch_id``, ``row_number``, and every TIN under
    ``tin`` or a key ending in ``_tin`` (stored as a keyed hash, never in clear); other
    values are short text or whole numbers. ``outcome`` is ``allowed`` (shown) or
    ``denied`` (nothing shown; ``status`` says why)."""
    context = _context()
    info = user.user
    return access_log(context.app).append(
        user=AccessUser(
            name=info.name,
            role=info.role.value,
            user_id=info.user_id,
            agency=info.agency_code,
        ),
        what=what,
        subject=subject,
        outcome=outcome,
        status=status,
        route=context.route,
        client=context.client,
    )


@contextlib.contextmanager
def recorded_read(
    user: Principal, what: str, subject: Mapping[str, str | int | None] | None = None
) -> Iterator[AccessSubject]:
    """Run a read and record it: ``allowed`` when the block ends, ``denied`` (with the
    error's status) when it raises a :class:`MatchgateError`. The block may add to the
    subject it is given (a TIN learnt from the row, the batch a look-up made)."""
    recorded: AccessSubject = dict(subject or {})
    try:
        yield recorded
    except MatchgateError as exc:
        try:
            record_access(user, what, recorded, outcome="denied", status=status_code_for(exc))
        except MatchgateError as failure:
            # The refusal stands (nothing was shown); the missing record is logged loudly.
            logger.error("cannot record a denied %s read by %s: %s", what, user.name, failure)
        raise
    record_access(user, what, recorded)


# -- the TINs a row page shows --------------------------------------------------------------

_DECISION_TINS = (
    "SELECT tin, runner_up_tin FROM read_csv(?, header = true, all_varchar = true,"
    " delim = ',', quote = '\"') WHERE CAST(row_number AS BIGINT) = ?"
)
_REQUEST_TIN = "SELECT tin FROM request_rows WHERE row_number = ?"


def row_tins(decisions: Path, database: Path, batch_id: str, row_number: int) -> AccessSubject:
    """The TINs a row's page is about: the best candidate's (``tin``), the runner-up's and
    the one the request gave (``request_tin``, when the batch database can be read now)."""
    found: AccessSubject = {"tin": None, "runner_up_tin": None, "request_tin": None}
    try:
        with duckdb.connect() as con:
            row = sql.fetch_one(
                con, _DECISION_TINS, [str(decisions), row_number], label="access.row_tins"
            )
    except duckdb.Error:
        row = None
    if row is not None:
        found["tin"] = str(row[0] or "") or None
        found["runner_up_tin"] = str(row[1] or "") or None
    lock = batch_lock(batch_id)
    if database.is_file() and lock.acquire(blocking=False):
        try:
            with duckdb.connect(str(database), read_only=True) as con:
                asked = sql.fetch_one(con, _REQUEST_TIN, [row_number], label="access.request_tin")
            found["request_tin"] = str(asked[0] or "") or None if asked else None
        except duckdb.Error:
            pass  # another process holds the batch database; the candidate's TIN is on record
        finally:
            lock.release()
    return found
