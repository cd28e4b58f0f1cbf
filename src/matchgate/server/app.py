"""The FastAPI application: API routes, reviewer pages, one error mapping."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.templating import Jinja2Templates

from matchgate.ledger import check_key_location
from matchgate.server import api_batches, api_ledger, api_lookups, pages
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
    )
    templates = Jinja2Templates(directory=_TEMPLATES)
    templates.env.filters["mask_tin"] = mask_tin
    app.state.settings = settings
    app.state.templates = templates
    install_error_handlers(app, templates)
    app.include_router(api_batches.router)
    app.include_router(api_ledger.router)
    app.include_router(api_lookups.router)
    app.include_router(pages.router)
    return app
