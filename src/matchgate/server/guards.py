"""What every request passes before a route reads its body (a pure ASGI middleware).

In this order, each answering in the usual ``{"error","message"}`` form (or the error page):

1. **Rate and lock-out** (:mod:`matchgate.server.limits`): the client's address, and the
   token in ``Authorization: Bearer`` / ``X-Reviewer-Token`` if one is sent, must be within
   their rate and not locked out (429 with ``Retry-After``).
2. **Content type**: a POST, PUT or PATCH must send the body the route takes, read from the
   route itself (``multipart/form-data`` for uploads, ``application/x-www-form-urlencoded``
   or multipart for the pages' forms, ``application/json`` for JSON bodies); anything else
   is 415 before a byte of the body is read.
3. **Size**: a ``Content-Length`` above the limit is 413 before the body is read; a body
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
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from matchgate.server.auth import bearer_token
from matchgate.server.error_handlers import error_response, status_code_for
from matchgate.server.errors import (
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
            error, PayloadTooLargeError | UnsupportedMediaTypeError | TooManyRequestsError
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
            token = bearer_token(_header(scope, b"authorization")) or _header(
                scope, b"x-reviewer-token"
            )
            if token:
                self.limiter.check(token_key(token))
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
        media_type = _media_type(scope)
        accepted = accepted_media_types(route)
        if accepted and media_type not in accepted:
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
