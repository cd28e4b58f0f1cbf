"""The disclosure index: rows derived from disclosure and retraction entries.

The index exists so accounting questions (every disclosure about one taxpayer, every
disclosure to one agency in a year) do not need a scan of the whole chain. It is derived
by the pure functions here, both when entries are appended and when ``verify`` rebuilds
it to check that the stored index still agrees with the entries.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from matchgate.ledger._entries import LedgerEntry, canonical_json

__all__ = [
    "DisclosureRecord",
    "index_row_for_disclosure",
    "normalize_tin",
    "record_from_row",
    "retraction_update",
]


@dataclass(frozen=True, slots=True)
class DisclosureRecord:
    """One disclosure as accounted for under 26 U.S.C. 6103(p)(3)(A)."""

    disclosure_id: str
    sequence: int
    tin: str
    agency: str
    agency_code: str
    recipients: tuple[str, ...]
    statute: str
    case_number: str
    reason: str
    disclosed_at: str
    batch_id: str
    row_number: int
    request_id: str
    disclosed_street: str
    disclosed_city: str
    disclosed_state: str
    disclosed_zip: str
    tax_year: str
    match_probability: float | None
    retracted_at: str | None
    retraction_reason: str | None
    retraction_sequence: int | None = None

    @property
    def retracted(self) -> bool:
        return self.retracted_at is not None

    def as_dict(self) -> dict[str, Any]:
        values = asdict(self)
        values["recipients"] = list(self.recipients)
        return values


def normalize_tin(tin: str) -> str:
    """TINs are compared without the dashes and spaces people type into them."""
    return "".join(character for character in str(tin) if character not in "- ")


def _text(value: Any) -> str:
    if value is None:
        return ""
    return str(value)


def index_row_for_disclosure(entry: LedgerEntry, payload: Mapping[str, Any]) -> dict[str, Any]:
    """The ``ledger_disclosures`` row that a disclosure entry implies (not yet retracted)."""
    recipients = payload.get("recipients")
    if isinstance(recipients, str):
        recipients = [recipients]
    probability = payload.get("match_probability")
    return {
        "disclosure_id": _text(payload["disclosure_id"]),
        "sequence": entry.sequence,
        "tin": normalize_tin(_text(payload["tin"])),
        "agency": _text(payload["agency"]),
        "agency_code": _text(payload.get("agency_code")),
        "recipients": canonical_json([_text(name) for name in recipients or []]),
        "statute": _text(payload["statute"]),
        "case_number": _text(payload["case_number"]),
        "reason": _text(payload["reason"]),
        "disclosed_at": entry.recorded_at,
        "batch_id": _text(payload["batch_id"]),
        "row_number": int(payload["row_number"]),
        "request_id": _text(payload["request_id"]),
        "disclosed_street": _text(payload["disclosed_street"]),
        "disclosed_city": _text(payload["disclosed_city"]),
        "disclosed_state": _text(payload["disclosed_state"]),
        "disclosed_zip": _text(payload["disclosed_zip"]),
        "tax_year": _text(payload["disclosed_tax_year"]),
        "match_probability": (float(probability) if isinstance(probability, int | float) else None),
        "retracted_at": None,
        "retraction_sequence": None,
        "retraction_reason": None,
    }


def retraction_update(entry: LedgerEntry, payload: Mapping[str, Any]) -> dict[str, Any]:
    """The columns a retraction entry sets on its disclosure's index row."""
    return {
        "retracted_at": entry.recorded_at,
        "retraction_sequence": entry.sequence,
        "retraction_reason": _text(payload["reason"]),
    }


def record_from_row(row: Mapping[Any, Any]) -> DisclosureRecord:
    probability = row["match_probability"]
    return DisclosureRecord(
        disclosure_id=row["disclosure_id"],
        sequence=int(row["sequence"]),
        tin=row["tin"],
        agency=row["agency"],
        agency_code=row["agency_code"],
        recipients=tuple(json.loads(row["recipients"])),
        statute=row["statute"],
        case_number=row["case_number"],
        reason=row["reason"],
        disclosed_at=row["disclosed_at"],
        batch_id=row["batch_id"],
        row_number=int(row["row_number"]),
        request_id=row["request_id"],
        disclosed_street=row["disclosed_street"],
        disclosed_city=row["disclosed_city"],
        disclosed_state=row["disclosed_state"],
        disclosed_zip=row["disclosed_zip"],
        tax_year=row["tax_year"],
        match_probability=float(probability) if probability is not None else None,
        retracted_at=row["retracted_at"],
        retraction_reason=row["retraction_reason"],
        retraction_sequence=(
            int(row["retraction_sequence"]) if row["retraction_sequence"] is not None else None
        ),
    )
