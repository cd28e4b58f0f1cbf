"""The yearly report per agency that 26 U.S.C. 6103(p)(3)(C) asks for."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, select

from matchgate.errors import LedgerError
from matchgate.ledger import _schema as schema
from matchgate.ledger._entries import EntryKind, format_timestamp
from matchgate.safe_csv import SafeCsvWriter

__all__ = ["AgencyOversight", "OversightReport", "build_oversight_report"]

_CSV_COLUMNS = (
    "year",
    "agency",
    "requests",
    "disclosures",
    "retracted",
    "taxpayers_affected",
    "repeat_requests",
    "purposes",
)


@dataclass(frozen=True, slots=True)
class AgencyOversight:
    """One agency's line: rows it asked about, disclosures made, people affected, why."""

    agency: str
    requests: int
    disclosures: int
    retracted: int
    taxpayers_affected: int
    purposes: tuple[tuple[str, int], ...]
    # Rows about a taxpayer the agency was given within the policy's window (repeat_request).
    repeat_requests: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "agency": self.agency,
            "requests": self.requests,
            "disclosures": self.disclosures,
            "retracted": self.retracted,
            "taxpayers_affected": self.taxpayers_affected,
            "repeat_requests": self.repeat_requests,
            "purposes": [{"statute": statute, "count": count} for statute, count in self.purposes],
        }


@dataclass(frozen=True, slots=True)
class OversightReport:
    year: int
    generated_at: str
    agencies: tuple[AgencyOversight, ...]

    def agency(self, name: str) -> AgencyOversight | None:
        return next((line for line in self.agencies if line.agency == name), None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "generated_at": self.generated_at,
            "agencies": [line.as_dict() for line in self.agencies],
        }

    def write(self, out: Path) -> Path:
        """Write as JSON (``.json``) or CSV (anything else)."""
        try:
            if out.suffix.lower() == ".json":
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_text(json.dumps(self.as_dict(), indent=2) + "\n", encoding="utf-8")
            else:
                rows = [
                    {
                        "year": self.year,
                        **line.as_dict(),
                        "purposes": "; ".join(
                            f"{statute} ({count})" for statute, count in line.purposes
                        ),
                    }
                    for line in self.agencies
                ]
                SafeCsvWriter.write_file(out, _CSV_COLUMNS, rows)
        except OSError as exc:
            raise LedgerError(f"cannot write the oversight report: {exc}", path=out) from exc
        return out


def build_oversight_report(
    conn: Connection, *, year: int, bounds: tuple[str, str], generated_at: datetime
) -> OversightReport:
    start, end = bounds
    requests: dict[str, int] = defaultdict(int)
    agency_of_batch: dict[str, str] = {}
    received = select(schema.entries.c.payload).where(
        schema.entries.c.kind == EntryKind.BATCH_RECEIVED.value,
        schema.entries.c.recorded_at >= start,
        schema.entries.c.recorded_at < end,
    )
    for payload in conn.execute(received).scalars():
        values = json.loads(payload)
        requests[str(values["agency"])] += int(values["rows_in"])
        agency_of_batch[str(values["batch_id"])] = str(values["agency"])
    repeats = _repeat_requests(conn, bounds, agency_of_batch)

    column = schema.disclosures.c
    in_year = (column.disclosed_at >= start, column.disclosed_at < end)
    totals = conn.execute(
        select(
            column.agency,
            func.count(),
            func.count(column.retracted_at),
            func.count(func.distinct(column.tin)),
        )
        .where(*in_year)
        .group_by(column.agency)
    ).all()
    purposes: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for agency, statute, count in conn.execute(
        select(column.agency, column.statute, func.count())
        .where(*in_year)
        .group_by(column.agency, column.statute)
    ):
        purposes[agency].append((statute, int(count)))

    by_agency = {agency: (int(n), int(r), int(t)) for agency, n, r, t in totals}
    lines = []
    for agency in sorted(set(requests) | set(by_agency) | set(repeats)):
        disclosed, retracted, taxpayers = by_agency.get(agency, (0, 0, 0))
        lines.append(
            AgencyOversight(
                agency=agency,
                requests=requests.get(agency, 0),
                disclosures=disclosed,
                retracted=retracted,
                taxpayers_affected=taxpayers,
                repeat_requests=repeats.get(agency, 0),
                purposes=tuple(sorted(purposes[agency], key=lambda item: (-item[1], item[0]))),
            )
        )
    return OversightReport(
        year=year, generated_at=format_timestamp(generated_at), agencies=tuple(lines)
    )


def _repeat_requests(
    conn: Connection, bounds: tuple[str, str], agency_of_batch: dict[str, str]
) -> dict[str, int]:
    """Row decisions in the year that carry ``repeat_request``, per agency."""
    start, end = bounds
    entry = schema.entries.c
    flagged = select(entry.payload).where(
        entry.kind == EntryKind.ROW_DECISION.value,
        entry.recorded_at >= start,
        entry.recorded_at < end,
        entry.payload.like("%repeat_request%"),
    )
    counts: dict[str, int] = defaultdict(int)
    for payload in conn.execute(flagged).scalars():
        values = json.loads(payload)
        if "repeat_request" in str(values.get("reason_codes", "")).split(";"):
            counts[agency_of_batch.get(str(values.get("batch_id")), "")] += 1
    return counts
