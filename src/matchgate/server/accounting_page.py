"""``/audit/accounting``: the accounting of disclosures (26 U.S.C. 6103(p)(3)(A)) as a page.

The same search as ``GET /api/accounting`` (:func:`matchgate.server.api_ledger.accounting_records`):
by TIN, or by agency and calendar year; reviewers, supervisors and auditors only, and every
search is a read on record. The form alone (no search yet) shows no taxpayer data and opens
no ledger. TINs are shown masked to their last four digits.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import Field, StringConstraints

from matchgate.ledger import Ledger
from matchgate.ledger._files import LEDGER_FILE
from matchgate.server.access import recorded_read
from matchgate.server.access_views import Blank
from matchgate.server.accounts import TAXPAYER_READERS, require_roles
from matchgate.server.api_ledger import accounting_records
from matchgate.server.deps import PageUserDep, SettingsDep, TemplatesDep
from matchgate.server.errors import NoLedgerYetError

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

TinText = Annotated[str, StringConstraints(max_length=64)]
AgencyText = Annotated[str, StringConstraints(max_length=200)]
# The constraints are on the values, so an empty form field (None by then) passes them.
Year = Annotated[int, Field(ge=1970, le=9999)]


@router.get("/audit/accounting", response_class=HTMLResponse)
def accounting_page(
    request: Request,
    user: PageUserDep,
    settings: SettingsDep,
    templates: TemplatesDep,
    tin: Annotated[TinText | None, Blank, Query()] = None,
    agency: Annotated[AgencyText | None, Blank, Query()] = None,
    year: Annotated[Year | None, Blank, Query()] = None,
) -> Response:
    require_roles(user, TAXPAYER_READERS, "read the accounting of disclosures")
    searched = tin is not None or agency is not None
    records = []
    if searched:
        with recorded_read(user, "accounting_page", {"tin": tin, "agency": agency, "year": year}):
            if settings.ledger_url is None and not (settings.workspace / LEDGER_FILE).is_file():
                raise NoLedgerYetError("no batch has been recorded in this workspace yet")
            with Ledger.open(settings.workspace, url=settings.ledger_url, read_only=True) as ledger:
                records = accounting_records(ledger, tin=tin, agency=agency, year=year)
    return templates.TemplateResponse(
        request,
        "accounting.html",
        {
            "records": records,
            "searched": searched,
            "filters": {
                "agency": agency or "",
                "year": year if year is not None else datetime.now(UTC).year,
            },
        },
    )
