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
from enum import StrEnum

import duckdb
import pyarrow as pa

from matchgate import sql
from matchgate.decisions import Outcome, Reason, join_codes
from matchgate.reasons import Audience, registry

__all__ = [
    "RESPONSE_COLUMNS",
    "DisclosedAddress",
    "RequestShape",
    "ResponseOutcome",
    "ResponseRow",
    "latest_addresses_in_periods",
    "requester_view",
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


class ResponseOutcome(StrEnum):
    """What the requester is told about one row.

    The detailed outcome (``no_match``, ``ambiguous``, no return filed in the periods, ...)
    is return information about somebody and stays internal; the requester learns only
    whether an address was disclosed and, if not, what the request or letter lacked.
    """

    DISCLOSED = "disclosed"
    NOT_DISCLOSED = "not_disclosed"
    LEGALLY_DEFICIENT = "legally_deficient"
    INVALID = "invalid"
    PENDING_REVIEW = "pending_review"


_RESPONSE_OUTCOME = {
    Outcome.DISCLOSED: ResponseOutcome.DISCLOSED,
    Outcome.NO_MATCH: ResponseOutcome.NOT_DISCLOSED,
    Outcome.AMBIGUOUS: ResponseOutcome.NOT_DISCLOSED,
    Outcome.LEGALLY_DEFICIENT: ResponseOutcome.LEGALLY_DEFICIENT,
    Outcome.NEEDS_REVIEW: ResponseOutcome.PENDING_REVIEW,
    Outcome.INVALID: ResponseOutcome.INVALID,
}

_DISCLOSED_EXPLANATION = "Identity confirmed; latest address in the requested periods."


@dataclass(frozen=True, slots=True)
class RequestShape:
    """Which identifying fields the request row itself carried: the only facts, besides the
    letter and the policy, that a row disclosing nothing may be explained with."""

    has_dob: bool = False
    has_tin: bool = False
    has_middle_name: bool = False
    has_zip: bool = False

    @classmethod
    def of(cls, *, dob: str, tin: str, middle_name: str, zip_code: str) -> RequestShape:
        middle = (middle_name or "").replace(".", "").strip()
        return cls(
            has_dob=bool((dob or "").strip()),
            has_tin=bool((tin or "").strip()),
            has_middle_name=len(middle) > 1,
            has_zip=bool((zip_code or "").strip()),
        )

    def lacks(self) -> tuple[str, ...]:
        """Codes for what the request lacked, in a fixed order."""
        missing = (
            ("request_without_dob", self.has_dob),
            ("request_without_tin", self.has_tin),
            ("request_without_middle_name", self.has_middle_name),
            ("request_without_zip", self.has_zip),
        )
        return tuple(code for code, present in missing if not present)


def _registered(code: str) -> Reason:
    info = registry()[code]
    return Reason(code=code, message=info.meaning, citation=info.citation)


def requester_view(
    outcome: Outcome, reasons: Sequence[Reason], request: RequestShape
) -> tuple[ResponseOutcome, tuple[Reason, ...], str]:
    """The requester's outcome, reasons and explanation for one row.

    Only reasons whose registered audience is ``requester`` pass (they concern the request,
    the letter or the policy). A row that discloses nothing is explained by what the
    request lacked, never by what the taxpayer file holds, so its line is a function of the
    request row, the letter and the policy alone.
    """
    known = registry()
    shown = tuple(
        r for r in reasons if r.code in known and known[r.code].audience is Audience.REQUESTER
    )
    answer = _RESPONSE_OUTCOME[outcome]
    if answer is ResponseOutcome.DISCLOSED:
        return answer, shown, " ".join((_DISCLOSED_EXPLANATION, *_messages(shown)))
    if answer is ResponseOutcome.NOT_DISCLOSED:
        shown = (
            _registered("identity_not_established"),
            *shown,
            *(_registered(code) for code in request.lacks()),
        )
    elif answer is ResponseOutcome.PENDING_REVIEW:
        shown = (_registered("pending_review"), *shown)
    return answer, shown, " ".join(_messages(shown)) or answer.value


def _messages(reasons: Sequence[Reason]) -> list[str]:
    return list(dict.fromkeys(r.message for r in reasons))


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
    outcome: ResponseOutcome
    reason_codes: str
    explanation: str
    match_probability: float | None = None
    address: DisclosedAddress | None = None

    @classmethod
    def of(
        cls,
        *,
        row_number: int,
        request_id: str,
        outcome: Outcome,
        reasons: Sequence[Reason],
        request: RequestShape,
        match_probability: float | None,
        address: DisclosedAddress | None,
    ) -> ResponseRow:
        answer, shown, explanation = requester_view(outcome, reasons, request)
        disclosed = answer is ResponseOutcome.DISCLOSED
        return cls(
            row_number=row_number,
            request_id=request_id,
            outcome=answer,
            reason_codes=join_codes(shown),
            explanation=explanation,
            match_probability=match_probability if disclosed else None,
            address=address if disclosed else None,
        )

    def __post_init__(self) -> None:
        # ValueError for an outcome the requester is never told (no_match, ambiguous, ...).
        object.__setattr__(self, "outcome", ResponseOutcome(self.outcome))
        if (self.outcome is ResponseOutcome.DISCLOSED) != (self.address is not None):
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


_WANTED_ADDRESSES = "CREATE OR REPLACE TEMP TABLE wanted_addresses AS SELECT * FROM _wanted_arrow"
# Per wanted row, the address of the latest tax year filed within its years (any year
# when ``years`` is NULL).
_LATEST_ADDRESSES = """
        SELECT row_number, street, city, state, zip, tax_year FROM (
            SELECT w.row_number, a.street, a.city, a.state, a.zip, a.tax_year,
                   row_number() OVER (PARTITION BY w.row_number ORDER BY a.tax_year DESC) AS rn
            FROM wanted_addresses w
            JOIN taxpayer_addresses a
              ON a.tin = w.tin AND (w.years IS NULL OR list_contains(w.years, a.tax_year))
        ) WHERE rn = 1
        """


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
    with sql.registered(con, "_wanted_arrow", table):
        sql.run(con, _WANTED_ADDRESSES, label="response.wanted_addresses")
    result = sql.fetch_all(con, _LATEST_ADDRESSES, label="response.latest_addresses")
    return {
        int(row_number): DisclosedAddress(
            street=street, city=city, state=state, zip=zip_code, tax_year=int(tax_year)
        )
        for row_number, street, city, state, zip_code, tax_year in result
    }
