"""The one place errors become HTTP status codes.

API paths answer ``{"error": <kind>, "message": <sentence naming file, row, field>}``;
pages answer the error page. That holds for every status: the framework's own 404, 405 and
validation errors included. A body never holds a traceback, a server path or a database
engine's message: unexpected exceptions, and errors about the server's own files (workspace,
ledger, model, master file), are logged with their details and answered with a fixed
sentence of their kind.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from matchgate.batch.review_decisions import ReviewStateError
from matchgate.errors import (
    InputError,
    LedgerError,
    LedgerIntegrityError,
    MasterFileError,
    MatchgateError,
    ModelError,
    WorkspaceError,
)
from matchgate.server.errors import (
    MissingTokenError,
    NoLedgerYetError,
    NotFoundError,
    PayloadTooLargeError,
    ResponseNotFinalError,
    TooManyRequestsError,
    UnsupportedMediaTypeError,
    WrongTokenError,
)
from matchgate.server.security_headers import SECURITY_HEADERS

__all__ = [
    "STATUS_CODES",
    "error_response",
    "install_error_handlers",
    "public_message",
    "status_code_for",
]

logger = logging.getLogger("matchgate.server")

# Most specific first. LedgerError (cannot open or write the ledger) falls to the last line.
STATUS_CODES: tuple[tuple[type[MatchgateError], int], ...] = (
    (MissingTokenError, 401),
    (WrongTokenError, 403),
    (NotFoundError, 404),
    (ResponseNotFinalError, 409),
    (ReviewStateError, 409),
    (NoLedgerYetError, 409),
    (PayloadTooLargeError, 413),
    (UnsupportedMediaTypeError, 415),
    (TooManyRequestsError, 429),
    (LedgerIntegrityError, 409),
    (WorkspaceError, 409),
    (InputError, 422),
    (ModelError, 500),
    (MatchgateError, 500),
)

_UNEXPECTED = "internal error: the server log has the details (please report it)"

# Errors about the server's own files: their text names server paths and carries database
# engines' messages, which are the operator's business (the log), not the client's.
_SERVER_STATE: tuple[tuple[type[MatchgateError], str], ...] = (
    (
        LedgerIntegrityError,
        "the ledger does not verify; the server log has the details (GET /api/ledger/verify)",
    ),
    (LedgerError, "the ledger cannot be used right now; the server log has the details"),
    (WorkspaceError, "the workspace cannot serve this request; the server log has the details"),
    (ModelError, "the match model cannot be used; the server log has the details"),
    (MasterFileError, "the master file cannot be used; the server log has the details"),
)

_HTTP_KINDS = {404: "NotFoundError", 405: "MethodNotAllowedError"}
_HTTP_MESSAGES = {
    404: "there is nothing at this address",
    405: "this address does not take this method",
}


def public_message(error: MatchgateError) -> str | None:
    """What a client may read of the error, or None when only the log may have its text."""
    for kind, sentence in _SERVER_STATE:
        if isinstance(error, kind):
            return sentence
    if status_code_for(error) >= 500:
        return None
    return str(error)


def status_code_for(error: MatchgateError) -> int:
    for kind, code in STATUS_CODES:
        if isinstance(error, kind):
            return code
    return 500


_JSON_PATHS = frozenset({"/healthz", "/openapi.json"})


def _wants_json(request: Request) -> bool:
    path = request.url.path
    return path.startswith("/api/") or path in _JSON_PATHS


def error_response(
    request: Request,
    templates: Jinja2Templates | None,
    *,
    status: int,
    kind: str,
    message: str,
    headers: dict[str, str] | None = None,
) -> Response:
    """The error as JSON (API) or the error page (pages); also used by the middleware."""
    headers = dict(headers or {})
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if _wants_json(request) or templates is None:
        return JSONResponse(
            {"error": kind, "message": message}, status_code=status, headers=headers
        )
    return templates.TemplateResponse(
        request,
        "error.html",
        {"status": status, "kind": kind, "message": message},
        status_code=status,
        headers=headers,
    )


def _field_location(location: tuple[int | str, ...] | list[int | str]) -> str:
    parts = [str(part) for part in location]
    if parts and parts[0] in {"body", "query", "path", "header"}:
        return f"{parts[0]} field '{'.'.join(parts[1:])}'" if parts[1:] else parts[0]
    return f"field '{'.'.join(parts)}'"


def install_error_handlers(app: FastAPI, templates: Jinja2Templates) -> None:
    async def matchgate_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, MatchgateError)
        status = status_code_for(exc)
        if status >= 500:
            logger.error("%s on %s %s", exc, request.method, request.url.path, exc_info=exc)
        message = public_message(exc)
        if status < 500 and message != str(exc):
            logger.warning("%s on %s %s", exc, request.method, request.url.path)
        headers = (
            {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyRequestsError) else None
        )
        return error_response(
            request,
            templates,
            status=status,
            kind=type(exc).__name__,
            message=message or _UNEXPECTED,
            headers=headers,
        )

    async def validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        problems = [
            f"{_field_location(error.get('loc', ()))}: {error.get('msg', 'invalid')}"
            for error in exc.errors()
        ]
        return error_response(
            request, templates, status=422, kind="InputError", message="; ".join(problems)
        )

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        status = exc.status_code
        if status == 400:
            # The framework could not parse the body (not UTF-8, a broken multipart, ...):
            # like every other unusable input, a 422 naming the body.
            return error_response(
                request,
                templates,
                status=422,
                kind="InputError",
                message="body: cannot be parsed as the content type it declares",
            )
        return error_response(
            request,
            templates,
            status=status,
            kind=_HTTP_KINDS.get(status, "HTTPError"),
            message=_HTTP_MESSAGES.get(status, "the request cannot be answered"),
            headers=dict(exc.headers or {}),
        )

    async def unexpected_error(request: Request, exc: Exception) -> Response:
        logger.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
        # This handler answers outside the middleware, so it sets the headers itself.
        if _wants_json(request):
            return JSONResponse(
                {"error": "InternalError", "message": _UNEXPECTED},
                500,
                headers=SECURITY_HEADERS,
            )
        return HTMLResponse(
            f"<h1>500</h1><p>{_UNEXPECTED}</p>", status_code=500, headers=SECURITY_HEADERS
        )

    app.add_exception_handler(MatchgateError, matchgate_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected_error)
