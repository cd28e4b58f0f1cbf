"""Errors only the server raises, as part of :mod:`matchgate.errors`'s hierarchy.

    MatchgateError
    ├── NotFoundError          a batch or row the request names does not exist (404)
    ├── MissingTokenError      a write without the reviewer token (401)
    ├── WrongTokenError        a write with a token that is not the reviewer token (403)
    └── ResponseNotFinalError  a response with rows still pending review (409)

``error_handlers`` maps these and every library error to a status code in one table.
"""

from __future__ import annotations

from matchgate.errors import MatchgateError

__all__ = ["MissingTokenError", "NotFoundError", "ResponseNotFinalError", "WrongTokenError"]


class NotFoundError(MatchgateError):
    """A batch or row the request names does not exist in the workspace."""


class MissingTokenError(MatchgateError):
    """The action needs the reviewer token and none was given."""


class WrongTokenError(MatchgateError):
    """The token given is not the reviewer token."""


class ResponseNotFinalError(MatchgateError):
    """The batch's response still has rows waiting for a person's review: it is not final and
    is not released to the requester."""
