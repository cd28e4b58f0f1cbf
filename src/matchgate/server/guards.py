"""What every request passes before a route reads its body (a pure ASGI middleware).

In this order, each answering in the usual ``{"error","message"}`` form (or the error page):

1. **Rate and lock-out** (:mod:`matchgate.server.limits`): the client's address, and the
   id of the API token in ``Authorization: Bearer`` if one is sent, must be within their
   rate and not locked out (429 with ``Retry-After``).
2. **A credential**: a POST, PUT or PATCH to any route but ``/sign-in`` that carries neither
   an ``Authorization`` header nor the session cookie cannot be authenticated, so it is
   refused before its body is read: 401 on the API, a redirect to ``/sign-in`` (303) for the
   pages' forms, as the route itself would answer. (A credential that is sent is checked by
   the route, :mod:`matchgate.server.deps`.)
3. **Content type**: a POST, PUT or PATCH with a body must send the body the route takes,
   read from the route itself (``multipart/form-data`` for uploads,
   ``application/x-www-form-urlencoded`` or multipart for the pages' forms,
   ``application/json`` for JSON bodies); anything else is 415 before a byte of the body
   is read. An empty POST (no content type, no length or 0) is let through to the route.
4. **Size**: a ``Content-Length`` above the limit is 413 before the body is read; a body
   without one (chunked) is counted as it arrives and cut off at the limit with 413: the
   route sees the client as gone and whatever it answers is dropped.

Uploads (multipart) have ``max_upload_bytes``; every other body ``max_body_bytes``. The
middleware is given the routes it guards; a path none of them matches goes on to the router
(which answers 404 or 405 without reading the body).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fastapi import params
from fastapi.routing import APIRoute, APIRouter
from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from matchgate.server.accounts import SESSION_COOKIE, NotSignedInError, bearer_token
from matchgate.server.error_handlers import error_response, status_code_for
from matchgate.server.errors import (
    MissingTokenError,
    PayloadTooLargeError,
    TooManyRequestsError,
    UnsupportedMediaTypeError,
)
from matchgate.server.limits import Limiter, address_key, token_key

__all__ = ["BodyLimits", "RequestGuardMiddleware", "accepted_media_types", "api_routes"]

MULTIPART = "multipart/form-data"
URLENCODED = "application/x-www-form-urlencoded"
JSON = "application/json"
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
# Routes a caller posts to before having a credential.
_OPEN_POSTS = frozenset({"/sign-in"})


@dataclass(frozen=True, slots=True)
class BodyLimits:
    max_upload_bytes: int
    max_body_bytes: int

    def for_media_type(self, media_type: str) -> int:
        return self.max_upload_bytes if media_type == MULTIPART else self.max_body_bytes


def accepted_media_types(route: APIRoute) -> frozenset[str]:
    """The content types a route's body may have (empty: the route takes no body)."""
    body = route.body_field
    if body is None:
        return frozenset()
    info = body.field_info
    if isinstance(info, params.File):
        return frozenset({MULTIPART})
    if isinstance(info, params.Form):
        return frozenset({URLENCODED, MULTIPART})
    return frozenset({JSON})


def _media_type(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            return value.decode("latin-1").split(";", 1)[0].strip().lower()
    return ""


def _header(scope: Scope, wanted: bytes) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == wanted:
            return str(value.decode("latin-1"))
    return None


def _without_body(scope: Scope, media_type: str) -> bool:
    """No body at all (no content type, and a length of 0 or neither length nor chunks):
    nothing to be of the wrong type, so the route answers (a form whose fields all have
    defaults, such as sign-out's, is posted empty by some clients)."""
    if media_type:
        return False
    length = _header(scope, b"content-length")
    if length is not None:
        return length.strip() == "0"
    return _header(scope, b"transfer-encoding") is None


def _has_credential(scope: Scope) -> bool:
    """An ``Authorization`` header or the session cookie is there (valid or not)."""
    if _header(scope, b"authorization") is not None:
        return True
    cookies = _header(scope, b"cookie") or ""
    return any(
        part.strip().partition("=")[0] == SESSION_COOKIE and part.partition("=")[2].strip()
        for part in cookies.split(";")
    )


def api_routes(*routers: APIRouter) -> tuple[APIRoute, ...]:
    """The routes of these routers (included without a prefix of their own)."""
    return tuple(
        route for router in routers for route in router.routes if isinstance(route, APIRoute)
    )


class RequestGuardMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        limiter: Limiter,
        limits: BodyLimits,
        routes: Sequence[APIRoute],
    ) -> None:
        self.app = app
        self.limiter = limiter
        self.limits = limits
        self.routes = tuple(routes)

    def _route_for(self, scope: Scope) -> APIRoute | None:
        for route in self.routes:
            if route.matches(scope)[0] is Match.FULL:
                return route
        return None

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, error: Exception) -> None:
        assert isinstance(
            error,
            PayloadTooLargeError
            | UnsupportedMediaTypeError
            | TooManyRequestsError
            | MissingTokenError,
        )
        app = scope.get("app")
        templates = getattr(getattr(app, "state", None), "templates", None)
        headers = (
            {"Retry-After": str(error.retry_after)}
            if isinstance(error, TooManyRequestsError)
            else {"Connection": "close"}
        )
        response = error_response(
            Request(scope),
            templates,
            status=status_code_for(error),
            kind=type(error).__name__,
            message=str(error),
            headers=headers,
        )
        await response(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            client = scope.get("client")
            self.limiter.check(address_key(client[0] if client else None))
            token = bearer_token(_header(scope, b"authorization"))
            by_id = token_key(token) if token else None
            if by_id is not None:
                self.limiter.check(by_id)
        except TooManyRequestsError as limited:
            await self._refuse(scope, receive, send, limited)
            return
        if scope["method"] not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        route = self._route_for(scope)
        if route is None:  # the router answers 404 or 405 without reading the body
            await self.app(scope, receive, send)
            return
        if route.path not in _OPEN_POSTS and not _has_credential(scope):
            if not str(scope.get("path", "")).startswith("/api/"):
                # A page's form: to the sign-in page, as the route's dependency would send it.
                redirect = RedirectResponse(
                    "/sign-in", status_code=303, headers={"Connection": "close"}
                )
                await redirect(scope, receive, send)
                return
            await self._refuse(
                scope,
                receive,
                send,
                NotSignedInError(
                    "sign in first (API: header 'Authorization: Bearer TOKEN' with the token"
                    " of 'matchgate user add')"
                ),
            )
            return
        media_type = _media_type(scope)
        accepted = accepted_media_types(route)
        if accepted and media_type not in accepted and not _without_body(scope, media_type):
            wrong_type = UnsupportedMediaTypeError(
                f"this address takes {' or '.join(sorted(accepted))}, not"
                f" {media_type or 'a body without a content type'}",
                field="Content-Type",
            )
            await self._refuse(scope, receive, send, wrong_type)
            return
        limit = self.limits.for_media_type(media_type)
        too_large = PayloadTooLargeError(
            f"the body is larger than this server accepts ({limit} bytes)", field="Content-Length"
        )
        declared = _header(scope, b"content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, too_large)
            return
        await self._capped(scope, receive, send, limit, too_large)

    async def _capped(
        self, scope: Scope, receive: Receive, send: Send, limit: int, error: Exception
    ) -> None:
        received = 0
        cut_off = False
        answered = False

        async def counting_receive() -> Message:
            nonlocal received, cut_off
            if cut_off:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    cut_off = True
                    await answer()
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal answered
            if cut_off:
                return  # the route's answer to a body it never got in full
            if message["type"] == "http.response.start":
                answered = True
            await send(message)

        async def answer() -> None:
            nonlocal answered
            if not answered:
                answered = True
                await self._refuse(scope, receive, send, error)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not cut_off:
                raise
        if cut_off:
            await answer()
