"""Typed server settings, read from arguments or ``MATCHGATE_*`` environment variables.

Who may do what is the account store's business (:mod:`matchgate.accounts`, ``matchgate
user add``): there is no shared token. ``accounts_url`` puts the store in a database (a
SQLAlchemy URL, PostgreSQL on a server); without it the store is ``WORKSPACE/accounts.sqlite``.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

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
    refused. ``accounts_url`` (``$MATCHGATE_ACCOUNTS_URL``) is the account store's database.
    ``host`` is where the server listens; off loopback the session cookie is ``Secure``.
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
