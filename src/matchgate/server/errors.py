"""Errors only the server raises, as part of :mod:`matchgate.errors`'s hierarchy.

    MatchgateError
    ├── NotFoundError          a batch or row the request names does not exist (404)
    ├── MissingTokenError      no valid credential (401; accounts.NotSignedInError)
    ├── WrongTokenError        the user's role may not do this (403; accounts.AccessDeniedError)
    ├── ResponseNotFinalError  a response with rows still pending review (409)
    ├── NoLedgerYetError       a read of the ledger before any batch created it (409)
    ├── PayloadTooLargeError   a body over the server's upload limit (413)
    ├── UnsupportedMediaTypeError  a body of another content type than the route takes (415)
    └── TooManyRequestsError   over the rate limit, or locked out after refused credentials (429)

``error_handlers`` maps these and every library error to a status code in one table.
"""

from __future__ import annotations

from matchgate.errors import MatchgateError

__all__ = [
    "MissingTokenError",
    "NoLedgerYetError",
    "NotFoundError",
    "PayloadTooLargeError",
    "ResponseNotFinalError",
    "TooManyRequestsError",
    "UnsupportedMediaTypeError",
    "WrongTokenError",
]


class NotFoundError(MatchgateError):
    """A batch or row the request names does not exist in the workspace."""


class MissingTokenError(MatchgateError):
    """The request carries no valid credential (none, unknown, expired or revoked)."""


class WrongTokenError(MatchgateError):
    """The authenticated user may not do this (its role, or a CSRF token that is not the
    session's)."""


class ResponseNotFinalError(MatchgateError):
    """The batch's response still has rows waiting for a person's review: it is not final and
    is not released to the requester."""


class NoLedgerYetError(MatchgateError):
    """The workspace has no ledger yet: no batch has been recorded in it."""


class PayloadTooLargeError(MatchgateError):
    """The request body is larger than the server accepts (said or counted)."""


class UnsupportedMediaTypeError(MatchgateError):
    """The request body's content type is not the one the route takes."""


class TooManyRequestsError(MatchgateError):
    """Too many requests from one client or token, or a lock-out after refused credentials."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
