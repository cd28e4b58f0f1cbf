"""The one place errors become HTTP status codes.

API paths answer ``{"error": <kind>, "message": <sentence naming file, row, field>}``;
pages answer the error page. A body never holds a traceback: unexpected exceptions are
logged with their traceback and answered with a fixed sentence.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.templating import Jinja2Templates

from matchgate.errors import (
    InputError,
    LedgerIntegrityError,
    MatchgateError,
    ModelError,
    WorkspaceError,
)
from matchgate.server.errors import (
    MissingTokenError,
    NotFoundError,
    ResponseNotFinalError,
    WrongTokenError,
)

__all__ = ["STATUS_CODES", "install_error_handlers", "status_code_for"]

logger = logging.getLogger("matchgate.server")

# Most specific first. LedgerError (cannot open or write the ledger) falls to the last line.
STATUS_CODES: tuple[tuple[type[MatchgateError], int], ...] = (
    (MissingTokenError, 401),
    (WrongTokenError, 403),
    (NotFoundError, 404),
    (ResponseNotFinalError, 409),
    (LedgerIntegrityError, 409),
    (WorkspaceError, 409),
    (InputError, 422),
    (ModelError, 500),
    (MatchgateError, 500),
)

_UNEXPECTED = "internal error: the server log has the details (please report it)"


def status_code_for(error: MatchgateError) -> int:
    for kind, code in STATUS_CODES:
        if isinstance(error, kind):
            return code
    return 500


def _wants_json(request: Request) -> bool:
    path = request.url.path
    return path.startswith("/api/") or path == "/healthz"


def _respond(
    request: Request, templates: Jinja2Templates, *, status: int, kind: str, message: str
) -> Response:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if _wants_json(request):
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
        return _respond(
            request, templates, status=status, kind=type(exc).__name__, message=str(exc)
        )

    async def validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        problems = [
            f"{_field_location(error.get('loc', ()))}: {error.get('msg', 'invalid')}"
            for error in exc.errors()
        ]
        return _respond(
            request, templates, status=422, kind="InputError", message="; ".join(problems)
        )

    async def unexpected_error(request: Request, exc: Exception) -> Response:
        logger.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
        if _wants_json(request):
            return JSONResponse({"error": "InternalError", "message": _UNEXPECTED}, 500)
        return HTMLResponse(f"<h1>500</h1><p>{_UNEXPECTED}</p>", status_code=500)

    app.add_exception_handler(MatchgateError, matchgate_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(Exception, unexpected_error)
