"""What the OpenAPI schema says a route can answer besides its success.

Each route lists its error statuses with :func:`error_responses`; 429 (rate limit or
lock-out) and 500 (a bug, answered with a fixed sentence) can come from any route and are
always added. Every error body is :class:`ErrorPublic`.
"""

from __future__ import annotations

from typing import Any

from matchgate.server.schemas import ErrorPublic

__all__ = ["ERROR_DESCRIPTIONS", "error_responses"]

ERROR_DESCRIPTIONS: dict[int, str] = {
    401: "No valid credential: no bearer token (or session cookie on reads), or one that is"
    " unknown, expired or revoked.",
    403: "The signed-in user's role may not do this (or a requester's letter is another agency's).",
    404: "The batch or row named does not exist in the workspace, or is another agency's.",
    409: "The workspace or the ledger cannot serve the request (or the response is not final).",
    413: "The body is larger than the server accepts (checked before it is read).",
    415: "The body's content type is not the one this route takes.",
    422: "A field of the request is invalid; the message names it.",
    429: "Too many requests, or locked out after refused credentials; see Retry-After.",
    500: "A bug; the server log has the details.",
}

_ALWAYS = (429, 500)


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of a route answering ``codes`` (and 429 and 500) on error."""
    responses: dict[int | str, dict[str, Any]] = {}
    for code in sorted({*codes, *_ALWAYS}):
        entry: dict[str, Any] = {"model": ErrorPublic, "description": ERROR_DESCRIPTIONS[code]}
        if code == 429:
            entry["headers"] = {
                "Retry-After": {
                    "description": "Seconds to wait before trying again.",
                    "schema": {"type": "integer"},
                }
            }
        if code == 401:
            entry["headers"] = {
                "WWW-Authenticate": {"description": "Bearer", "schema": {"type": "string"}}
            }
        responses[code] = entry
    return responses
