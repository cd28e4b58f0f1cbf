"""The FastAPI application: API routes, reviewer pages, one error mapping."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from fastapi.templating import Jinja2Templates

from matchgate.ledger import check_key_location
from matchgate.server import (
    access_views,
    accounting_page,
    api_batches,
    api_ledger,
    api_lookups,
    pages,
    review_routes,
    sessions,
    upload_page,
)
from matchgate.server.access import install_access_log
from matchgate.server.batch_folders import resume_interrupted_jobs
from matchgate.server.deps import ApiUserDep
from matchgate.server.error_handlers import install_error_handlers
from matchgate.server.guards import BodyLimits, RequestGuardMiddleware, api_routes
from matchgate.server.limits import Clock, Limiter, LimitRules
from matchgate.server.masking import mask_tin
from matchgate.server.openapi import error_responses
from matchgate.server.security_headers import SecurityHeadersMiddleware
from matchgate.server.settings import ServerSettings

__all__ = ["create_app"]

_TEMPLATES = Path(__file__).parent / "templates"


def limiter_for(settings: ServerSettings, *, clock: Clock = time.monotonic) -> Limiter:
    """The rate limiter the settings ask for (tests pass a clock of their own)."""
    return Limiter(
        LimitRules(
            max_requests=settings.rate_limit_requests,
            request_window=settings.rate_limit_window_seconds,
            max_failures=settings.auth_max_failures,
            failure_window=settings.auth_failure_window_seconds,
            lockout=settings.auth_lockout_seconds,
        ),
        clock=clock,
    )


def create_app(settings: ServerSettings, *, limiter: Limiter | None = None) -> FastAPI:
    """An app serving one workspace; nothing is opened until a request needs it.

    Only the signing key's place is checked at once: a key inside the workspace is refused
    (:class:`LedgerError`), because whoever can write the workspace could then rewrite the
    ledger and sign it again. The schema is at ``/openapi.json``, for signed-in users only.
    The interactive API pages (``/docs``, ``/redoc``) are off: they load scripts from a CDN,
    which the pages' content security policy refuses.
    """
    check_key_location(settings.workspace, settings.ledger_key, server=True)
    app = FastAPI(
        title="matchgate",
        summary="Taxpayer address requests answered only where 26 U.S.C. 6103(i)(2) allows it.",
        version="0.1.0",
        lifespan=_lifespan,
        # The schema is served to signed-in users only (below).
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    templates = Jinja2Templates(directory=_TEMPLATES)
    templates.env.filters["mask_tin"] = mask_tin
    app.state.settings = settings
    app.state.templates = templates
    app.state.limiter = limiter if limiter is not None else limiter_for(settings)
    install_error_handlers(app, templates)
    sessions.install_sign_in_redirect(app)
    routers = (
        api_batches.router,
        api_ledger.router,
        api_lookups.router,
        upload_page.router,  # before pages: /batches/new is no batch id
        pages.router,
        review_routes.router,
        sessions.router,
        access_views.router,
        accounting_page.router,
    )
    for router in routers:
        app.include_router(router)
    _add_schema_route(app)
    # Innermost: every route knows its request when it records a read.
    install_access_log(app)
    # The last added runs first: headers on every answer, then the guards, then the routes.
    app.add_middleware(
        RequestGuardMiddleware,
        limiter=app.state.limiter,
        limits=BodyLimits(
            max_upload_bytes=settings.max_upload_bytes, max_body_bytes=settings.max_body_bytes
        ),
        routes=api_routes(*routers),
    )
    app.add_middleware(SecurityHeadersMiddleware)
    return app


def _add_schema_route(app: FastAPI) -> None:
    """``/openapi.json`` as FastAPI serves it, behind authentication: nothing but the
    sign-in page and ``/healthz`` answers a caller who has not signed in."""

    def openapi_schema(_user: ApiUserDep) -> JSONResponse:
        return JSONResponse(app.openapi())

    app.add_api_route(
        "/openapi.json",
        openapi_schema,
        methods=["GET"],
        include_in_schema=False,
        responses=error_responses(401),
    )


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    resume_interrupted_jobs(app.state.settings)
    yield
    # Closed and forgotten: an app served again (a test client's second lifespan) opens
    # them anew on first use instead of finding them closed.
    for name in ("accounts", "access_log"):
        store = getattr(app.state, name, None)
        if store is not None:
            setattr(app.state, name, None)
            store.close()
