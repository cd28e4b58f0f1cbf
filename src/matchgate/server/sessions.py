"""Web sign-in: ``/sign-in`` (name and API token), a session cookie, ``/sign-out``.

The session cookie is HttpOnly, SameSite=Strict, and Secure unless the server listens on
loopback only. The store keeps only the SHA-256 of the cookie's value. Each session has
its own CSRF token, which every form of the pages carries in a hidden ``csrf_token`` field
and every POST checks. The sign-in form itself, posted before any session exists, is
guarded by a double-submit token: a random value in a short-lived SameSite=Strict cookie
and the same value in the form. A refused sign-in counts towards the lock-out of the client's
address and of the token's id (:mod:`matchgate.server.limits`), as a refused API token does.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from matchgate.server.accounts import (
    SESSION_COOKIE,
    SignInRequiredError,
    account_store,
    cookie_is_secure,
)
from matchgate.server.deps import (
    PageFormUserDep,
    SettingsDep,
    TemplatesDep,
    check_not_locked_out,
    record_refused_credential,
)

__all__ = ["SIGN_IN_COOKIE", "install_sign_in_redirect", "router"]

router = APIRouter(include_in_schema=False)

SIGN_IN_COOKIE = "mg_sign_in"
_SIGN_IN_MINUTES = 15


def _sign_in_page(
    request: Request,
    templates: TemplatesDep,
    settings: SettingsDep,
    *,
    status: int = 200,
    problem: str = "",
    name: str = "",
) -> Response:
    form_token = secrets.token_urlsafe(32)
    response = templates.TemplateResponse(
        request,
        "sign_in.html",
        {"csrf_token": form_token, "problem": problem, "name": name},
        status_code=status,
    )
    response.set_cookie(
        SIGN_IN_COOKIE,
        form_token,
        max_age=_SIGN_IN_MINUTES * 60,
        httponly=True,
        secure=cookie_is_secure(settings),
        samesite="strict",
        path="/sign-in",
    )
    return response


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_form(request: Request, templates: TemplatesDep, settings: SettingsDep) -> Response:
    return _sign_in_page(request, templates, settings)


@router.post("/sign-in")
def sign_in(
    request: Request,
    templates: TemplatesDep,
    settings: SettingsDep,
    name: Annotated[str, Form()] = "",
    token: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    expected = request.cookies.get(SIGN_IN_COOKIE, "")
    if not expected or not secrets.compare_digest(csrf_token.encode(), expected.encode()):
        return _sign_in_page(
            request,
            templates,
            settings,
            status=403,
            problem="The sign-in form expired or was not sent from this site; try again.",
            name=name,
        )
    # A locked-out address or token id is refused (429) before the token is looked at, and
    # every refused sign-in counts towards a lock-out, as a refused bearer token does.
    check_not_locked_out(request, token)
    store = account_store(request.app)
    found = store.authenticate(token, name=name) if name.strip() else None
    if found is None:
        record_refused_credential(request, token)
        # One sentence for every failure: an unknown name is not told from a wrong token.
        return _sign_in_page(
            request,
            templates,
            settings,
            status=401,
            problem="The name or the token is not correct (or the token expired or was revoked).",
            name=name,
        )
    user, token_id = found
    signed_in = store.start_session(user, token_id)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        signed_in.cookie,
        expires=signed_in.expires_at,
        httponly=True,
        secure=cookie_is_secure(settings),
        samesite="strict",
        path="/",
    )
    response.delete_cookie(SIGN_IN_COOKIE, path="/sign-in")
    return response


@router.post("/sign-out")
def sign_out(request: Request, settings: SettingsDep, _user: PageFormUserDep) -> Response:
    cookie = request.cookies.get(SESSION_COOKIE, "")
    if cookie:
        account_store(request.app).end_session(cookie)
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(
        SESSION_COOKIE,
        path="/",
        httponly=True,
        secure=cookie_is_secure(settings),
        samesite="strict",
    )
    return response


def install_sign_in_redirect(app: FastAPI) -> None:
    """A page asked for without a session sends the browser to ``/sign-in`` (303)."""

    async def redirect(request: Request, exc: Exception) -> Response:
        return RedirectResponse("/sign-in", status_code=303)

    app.add_exception_handler(SignInRequiredError, redirect)
