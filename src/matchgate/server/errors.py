"""Errors only the server raises, as part of :mod:`matchgate.errors`'s hierarchy.

    MatchgateError
    ├── NotFoundError          a batch or row the request names does not exist (404)
    ├── MissingTokenError      no valid credential (401; accounts.NotSignedInError)
    ├── WrongTokenError        the user's role may not do this (403; accounts.AccessDeniedError)
    └── ResponseNotFinalError  a response with rows still pending review (409)

``error_handlers`` maps these and every library error to a status code in one table.
"""

from __future__ import annotations

from matchgate.errors import MatchgateError

__all__ = ["MissingTokenError", "NotFoundError", "ResponseNotFinalError", "WrongTokenError"]


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
