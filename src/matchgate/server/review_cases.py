"""What a reviewer decides from: the queue of rows waiting for a person, and one row's case.

The queue reads each batch's ``output/internal/decisions.csv`` with DuckDB (rows still
``needs_review``), filtered by batch, agency, reason code and age in the queue, one page at
a time. The case puts the request beside each candidate's identity record from the batch
database (name parts, date of birth, the filing-history addresses; TINs masked), the
per-field evidence as a waterfall, the reason codes and the row's review steps so far.

This is master-file data: only reviewers and supervisors get it (the routes check), and
every queue page and case shown is recorded in the access log first
(:func:`matchgate.server.access.recorded_read`, with :func:`case_tins`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import duckdb

from matchgate import sql
from matchgate.batch.review_decisions import (
    LoggedAction,
    RowReview,
    row_review,
)
from matchgate.batch.rows import FinalRow
from matchgate.batch.stages import attach_batch_master
from matchgate.errors import InputError, WorkspaceError
from matchgate.match.values import Candidate
from matchgate.reasons import registry
from matchgate.server.accounts import Principal, batch_agency_code, visible_batches
from matchgate.server.batch_folders import BatchFolders, BatchSummary, batch_lock
from matchgate.server.errors import NotFoundError
from matchgate.server.masking import mask_tin
from matchgate.server.review_queue import RowEvidence, request_fields, row_evidence

__all__ = [
    "QUEUE_PAGE_SIZE",
    "CandidateRecord",
    "QueueFilters",
    "QueueItem",
    "QueuePage",
    "ReviewCase",
    "WaterfallStep",
    "case_tins",
    "queue_page",
    "review_case",
]

QUEUE_PAGE_SIZE = 50
_SOURCE = "read_csv(?, header = true, all_varchar = true, delim = ',', quote = '\"')"
_PENDING = (
    "WHERE outcome = 'needs_review' AND (? = '' OR "
    "list_contains(string_split(coalesce(reason_codes, ''), ';'), ?))"
)
_QUEUE_COUNT = f"SELECT count(*) FROM {_SOURCE} {_PENDING}"
_QUEUE_ROWS = (
    f"SELECT row_number, request_id, reason_codes, explanation FROM {_SOURCE} {_PENDING} "
    "ORDER BY CAST(row_number AS BIGINT) LIMIT ? OFFSET ?"
)
_IDENTITY = (
    "SELECT tin, first_name, middle_name, surname, suffix, CAST(dob AS VARCHAR) "
    "FROM taxpayer_features WHERE list_contains(?, tin)"
)
_HISTORY = (
    "SELECT tin, tax_year, street, city, state, zip FROM taxpayer_addresses "
    "WHERE list_contains(?, tin) ORDER BY tin, tax_year DESC"
)
_TABLE_EXISTS = "SELECT count(*) FROM information_schema.tables WHERE table_name = ?"
_WATERFALL_COLUMNS = 60


@dataclass(frozen=True, slots=True)
class QueueFilters:
    batch_id: str = ""
    agency: str = ""
    reason_code: str = ""
    min_age_days: int | None = None
    max_age_days: int | None = None
    page: int = 1
    page_size: int = QUEUE_PAGE_SIZE

    def check(self) -> None:
        if self.reason_code and self.reason_code not in registry():
            raise InputError(
                f"unknown reason code {self.reason_code!r} (see 'matchgate reasons')",
                field="reason_code",
            )
        if (
            self.min_age_days is not None
            and self.max_age_days is not None
            and self.min_age_days > self.max_age_days
        ):
            raise InputError("min_age_days is larger than max_age_days", field="min_age_days")

    def query(self, **changes: object) -> str:
        """The filters as a query string (for the page's links), with ``changes``."""
        values: dict[str, object] = {
            "batch_id": self.batch_id,
            "agency": self.agency,
            "reason_code": self.reason_code,
            "min_age_days": self.min_age_days,
            "max_age_days": self.max_age_days,
            "page": self.page,
            **changes,
        }
        return urlencode({k: v for k, v in values.items() if v not in (None, "")})


@dataclass(frozen=True, slots=True)
class QueueItem:
    batch_id: str
    agency: str
    agency_code: str
    row_number: int
    request_id: str
    reason_codes: tuple[str, ...]
    explanation: str
    queued_at: str
    age_days: int


@dataclass(frozen=True, slots=True)
class QueuePage:
    items: tuple[QueueItem, ...]
    total: int
    filters: QueueFilters

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.filters.page_size))


def _query(path: Path, text: str, parameters: list[object], label: str) -> list[tuple[object, ...]]:
    try:
        with duckdb.connect() as con:
            return sql.fetch_all(con, text, [str(path), *parameters], label=label)
    except duckdb.Error as exc:
        raise WorkspaceError("the decisions file cannot be read", path=path.name) from exc


def _age_days(summary: BatchSummary, now: datetime) -> int:
    queued = datetime.strptime(summary.completed_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    return max(0, int((now - queued).total_seconds() // 86_400))


def queue_page(
    principal: Principal,
    batches: BatchFolders,
    filters: QueueFilters,
    *,
    now: datetime | None = None,
) -> QueuePage:
    """One page of the rows that wait for a person, oldest batch first."""
    filters.check()
    moment = now or datetime.now(UTC)
    chosen: list[tuple[BatchSummary, str, int]] = []
    for summary in visible_batches(principal, batches):
        if not summary.complete or summary.outcomes.get("needs_review", 0) == 0:
            continue
        if filters.batch_id and summary.batch_id != filters.batch_id:
            continue
        code = batch_agency_code(batches, summary.batch_id)
        if filters.agency and filters.agency.casefold() not in {
            code.casefold(),
            summary.agency.casefold(),
        }:
            continue
        age = _age_days(summary, moment)
        if filters.min_age_days is not None and age < filters.min_age_days:
            continue
        if filters.max_age_days is not None and age > filters.max_age_days:
            continue
        chosen.append((summary, code, age))
    chosen.sort(key=lambda item: (item[0].completed_at, item[0].batch_id))
    reason = filters.reason_code
    start = (filters.page - 1) * filters.page_size
    end = start + filters.page_size
    items: list[QueueItem] = []
    total = 0
    for summary, code, age in chosen:
        path = batches.decisions_path(summary.batch_id)
        [(count,)] = _query(path, _QUEUE_COUNT, [reason, reason], "review_cases.queue_count")
        count = int(str(count))
        first, last = total, total + count
        total = last
        if last <= start or first >= end:
            continue
        offset = max(0, start - first)
        limit = min(end, last) - (first + offset)
        rows = _query(path, _QUEUE_ROWS, [reason, reason, limit, offset], "review_cases.queue_rows")
        items.extend(
            QueueItem(
                batch_id=summary.batch_id,
                agency=summary.agency,
                agency_code=code,
                row_number=int(str(row[0])),
                request_id=str(row[1] or ""),
                reason_codes=tuple(c for c in str(row[2] or "").split(";") if c),
                explanation=str(row[3] or ""),
                queued_at=summary.completed_at,
                age_days=age,
            )
            for row in rows
        )
    return QueuePage(items=tuple(items), total=total, filters=filters)


# -- one row's case -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WaterfallStep:
    """One bar of the waterfall: from the running total before it to the one after, laid
    out on a grid of columns (CSS classes, no inline style)."""

    name: str
    level: str
    weight: float
    running: float
    start: int
    span: int
    kind: str  # "for", "against", "prior"


@dataclass(frozen=True, slots=True)
class FilingAddress:
    tax_year: int
    street: str
    city: str
    state: str
    zip: str
    released: bool = False


@dataclass(frozen=True, slots=True)
class CandidateRecord:
    """A candidate's identity record as a reviewer sees it (TIN masked)."""

    role: str  # best candidate, runner-up, could also be the person
    tin_masked: str
    first_name: str
    middle_name: str
    surname: str
    suffix: str
    dob: str
    match_probability: float | None
    match_weight: float | None
    addresses: tuple[FilingAddress, ...]
    waterfall: tuple[WaterfallStep, ...]
    # In clear for the access log's record of who read this taxpayer (stored there as a
    # keyed hash); never shown: the page and the API show tin_masked.
    tin: str = field(default="", repr=False)


@dataclass(frozen=True, slots=True)
class ReviewCase:
    batch_id: str
    agency: str
    evidence: RowEvidence
    request: dict[str, str] | None
    candidates: tuple[CandidateRecord, ...]
    actions: tuple[LoggedAction, ...]
    pending_release: LoggedAction | None
    outcome: str
    open: bool
    duplicate_of: int | None
    requested_years: tuple[int, ...]

    @property
    def releasable(self) -> bool:
        return any(address.released for c in self.candidates[:1] for address in c.addresses)


def waterfall(candidate: Candidate) -> tuple[WaterfallStep, ...]:
    """The candidate's match weight built up field by field, strongest evidence for first;
    the first bar is the prior (the weight before any field is compared)."""
    fields = sorted(candidate.weights.items(), key=lambda item: -item[1])
    prior = round(candidate.match_weight - sum(w for _, w in fields), 6)
    steps: list[tuple[str, str, float]] = [("prior", "", prior)]
    steps.extend((name, candidate.levels.get(name, ""), weight) for name, weight in fields)
    running = [0.0]
    for _, _, weight in steps:
        running.append(running[-1] + weight)
    low, high = min(running), max(running)
    scale = (high - low) or 1.0

    def column(value: float) -> int:
        return 1 + round((value - low) / scale * (_WATERFALL_COLUMNS - 1))

    laid_out = []
    for index, (name, level, weight) in enumerate(steps):
        before, after = running[index], running[index + 1]
        start = column(min(before, after))
        span = max(1, column(max(before, after)) - start)
        kind = "prior" if name == "prior" else ("for" if weight >= 0 else "against")
        laid_out.append(
            WaterfallStep(
                name=name,
                level=level,
                weight=round(weight, 3),
                running=round(after, 3),
                start=start,
                span=span,
                kind=kind,
            )
        )
    return tuple(laid_out)


def _identity(
    con: duckdb.DuckDBPyConnection, tins: list[str]
) -> tuple[dict[str, tuple[str, ...]], dict[str, list[tuple[int, str, str, str, str]]]]:
    people: dict[str, tuple[str, ...]] = {}
    history: dict[str, list[tuple[int, str, str, str, str]]] = {}
    if sql.fetch_int(con, _TABLE_EXISTS, ["taxpayer_features"], label="review_cases.has_f"):
        for row in sql.fetch_all(con, _IDENTITY, [tins], label="review_cases.identity"):
            people[str(row[0])] = tuple(str(value or "") for value in row[1:])
    if sql.fetch_int(con, _TABLE_EXISTS, ["taxpayer_addresses"], label="review_cases.has_a"):
        for row in sql.fetch_all(con, _HISTORY, [tins], label="review_cases.history"):
            history.setdefault(str(row[0]), []).append(
                (int(str(row[1])), *(str(value or "") for value in row[2:]))  # type: ignore[arg-type]
            )
    return people, history


_REQUESTED_YEARS = "SELECT tax_years FROM review_results WHERE row_number = ?"


def _requested_years(con: duckdb.DuckDBPyConnection, row_number: int) -> tuple[int, ...]:
    row = sql.fetch_one(con, _REQUESTED_YEARS, [row_number], label="review_cases.years")
    return tuple(int(year) for year in (row[0] or [])) if row else ()


def _candidates(
    con: duckdb.DuckDBPyConnection, row: FinalRow, years: tuple[int, ...]
) -> tuple[CandidateRecord, ...]:
    decision = row.decision
    if decision is None:
        return ()
    listed: list[tuple[str, str, Candidate | None]] = []
    if decision.best is not None:
        listed.append(("best candidate", decision.best.tin, decision.best))
    if decision.runner_up is not None:
        listed.append(("runner-up", decision.runner_up.tin, decision.runner_up))
    seen = {tin for _, tin, _ in listed}
    for tin in decision.competitors:
        if tin not in seen:
            listed.append(("could also be the person", tin, None))
            seen.add(tin)
    people, history = _identity(con, [tin for _, tin, _ in listed])
    records = []
    for index, (role, tin, candidate) in enumerate(listed):
        first, middle, surname, suffix, dob = people.get(tin, ("", "", "", "", ""))
        filed = history.get(tin, [])
        # The address a release would disclose: the latest year filed within the periods.
        released_year = next((year for year, *_ in filed if year in years), None)
        records.append(
            CandidateRecord(
                role=role,
                tin_masked=mask_tin(tin),
                tin=tin,
                first_name=first,
                middle_name=middle,
                surname=surname,
                suffix=suffix,
                dob=dob,
                match_probability=candidate.match_probability if candidate else None,
                match_weight=candidate.match_weight if candidate else None,
                addresses=tuple(
                    FilingAddress(
                        tax_year=year,
                        street=street,
                        city=city,
                        state=state,
                        zip=zip_code,
                        released=index == 0 and year == released_year,
                    )
                    for year, street, city, state, zip_code in filed
                ),
                waterfall=waterfall(candidate) if candidate and candidate.weights else (),
            )
        )
    return tuple(records)


def _read_review(
    batches: BatchFolders, batch_id: str, row_number: int
) -> tuple[RowReview, tuple[CandidateRecord, ...], tuple[int, ...]]:
    database = batches.database_path(batch_id)
    lock = batch_lock(batch_id)
    if not database.is_file() or not lock.acquire(timeout=10):
        raise WorkspaceError("the batch database is busy; try again in a moment")
    try:
        with duckdb.connect(str(database), read_only=True) as con:
            attach_batch_master(con)  # the candidates' records live in the prepared master
            review = row_review(con, row_number)
            years = _requested_years(con, row_number)
            return review, _candidates(con, review.row, years), years
    except duckdb.Error as exc:
        raise WorkspaceError("the batch database cannot be read right now") from exc
    except InputError as exc:
        raise NotFoundError(exc.message, row=row_number) from exc
    finally:
        lock.release()


def case_tins(case: ReviewCase) -> dict[str, str | int | None]:
    """The TINs a case shows, for its access record: the request's (``request_tin``), the
    best candidate's (``tin``), the runner-up's and every other candidate's
    (``candidate_N_tin``, N from 1 in the order shown)."""
    tins: dict[str, str | int | None] = {"request_tin": (case.request or {}).get("tin") or None}
    for index, candidate in enumerate(case.candidates):
        if candidate.role == "best candidate":
            key = "tin"
        elif candidate.role == "runner-up":
            key = "runner_up_tin"
        else:
            key = f"candidate_{index + 1}_tin"
        tins[key] = candidate.tin or None
    return tins


def review_case(batches: BatchFolders, batch_id: str, row_number: int) -> ReviewCase:
    summary = batches.summary(batch_id)
    evidence = row_evidence(batches.decisions_path(batch_id), row_number)
    review, candidates, years = _read_review(batches, batch_id, row_number)
    return ReviewCase(
        batch_id=batch_id,
        agency=summary.agency,
        evidence=evidence,
        request=request_fields(batches.database_path(batch_id), batch_id, row_number),
        candidates=candidates,
        actions=review.actions,
        pending_release=review.pending_release,
        outcome=review.row.outcome.value,
        open=review.open,
        duplicate_of=review.row.duplicate_of,
        requested_years=years,
    )
