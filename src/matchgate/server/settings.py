"""Typed server settings, read from arguments or ``MATCHGATE_*`` environment variables.

The reviewer token guards every write (batch upload, review action) and the endpoints that
return taxpayer data. The documented default exists only so a developer can start the
server on their own machine; on any other interface the server refuses to start with it.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["DEFAULT_REVIEWER_TOKEN", "ServerSettings", "is_loopback"]

DEFAULT_REVIEWER_TOKEN = "changethis"


def is_loopback(host: str) -> bool:
    """True for an address only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


class ServerSettings(BaseSettings):
    """Where the server finds its data, and who may write.

    ``ledger_url`` is a SQLAlchemy URL (``postgresql+psycopg://...``); without it the ledger
    is ``WORKSPACE/ledger.sqlite``. ``ledger_key`` (``$MATCHGATE_LEDGER_KEY``) is the private
    signing key; without it, the per-user key of the ledger. A key inside the workspace is
    refused. ``host`` is where the server listens; it decides whether
    the default token is acceptable.

    Limits (each ``MATCHGATE_<NAME>``): ``max_upload_bytes`` for an upload (multipart) and
    ``max_body_bytes`` for any other body, checked before the body is read;
    ``rate_limit_requests`` per ``rate_limit_window_seconds`` per client address and per
    token (0: no rate limit); ``auth_max_failures`` refused tokens from one address within
    ``auth_failure_window_seconds`` lock it out for ``auth_lockout_seconds`` (0: never).
    """

    model_config = SettingsConfigDict(env_prefix="MATCHGATE_", extra="ignore")

    workspace: Path
    master: Path
    policy: Path | None = None
    ledger_url: str | None = None
    ledger_key: Path | None = None
    reviewer_token: SecretStr = SecretStr(DEFAULT_REVIEWER_TOKEN)
    host: str = "127.0.0.1"
    port: int = 8000
    max_upload_bytes: int = Field(default=100 * 1024 * 1024, ge=1)
    max_body_bytes: int = Field(default=64 * 1024, ge=1)
    rate_limit_requests: int = Field(default=600, ge=0)
    rate_limit_window_seconds: float = Field(default=60.0, gt=0)
    auth_max_failures: int = Field(default=10, ge=0)
    auth_failure_window_seconds: float = Field(default=60.0, gt=0)
    auth_lockout_seconds: float = Field(default=900.0, gt=0)

    @model_validator(mode="after")
    def _refuse_default_token_off_loopback(self) -> ServerSettings:
        token = self.reviewer_token.get_secret_value()
        if not token.strip():
            raise ValueError("MATCHGATE_REVIEWER_TOKEN is empty; set a long random token")
        if token == DEFAULT_REVIEWER_TOKEN and not is_loopback(self.host):
            raise ValueError(
                f"refusing to listen on {self.host} with the default reviewer token"
                f" {DEFAULT_REVIEWER_TOKEN!r}: set MATCHGATE_REVIEWER_TOKEN to a long random"
                " token (for example: python -c 'import secrets; print(secrets.token_urlsafe())')"
            )
        return self

    @property
    def uses_default_token(self) -> bool:
        return self.reviewer_token.get_secret_value() == DEFAULT_REVIEWER_TOKEN
