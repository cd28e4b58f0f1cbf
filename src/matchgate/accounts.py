"""The people who may use the server: users, their roles, API tokens and web sessions.

Tables of the one SQLAlchemy model (:mod:`matchgate.store.schema`), made and changed by its
migrations; on SQLite by default (``WORKSPACE/accounts.sqlite``) or in the database a
SQLAlchemy URL names (on a server: the ledger's PostgreSQL database). Tables:

  account_users     a person: unique name, role, agency code (requesters only), revoked
  account_tokens    API tokens: ``mg_<token_id>_<secret>``; only an argon2 hash of the
                    secret is kept, looked up by ``token_id``, verified by the hash
  account_sessions  web sign-ins: the SHA-256 of the cookie's random value, the session's
                    CSRF token, expiry and sign-out
  account_events    who added or revoked whom, when (the store's own audit trail)

Roles: ``requester`` (an agency's officer, bound to one agency code of the workspace's
registry), ``reviewer``, ``supervisor`` (a reviewer who may confirm), ``auditor``
(read-only), ``admin`` (users and the agency registry).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import create_engine, event, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session

from matchgate.errors import InputError, WorkspaceError
from matchgate.store import schema as store_schema
from matchgate.store.migrate import (
    as_workspace_error,
    describe,
    ensure_current,
    workspace_sqlite_url,
)

__all__ = [
    "ACCOUNTS_FILE",
    "AccountEvent",
    "AccountStore",
    "IssuedToken",
    "Role",
    "SignedIn",
    "UserInfo",
]

ACCOUNTS_FILE = "accounts.sqlite"
TOKEN_PREFIX = "mg"
SESSION_HOURS = 8
VERIFIED_SECONDS = 300.0
_VERIFIED_MAX = 10_000
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._@'-]{0,63}$")
_TOKEN = re.compile(r"^mg_([0-9a-f]{16})_([A-Za-z0-9_-]{20,128})$")


class Role(StrEnum):
    REQUESTER = "requester"
    REVIEWER = "reviewer"
    SUPERVISOR = "supervisor"
    AUDITOR = "auditor"
    ADMIN = "admin"


class _Base(DeclarativeBase):
    # The tables are declared once, with every other store's, in matchgate.store.schema.
    metadata = store_schema.metadata


class _User(_Base):
    __table__ = store_schema.account_users

    user_id: Mapped[int]
    name: Mapped[str]
    role: Mapped[str]
    agency_code: Mapped[str | None]
    created_at: Mapped[datetime]
    created_by: Mapped[str]
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[str | None]


class _Token(_Base):
    __table__ = store_schema.account_tokens

    token_id: Mapped[str]
    user_id: Mapped[int]
    secret_hash: Mapped[str]
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class _Session(_Base):
    __table__ = store_schema.account_sessions

    session_sha256: Mapped[str]
    user_id: Mapped[int]
    token_id: Mapped[str]
    csrf_token: Mapped[str]
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class _Event(_Base):
    __table__ = store_schema.account_events

    event_id: Mapped[int]
    at: Mapped[datetime]
    actor: Mapped[str]
    action: Mapped[str]
    user_name: Mapped[str]
    detail: Mapped[str]


@dataclass(frozen=True, slots=True)
class UserInfo:
    """A user as the server and ``matchgate user list`` see one (never a secret)."""

    name: str
    role: Role
    agency_code: str | None
    created_at: datetime
    created_by: str
    revoked_at: datetime | None = None
    token_expires_at: datetime | None = None
    user_id: int | None = None  # the store's number for the user (the access log names it)

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A new token: ``token`` is shown once and stored nowhere."""

    user: UserInfo
    token_id: str
    token: str
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A web session: the cookie's value (shown once) and the form's CSRF token."""

    user: UserInfo
    cookie: str
    csrf_token: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class AccountEvent:
    at: datetime
    actor: str
    action: str
    user_name: str
    detail: str


def _now() -> datetime:
    return datetime.now(UTC)


def _utc(moment: datetime | None) -> datetime | None:
    """SQLite hands datetimes back without a zone; every stored moment is UTC."""
    if moment is None:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _info(user: _User, token_expires_at: datetime | None = None) -> UserInfo:
    return UserInfo(
        name=user.name,
        role=Role(user.role),
        agency_code=user.agency_code,
        created_at=_utc(user.created_at) or user.created_at,
        created_by=user.created_by,
        revoked_at=_utc(user.revoked_at),
        token_expires_at=token_expires_at,
        user_id=user.user_id,
    )


def parse_token(token: str) -> tuple[str, str] | None:
    """``(token_id, secret)`` of a well-formed token, else None."""
    match = _TOKEN.match(token.strip())
    return (match.group(1), match.group(2)) if match else None


class AccountStore:
    """The accounts of one workspace (or of the database ``url`` names)."""

    def __init__(
        self,
        url: str,
        *,
        clock: Callable[[], datetime] = _now,
        hasher: PasswordHasher | None = None,
    ) -> None:
        self.url = url
        self._clock = clock
        self._hasher = hasher or PasswordHasher()
        # token_id -> (SHA-256 of the secret, monotonic time of the argon2 check): a token
        # verified by its argon2 hash in the last VERIFIED_SECONDS is checked by SHA-256 only
        # (argon2 takes ~0.1-0.7 s and 64 MiB per check). Revocation and expiry are read from
        # the database on every call all the same; the secret itself is never kept.
        self._verified: dict[str, tuple[str, float]] = {}
        self._verified_lock = threading.Lock()
        self._engine = create_engine(url)
        if self._engine.dialect.name == "sqlite":
            event.listen(self._engine, "connect", _sqlite_pragmas)

    @classmethod
    def open(
        cls,
        workspace: Path,
        *,
        url: str | None = None,
        clock: Callable[[], datetime] = _now,
        hasher: PasswordHasher | None = None,
    ) -> AccountStore:
        """The store at ``url``, or ``WORKSPACE/accounts.sqlite``; tables made on first use."""
        if url is None:
            url = workspace_sqlite_url(workspace, ACCOUNTS_FILE)
        store = cls(url, clock=clock, hasher=hasher)
        try:
            store._check_schema()
        except BaseException:
            store.close()
            raise
        return store

    def _check_schema(self) -> None:
        """Tables made at the migrations' head on first use; a database whose tables are
        behind it is refused (:class:`~matchgate.store.StoreVersionError`: run ``matchgate
        db upgrade``)."""
        with as_workspace_error("cannot open the account store", path=describe(self.url)):
            ensure_current(
                self._engine.url, store_schema.ACCOUNTS, create=True, engine=self._engine
            )

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> AccountStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _session(self) -> Iterator[Session]:
        try:
            with Session(self._engine) as session, session.begin():
                yield session
        except IntegrityError:
            raise
        except SQLAlchemyError as exc:
            raise WorkspaceError(f"the account store failed: {type(exc).__name__}") from exc

    def _event(self, session: Session, actor: str, action: str, name: str, detail: str) -> None:
        session.add(
            _Event(at=self._clock(), actor=actor, action=action, user_name=name, detail=detail)
        )

    # -- the office's acts ----------------------------------------------------------------

    def add_user(
        self,
        name: str,
        *,
        role: str,
        agency_code: str | None = None,
        expires_days: int | None = None,
        actor: str,
        known_agencies: set[str] | None = None,
    ) -> IssuedToken:
        """A new user and its first token. A requester names one agency code (checked
        against ``known_agencies``, the registry's codes); no other role has one."""
        name = " ".join(name.split())
        if not _NAME.match(name):
            raise InputError(
                "a user name is 1-64 letters, digits, spaces or ._@'- and starts with a"
                f" letter or digit (got {name!r})",
                field="name",
            )
        try:
            chosen = Role(role.strip().lower())
        except ValueError:
            allowed = ", ".join(r.value for r in Role)
            raise InputError(f"unknown role {role!r} (allowed: {allowed})", field="role") from None
        code = agency_code.strip().upper() if agency_code and agency_code.strip() else None
        if chosen is Role.REQUESTER and code is None:
            raise InputError(
                "a requester is bound to one agency: give --agency CODE", field="agency"
            )
        if chosen is not Role.REQUESTER and code is not None:
            raise InputError(
                f"only a requester has an agency (a {chosen.value} sees every agency's batches"
                " its role allows)",
                field="agency",
            )
        if code is not None and known_agencies is not None and code not in known_agencies:
            raise InputError(
                f"no agency {code!r} in the workspace's registry (matchgate agency list)",
                field="agency",
            )
        if not actor.strip():
            raise InputError("every change to the accounts names who made it", field="actor")
        if expires_days is not None and expires_days < 1:
            raise InputError("--expires is a number of days, at least 1", field="expires")
        try:
            with self._session() as session:
                user = _User(
                    name=name,
                    role=chosen.value,
                    agency_code=code,
                    created_at=self._clock(),
                    created_by=actor.strip(),
                )
                session.add(user)
                session.flush()
                issued = self._issue(session, user, expires_days)
                self._event(
                    session,
                    actor.strip(),
                    "user_added",
                    name,
                    f"role={chosen.value} agency={code or '-'} token={issued.token_id}",
                )
        except IntegrityError:
            raise InputError(f"a user named {name!r} exists already", field="name") from None
        return issued

    def issue_token(self, name: str, *, expires_days: int | None, actor: str) -> IssuedToken:
        """Another token for an active user (the earlier ones stay valid until revoked)."""
        with self._session() as session:
            user = self._active_user(session, name)
            issued = self._issue(session, user, expires_days)
            self._event(session, actor, "token_issued", user.name, f"token={issued.token_id}")
        return issued

    def _issue(self, session: Session, user: _User, expires_days: int | None) -> IssuedToken:
        token_id = secrets.token_hex(8)
        secret = secrets.token_urlsafe(32)
        now = self._clock()
        expires = now + timedelta(days=expires_days) if expires_days else None
        session.add(
            _Token(
                token_id=token_id,
                user_id=user.user_id,
                secret_hash=self._hasher.hash(secret),
                created_at=now,
                expires_at=expires,
            )
        )
        return IssuedToken(
            user=_info(user, expires),
            token_id=token_id,
            token=f"{TOKEN_PREFIX}_{token_id}_{secret}",
            expires_at=expires,
        )

    def revoke_user(self, name: str, *, actor: str) -> UserInfo:
        """The user, every token and every session of it stop working at once."""
        if not actor.strip():
            raise InputError("every change to the accounts names who made it", field="actor")
        with self._session() as session:
            user = self._active_user(session, name)
            now = self._clock()
            user.revoked_at = now
            user.revoked_by = actor.strip()
            for token in session.scalars(select(_Token).where(_Token.user_id == user.user_id)):
                token.revoked_at = token.revoked_at or now
            for web in session.scalars(select(_Session).where(_Session.user_id == user.user_id)):
                web.ended_at = web.ended_at or now
            self._event(session, actor.strip(), "user_revoked", user.name, "")
            return _info(user)

    def _active_user(self, session: Session, name: str) -> _User:
        user = session.scalars(select(_User).where(_User.name == " ".join(name.split()))).first()
        if user is None:
            raise InputError(f"no user named {name!r}", field="name")
        if user.revoked_at is not None:
            raise InputError(f"user {name!r} was revoked on {_utc(user.revoked_at)}", field="name")
        return user

    # -- reading --------------------------------------------------------------------------

    def users(self) -> list[UserInfo]:
        with self._session() as session:
            rows = session.scalars(select(_User).order_by(_User.name)).all()
            result = []
            for user in rows:
                expiries = [
                    _utc(t.expires_at)
                    for t in session.scalars(
                        select(_Token).where(
                            _Token.user_id == user.user_id, _Token.revoked_at.is_(None)
                        )
                    )
                ]
                latest = None if None in expiries or not expiries else max(e for e in expiries if e)
                result.append(_info(user, latest))
            return result

    def events(self) -> list[AccountEvent]:
        with self._session() as session:
            rows = session.scalars(select(_Event).order_by(_Event.event_id)).all()
            return [
                AccountEvent(_utc(r.at) or r.at, r.actor, r.action, r.user_name, r.detail)
                for r in rows
            ]

    def count_active(self) -> int:
        return sum(1 for user in self.users() if user.active)

    # -- authentication -------------------------------------------------------------------

    def authenticate(self, token: str, *, name: str | None = None) -> tuple[UserInfo, str] | None:
        """The user and token id a presented token belongs to; None when the token is
        malformed, unknown, wrong, expired or revoked (or, with ``name``, someone else's)."""
        parsed = parse_token(token)
        if parsed is None:
            return None
        token_id, secret = parsed
        with self._session() as session:
            row = session.get(_Token, token_id)
            if row is None:
                return None
            user = session.get(_User, row.user_id)
            stored_hash = row.secret_hash
            expires = _utc(row.expires_at)
            usable = (
                user is not None
                and user.revoked_at is None
                and row.revoked_at is None
                and (expires is None or expires > self._clock())
                and (name is None or user.name == " ".join(name.split()))
            )
            info = _info(user, expires) if user is not None else None
        if not self._secret_matches(token_id, secret, stored_hash):
            return None
        if not usable or info is None:
            return None
        return info, token_id

    def _secret_matches(self, token_id: str, secret: str, stored_hash: str) -> bool:
        digest = _sha256(secret)
        now = time.monotonic()
        with self._verified_lock:
            seen = self._verified.get(token_id)
        if seen is not None and now - seen[1] < VERIFIED_SECONDS:
            return secrets.compare_digest(seen[0], digest)
        try:
            self._hasher.verify(stored_hash, secret)
        except (VerificationError, InvalidHashError):
            return False
        with self._verified_lock:
            if len(self._verified) >= _VERIFIED_MAX:
                self._verified.clear()
            self._verified[token_id] = (digest, now)
        return True

    def start_session(self, user: UserInfo, token_id: str) -> SignedIn:
        """A web session for a user who just signed in with ``token_id``; it ends after
        :data:`SESSION_HOURS` or when the token expires, whichever is first."""
        cookie = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        now = self._clock()
        with self._session() as session:
            row = session.get(_Token, token_id)
            stored = session.scalars(select(_User).where(_User.name == user.name)).one()
            expires = now + timedelta(hours=SESSION_HOURS)
            token_expiry = _utc(row.expires_at) if row is not None else None
            if token_expiry is not None:
                expires = min(expires, token_expiry)
            session.add(
                _Session(
                    session_sha256=_sha256(cookie),
                    user_id=stored.user_id,
                    token_id=token_id,
                    csrf_token=csrf,
                    created_at=now,
                    expires_at=expires,
                )
            )
        return SignedIn(user=user, cookie=cookie, csrf_token=csrf, expires_at=expires)

    def session_user(self, cookie: str) -> tuple[UserInfo, str] | None:
        """The user and CSRF token of a live session cookie, else None."""
        if not cookie or len(cookie) > 128:
            return None
        with self._session() as session:
            web = session.get(_Session, _sha256(cookie))
            if web is None or web.ended_at is not None:
                return None
            if (_utc(web.expires_at) or self._clock()) <= self._clock():
                return None
            token = session.get(_Token, web.token_id)
            user = session.get(_User, web.user_id)
            if user is None or user.revoked_at is not None:
                return None
            if token is None or token.revoked_at is not None:
                return None
            return _info(user, _utc(token.expires_at)), web.csrf_token

    def end_session(self, cookie: str) -> None:
        with self._session() as session:
            web = session.get(_Session, _sha256(cookie))
            if web is not None and web.ended_at is None:
                web.ended_at = self._clock()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout = 10000")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()
