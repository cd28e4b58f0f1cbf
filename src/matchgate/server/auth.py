"""The reviewer token: required for every write and for endpoints returning taxpayer data."""

from __future__ import annotations

import secrets

from matchgate.server.errors import MissingTokenError, WrongTokenError
from matchgate.server.settings import ServerSettings

__all__ = ["bearer_token", "check_reviewer_token"]


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer TOKEN`` header, if there is one."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def check_reviewer_token(settings: ServerSettings, presented: str | None) -> None:
    if not presented:
        raise MissingTokenError(
            "this action needs the reviewer token (API: header 'Authorization: Bearer TOKEN';"
            " pages: the token field of the form)"
        )
    expected = settings.reviewer_token.get_secret_value()
    if not secrets.compare_digest(presented.encode(), expected.encode()):
        raise WrongTokenError("the reviewer token is not correct")
