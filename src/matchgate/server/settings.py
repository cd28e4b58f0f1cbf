"""Typed server settings, read from arguments or ``MATCHGATE_*`` environment variables.

Who may do what is the account store's business (:mod:`matchgate.accounts`, ``matchgate
user add``): there is no shared token. On a server one database URL, ``ledger_url``
(``--database-url``, ``$MATCHGATE_LEDGER_URL``), holds the ledger and the users and sessions
alike; ``accounts_url`` puts the accounts elsewhere. Without either, each is its SQLite file in
the workspace (``ledger.sqlite``, ``accounts.sqlite``).
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["ServerSettings", "is_loopback"]


def is_loopback(host: str) -> bool:
    """True for an address only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


class ServerSettings(BaseSettings):
    """Where the server finds its data and its users.

        ``ledger_url`` is a SQLAlchemy URL (``postgresql+psycopg://...``); without it the ledger
        is ``WORKSPACE/ledger.sqlite``. ``ledger_key`` (``$MATCHGATE_LEDGER_KEY``) is the private
        signing key; without it, the per-user key of the ledger. A key inside the workspace is
        refused. ``accounts_url`` (``$MATCHGATE_ACCOUNTS_URL``) is the account store's database;
    without it, ``ledger_url``'s (see :attr:`store_url`).
        ``host`` is where the server listens; off loopback the session cookie is ``Secure``.

        Limits (each ``MATCHGATE_<NAME>``): ``max_upload_bytes`` for an upload (multipart) and
        ``max_body_bytes`` for any other body, checked before the body is read;
        ``rate_limit_requests`` per ``rate_limit_window_seconds`` per client address and per
        token id (0: no rate limit); ``auth_max_failures`` refused credentials (API tokens,
        sign-ins) from one address, or for one token id, within ``auth_failure_window_seconds``
        lock it out for ``auth_lockout_seconds`` (0: never).
    """

    model_config = SettingsConfigDict(env_prefix="MATCHGATE_", extra="ignore")

    workspace: Path
    master: Path
    policy: Path | None = None
    ledger_url: str | None = None
    ledger_key: Path | None = None
    accounts_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    max_upload_bytes: int = Field(default=100 * 1024 * 1024, ge=1)
    max_body_bytes: int = Field(default=64 * 1024, ge=1)
    rate_limit_requests: int = Field(default=600, ge=0)
    rate_limit_window_seconds: float = Field(default=60.0, gt=0)
    auth_max_failures: int = Field(default=10, ge=0)
    auth_failure_window_seconds: float = Field(default=60.0, gt=0)
    auth_lockout_seconds: float = Field(default=900.0, gt=0)

    @property
    def store_url(self) -> str | None:
        """The account store's database: ``accounts_url``, else the ledger's database, else
        None (``WORKSPACE/accounts.sqlite``)."""
        return self.accounts_url or self.ledger_url
