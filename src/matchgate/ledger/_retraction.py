"""Disposal notices: what a recipient agency must destroy after a retraction.

The notice names the records by the agency's own request (batch, row, request id, case
number) and the address that was sent. It never carries the TIN: the agency may not have
sent one, and the notice must not become a new disclosure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from matchgate.errors import LedgerError
from matchgate.ledger._disclosures import DisclosureRecord
from matchgate.ledger._entries import LedgerEntry
from matchgate.safe_csv import SafeCsvWriter

__all__ = ["DISPOSAL_COLUMNS", "RetractionNotice", "write_disposal_notice"]

DISPOSAL_COLUMNS = (
    "disclosure_id",
    "agency",
    "batch_id",
    "request_row_number",
    "request_id",
    "case_number",
    "statute",
    "disclosed_at",
    "disclosed_street",
    "disclosed_city",
    "disclosed_state",
    "disclosed_zip",
    "disclosed_tax_year",
    "retracted_at",
    "retraction_reason",
)


@dataclass(frozen=True, slots=True)
class RetractionNotice:
    """A recorded retraction and the files written for the recipient agency."""

    disclosure_id: str
    agency: str
    recipients: tuple[str, ...]
    reason: str
    actor: str
    retracted_at: str
    entry: LedgerEntry
    csv_path: Path
    letter_path: Path


def _file_stem(disclosure_id: str) -> str:
    return "disposal-notice-" + re.sub(r"[^A-Za-z0-9._-]+", "_", disclosure_id)[:100]


def write_disposal_notice(
    record: DisclosureRecord, entry: LedgerEntry, *, out_dir: Path
) -> RetractionNotice:
    payload = entry.payload_dict()
    reason = str(payload["reason"])
    stem = _file_stem(record.disclosure_id)
    csv_path = out_dir / f"{stem}.csv"
    letter_path = out_dir / f"{stem}.md"
    row = {
        "disclosure_id": record.disclosure_id,
        "agency": record.agency,
        "batch_id": record.batch_id,
        "request_row_number": record.row_number,
        "request_id": record.request_id,
        "case_number": record.case_number,
        "statute": record.statute,
        "disclosed_at": record.disclosed_at,
        "disclosed_street": record.disclosed_street,
        "disclosed_city": record.disclosed_city,
        "disclosed_state": record.disclosed_state,
        "disclosed_zip": record.disclosed_zip,
        "disclosed_tax_year": record.tax_year,
        "retracted_at": entry.recorded_at,
        "retraction_reason": reason,
    }
    try:
        SafeCsvWriter.write_file(csv_path, DISPOSAL_COLUMNS, [row])
        letter_path.write_text(_letter(record, entry, reason, csv_path.name), encoding="utf-8")
    except OSError as exc:
        raise LedgerError(
            f"the retraction is recorded (entry {entry.sequence}) but the disposal notice"
            f" could not be written: {exc}",
            path=out_dir,
        ) from exc
    return RetractionNotice(
        disclosure_id=record.disclosure_id,
        agency=record.agency,
        recipients=record.recipients,
        reason=reason,
        actor=entry.actor,
        retracted_at=entry.recorded_at,
        entry=entry,
        csv_path=csv_path,
        letter_path=letter_path,
    )


def _markdown_text(value: str) -> str:
    """Text from a request, made inert in Markdown (no links, emphasis or HTML)."""
    return re.sub(r"([\\`*_{}\[\]()<>#+!|~])", r"\\\1", value.replace("\n", " "))


def _letter(record: DisclosureRecord, entry: LedgerEntry, reason: str, csv_name: str) -> str:
    recipients = ", ".join(_markdown_text(name) for name in record.recipients) or "(none named)"
    disclosure_id = _markdown_text(record.disclosure_id)
    return "\n".join(
        [
            f"# Notice of retraction and disposal: disclosure {disclosure_id}",
            "",
            f"To: {_markdown_text(record.agency)}",
            f"Officers who received the information: {recipients}",
            "",
            f"On {record.disclosed_at[:10]} an address was disclosed to your agency under"
            f" 26 U.S.C. 6103(i)(2) in answer to request {_markdown_text(record.request_id)}"
            f" (batch {_markdown_text(record.batch_id)}, row {record.row_number}, case"
            f" {_markdown_text(record.case_number)}, statute {_markdown_text(record.statute)}).",
            "",
            f"That disclosure has been retracted on {entry.recorded_at[:10]} for this reason:"
            f" {_markdown_text(reason)}",
            "",
            f"The address listed in `{csv_name}` must not be used. Destroy every copy of it,"
            " including copies held by the officers named above and any copy made from them,"
            " as required by the safeguards of 26 U.S.C. 6103(p)(4) and IRS Publication 1075,"
            " and confirm the destruction in writing, quoting the disclosure id above.",
            "",
            f"Ledger entry {entry.sequence} ({entry.entry_id}) records this retraction.",
            "",
        ]
    )
