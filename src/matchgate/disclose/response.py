"""What goes back to the requester, and nothing else.

:class:`DisclosedAddress` is the whole of what this channel may release about a
taxpayer: the latest address on file within the requested tax periods and the year it
comes from. It has no field for anything else, and :class:`ResponseRow` has no field for a
TIN, an employer, income or relatives, so nothing else can reach ``response.csv`` by
mistake: a test checks the columns against master-file values.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from matchgate.decisions import Outcome

__all__ = [
    "RESPONSE_COLUMNS",
    "DisclosedAddress",
    "ResponseRow",
    "latest_addresses_in_periods",
]

RESPONSE_COLUMNS: tuple[str, ...] = (
    "row_number",
    "request_id",
    "outcome",
    "reason_codes",
    "explanation",
    "match_probability",
    "disclosed_street",
    "disclosed_city",
    "disclosed_state",
    "disclosed_zip",
    "disclosed_tax_year",
)


@dataclass(frozen=True, slots=True)
class DisclosedAddress:
    street: str
    city: str
    state: str
    zip: str
    tax_year: int


@dataclass(frozen=True, slots=True)
class ResponseRow:
    row_number: int
    request_id: str
    outcome: Outcome
    reason_codes: str
    explanation: str
    match_probability: float | None = None
    address: DisclosedAddress | None = None

    def __post_init__(self) -> None:
        if (self.outcome is Outcome.DISCLOSED) != (self.address is not None):
            raise ValueError(
                f"row {self.row_number}: an address goes with outcome 'disclosed' and only then"
            )

    def as_csv_row(self) -> dict[str, object]:
        address = self.address
        return {
            "row_number": self.row_number,
            "request_id": self.request_id,
            "outcome": str(self.outcome),
            "reason_codes": self.reason_codes,
            "explanation": self.explanation,
            # Only a disclosed row says how sure matchgate is: a probability on a refused
            # row would tell the requester whether someone like that files taxes.
            "match_probability": (
                round(self.match_probability, 6)
                if address is not None and self.match_probability is not None
                else ""
            ),
            "disclosed_street": address.street if address else "",
            "disclosed_city": address.city if address else "",
            "disclosed_state": address.state if address else "",
            "disclosed_zip": address.zip if address else "",
            "disclosed_tax_year": address.tax_year if address else "",
        }


def latest_addresses_in_periods(
    con: duckdb.DuckDBPyConnection, wanted: Iterable[tuple[int, str, Sequence[int] | None]]
) -> dict[int, DisclosedAddress]:
    """For each (row_number, tin, tax years), the address of the latest year filed within
    those years (any year when ``None``), from ``taxpayer_addresses``. Rows with no filing
    in the years are absent."""
    rows = [(row, tin, None if years is None else list(years)) for row, tin, years in wanted]
    if not rows:
        return {}
    table = pa.table(
        {
            "row_number": pa.array([r[0] for r in rows], pa.int64()),
            "tin": pa.array([r[1] for r in rows], pa.string()),
            "years": pa.array([r[2] for r in rows], pa.list_(pa.int32())),
        }
    )
    con.register("_wanted_arrow", table)
    con.execute("CREATE OR REPLACE TEMP TABLE wanted_addresses AS SELECT * FROM _wanted_arrow")
    con.unregister("_wanted_arrow")
    result = con.execute(
        """
        SELECT row_number, street, city, state, zip, tax_year FROM (
            SELECT w.row_number, a.street, a.city, a.state, a.zip, a.tax_year,
                   row_number() OVER (PARTITION BY w.row_number ORDER BY a.tax_year DESC) AS rn
            FROM wanted_addresses w
            JOIN taxpayer_addresses a
              ON a.tin = w.tin AND (w.years IS NULL OR list_contains(w.years, a.tax_year))
        ) WHERE rn = 1
        """
    ).fetchall()
    return {
        int(row_number): DisclosedAddress(
            street=street, city=city, state=state, zip=zip_code, tax_year=int(tax_year)
        )
        for row_number, street, city, state, zip_code, tax_year in result
    }
