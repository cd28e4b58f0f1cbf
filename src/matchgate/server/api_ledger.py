"""``/api/ledger/verify``, ``/api/accounting`` and ``/healthz``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from matchgate.errors import InputError
from matchgate.ledger import DisclosureRecord, Ledger
from matchgate.server.access import recorded_read
from matchgate.server.accounts import STAFF, TAXPAYER_READERS, require_roles
from matchgate.server.deps import ApiUserDep, LedgerReaderDep, SettingsDep
from matchgate.server.openapi import error_responses
from matchgate.server.schemas import DisclosurePublic, ErrorPublic, HealthPublic, VerifyReportPublic

__all__ = ["accounting_records", "router"]

router = APIRouter(tags=["ledger"])


@router.get(
    "/api/ledger/verify",
    response_model=VerifyReportPublic,
    responses={
        409: {
            "model": VerifyReportPublic | ErrorPublic,
            "description": "The ledger does not verify (the report), or there is none yet.",
        },
        **error_responses(401, 403),
    },
)
def verify_ledger(
    user: ApiUserDep, ledger: LedgerReaderDep, response: Response
) -> VerifyReportPublic:
    """The chain, every checkpoint signature and the disclosure index; 409 when it fails.
    The office's staff only (every role but requester)."""
    require_roles(user, STAFF, "verify the ledger")
    report = ledger.verify()
    if not report.ok:
        response.status_code = 409
    return VerifyReportPublic.from_report(report)


@router.get(
    "/api/accounting",
    response_model=list[DisclosurePublic],
    responses=error_responses(401, 403, 409, 422),
)
def accounting(
    user: ApiUserDep,
    ledger: LedgerReaderDep,
    tin: Annotated[
        str | None, Query(max_length=64, description="Every disclosure about this TIN.")
    ] = None,
    agency: Annotated[str | None, Query(max_length=200, description="Agency name or code.")] = None,
    year: Annotated[
        int | None, Query(ge=1970, le=9999, description="Calendar year (UTC) for agency.")
    ] = None,
) -> list[DisclosurePublic]:
    """The accounting of disclosures (26 U.S.C. 6103(p)(3)(A)) for one TIN or one agency:
    reviewers, supervisors and auditors only."""
    with recorded_read(user, "accounting", {"tin": tin, "agency": agency, "year": year}):
        require_roles(user, TAXPAYER_READERS, "read the accounting of disclosures")
        records = accounting_records(ledger, tin=tin, agency=agency, year=year)
    return [DisclosurePublic.from_record(record) for record in records]


def accounting_records(
    ledger: Ledger, *, tin: str | None, agency: str | None, year: int | None
) -> list[DisclosureRecord]:
    """The disclosures about one TIN, or to one agency in one calendar year (the API's and
    the accounting page's one search)."""
    if (tin is None) == (agency is None):
        raise InputError("give either tin=TIN or agency=NAME&year=YEAR", field="tin")
    if tin is not None:
        return list(ledger.disclosures_for_tin(tin))
    if year is None:
        raise InputError("agency needs year", field="year")
    assert agency is not None
    return list(ledger.disclosures_for_agency(agency, year))


@router.get("/healthz", response_model=HealthPublic, responses=error_responses())
def health(settings: SettingsDep) -> HealthPublic:
    return HealthPublic(
        status="ok",
        workspace_ready=settings.workspace.is_dir(),
        master_present=settings.master.is_file(),
    )
