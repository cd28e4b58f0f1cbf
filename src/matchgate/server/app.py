"""The FastAPI application: API routes, reviewer pages, one error mapping."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.templating import Jinja2Templates

from matchgate.ledger import check_key_location
from matchgate.server import (
    access_views,
    api_batches,
    api_ledger,
    api_lookups,
    pages,
    sessions,
)
from matchgate.server.access import install_access_log
from matchgate.server.deps import ApiUserDep, PageUserDep
from matchgate.server.error_handlers import install_error_handlers
from matchgate.server.masking import mask_tin
from matchgate.server.settings import ServerSettings

__all__ = ["create_app"]

_TEMPLATES = Path(__file__).parent / "templates"


def create_app(settings: ServerSettings) -> FastAPI:
    """An app serving one workspace; nothing is opened until a request needs it.

    Only the signing key's place is checked at once: a key inside the workspace is refused
    (:class:`LedgerError`), because whoever can write the workspace could then rewrite the
    ledger and sign it again.
    """
    check_key_location(settings.workspace, settings.ledger_key, server=True)
    app = FastAPI(
        title="matchgate",
        summary="Taxpayer address requests answered only where 26 U.S.C. 6103(i)(2) allows it.",
        version="0.1.0",
        lifespan=_lifespan,
        # The schema and its documentation are served to signed-in users only (below).
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    templates = Jinja2Templates(directory=_TEMPLATES)
    templates.env.filters["mask_tin"] = mask_tin
    app.state.settings = settings
    app.state.templates = templates
    install_error_handlers(app, templates)
    sessions.install_sign_in_redirect(app)
    install_access_log(app)
    app.include_router(api_batches.router)
    app.include_router(api_ledger.router)
    app.include_router(api_lookups.router)
    app.include_router(pages.router)
    app.include_router(sessions.router)
    app.include_router(access_views.router)
    _add_schema_routes(app)
    return app


def _add_schema_routes(app: FastAPI) -> None:
    """``/openapi.json`` and ``/docs`` as FastAPI serves them, behind authentication: nothing
    but the sign-in page and ``/healthz`` answers a caller who has not signed in."""

    def openapi_schema(_user: ApiUserDep) -> JSONResponse:
        return JSONResponse(app.openapi())

    def docs(_user: PageUserDep) -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="matchgate - API")

    app.add_api_route("/openapi.json", openapi_schema, methods=["GET"], include_in_schema=False)
    app.add_api_route("/docs", docs, methods=["GET"], include_in_schema=False)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    for name in ("accounts", "access_log"):
        store = getattr(app.state, name, None)
        if store is not None:
            store.close()
