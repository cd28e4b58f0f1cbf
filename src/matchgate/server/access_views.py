"""The auditor's views of the access log: ``GET /api/access-log`` and the page ``/audit/access``.

Who may look: an auditor (every filter), and an admin (by user, batch and date: whose
reads to look into, e.g. before revoking a user) but not by TIN, since "was taxpayer X
read" is a question about a taxpayer, which an admin may not ask of the accounting either.
Everyone else: 403. Each look is itself recorded (``access_log``, ``access_log_page``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, BeforeValidator, StringConstraints

from matchgate.accounts import Role
from matchgate.ledger import AccessQuery, AccessRecord
from matchgate.server.access import AccessSubject, access_log, recorded_read
from matchgate.server.accounts import AccessDeniedError, Principal, require_roles
from matchgate.server.deps import ApiUserDep, PageUserDep, TemplatesDep
from matchgate.server.openapi import error_responses

__all__ = ["AccessLogPage", "AccessRecordPublic", "router"]

router = APIRouter(tags=["access log"])

ACCESS_LOG_READERS = frozenset({Role.AUDITOR, Role.ADMIN})
_DEFAULT_PAGE_SIZE = 100


class AccessRecordPublic(BaseModel):
    """One recorded read; TINs in ``subject`` are keyed hashes (HMAC-SHA256), never TINs."""

    sequence: int
    recorded_at: str
    user: dict[str, Any]
    what: str
    route: str
    subject: dict[str, str | int | None]
    outcome: str
    status: int
    client: str | None
    record_hash: str

    @classmethod
    def from_record(cls, record: AccessRecord) -> AccessRecordPublic:
        values = record.as_dict()
        return cls(**{name: values[name] for name in cls.model_fields})


class AccessLogPage(BaseModel):
    total: int
    page: int
    page_size: int
    records: list[AccessRecordPublic]


def _blank_is_absent(value: object) -> object:
    """A search form sends its empty fields as ``name=``: an empty filter is no filter."""
    return None if isinstance(value, str) and not value.strip() else value


Blank = BeforeValidator(_blank_is_absent)

# The constraints are on the text itself, so an empty field (None by then) passes them.
UserName = Annotated[
    Annotated[str, StringConstraints(max_length=200)] | None,
    Blank,
    Query(alias="user", description="Reads by this user (name)."),
]
TinFilter = Annotated[
    Annotated[str, StringConstraints(pattern=r"^[0-9]([0-9 -]{0,18}[0-9])?$")] | None,
    Blank,
    Query(description="Reads about this TIN (auditors only); digits, dashes and spaces."),
]
BatchFilter = Annotated[
    Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9-]{1,64}$")] | None,
    Blank,
    Query(description="Reads of this batch."),
]
SinceFilter = Annotated[datetime | None, Blank, Query(description="From this UTC date or time.")]
UntilFilter = Annotated[datetime | None, Blank, Query(description="Before this UTC date or time.")]
PageNumber = Annotated[int, Query(ge=1, le=1_000_000)]
PageSize = Annotated[int, Query(ge=1, le=1_000)]


def _search(
    request: Request,
    user: Principal,
    what: str,
    *,
    who: str | None,
    tin: str | None,
    batch_id: str | None,
    since: datetime | None,
    until: datetime | None,
    page: int,
    page_size: int,
) -> tuple[list[AccessRecord], int]:
    subject: AccessSubject = {
        "user": who,
        "tin": tin,
        "batch_id": batch_id,
        "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,
        "page": page,
    }
    with recorded_read(user, what, subject):
        require_roles(user, ACCESS_LOG_READERS, "read the access log")
        if tin and user.role is not Role.AUDITOR:
            raise AccessDeniedError(
                f"a {user.role.value} may not search the access log by TIN (auditors only)"
            )
        query = AccessQuery(
            user=who or None,
            tin=tin or None,
            batch_id=batch_id or None,
            since=since,
            until=until,
            limit=page_size,
            offset=(page - 1) * page_size,
        )
        return access_log(request.app).search(query)


@router.get(
    "/api/access-log",
    response_model=AccessLogPage,
    responses=error_responses(401, 403, 409, 422),
)
def read_access_log(
    request: Request,
    user: ApiUserDep,
    who: UserName = None,
    tin: TinFilter = None,
    batch_id: BatchFilter = None,
    since: SinceFilter = None,
    until: UntilFilter = None,
    page: PageNumber = 1,
    page_size: PageSize = _DEFAULT_PAGE_SIZE,
) -> AccessLogPage:
    """Who read which taxpayer data, newest first (IRS Publication 1075's audit trail)."""
    records, total = _search(
        request,
        user,
        "access_log",
        who=who,
        tin=tin,
        batch_id=batch_id,
        since=since,
        until=until,
        page=page,
        page_size=page_size,
    )
    return AccessLogPage(
        total=total,
        page=page,
        page_size=page_size,
        records=[AccessRecordPublic.from_record(record) for record in records],
    )


@router.get("/audit/access", response_class=HTMLResponse, include_in_schema=False)
def access_log_page(
    request: Request,
    user: PageUserDep,
    templates: TemplatesDep,
    who: UserName = None,
    tin: TinFilter = None,
    batch_id: BatchFilter = None,
    since: SinceFilter = None,
    until: UntilFilter = None,
    page: PageNumber = 1,
) -> Response:
    records, total = _search(
        request,
        user,
        "access_log_page",
        who=who,
        tin=tin,
        batch_id=batch_id,
        since=since,
        until=until,
        page=page,
        page_size=_DEFAULT_PAGE_SIZE,
    )
    filters = {
        "user": who or "",
        "tin": tin or "",
        "batch_id": batch_id or "",
        "since": since.isoformat() if since else "",
        "until": until.isoformat() if until else "",
    }
    return templates.TemplateResponse(
        request,
        "access_log.html",
        {
            "records": [record.as_dict() for record in records],
            "total": total,
            "page": page,
            "pages": max(1, -(-total // _DEFAULT_PAGE_SIZE)),
            "filters": filters,
            "may_search_tin": user.role is Role.AUDITOR,
        },
    )
