"""What the ledger records for one batch: the batch, every row's decision, every disclosure.

Idempotency keys are derived from the batch id and row number, so recording the same
batch twice (a re-run, or a resumed run after a crash) adds nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from matchgate.decisions import Outcome
from matchgate.ledger import EntryKind, Ledger, NewEntry
from matchgate.workspace import Workspace, file_sha256

if TYPE_CHECKING:
    from matchgate.disclose import ResponseRow
    from matchgate.review import RequestLetter
    from matchgate.staging import StagedRow

__all__ = ["disclosure_id", "record_batch"]

_CHUNK = 10_000


def disclosure_id(batch_id: str, row_number: int) -> str:
    return f"D-{batch_id[:12]}-{row_number}"


def _recipients(letter: RequestLetter, case_number: str) -> list[str]:
    named = [o.name for o in letter.officers if case_number in o.case_numbers]
    return named or [o.name for o in letter.officers]


def record_batch(
    space: Workspace,
    *,
    batch_id: str,
    letter: RequestLetter,
    requests_path: Path,
    rows_in: int,
    policy_sha256: str,
    outcomes: dict[int, tuple[Outcome, str]],
    request_ids: dict[int, str],
    disclosed: Sequence[tuple[StagedRow, ResponseRow, int | None]],
    tins: dict[int, str],
    actor: str,
) -> int:
    """Append the batch's entries; returns how many were new."""

    def entries() -> Iterator[NewEntry]:
        yield NewEntry(
            kind=EntryKind.BATCH_RECEIVED,
            payload={
                "batch_id": batch_id,
                "agency": letter.agency,
                "agency_code": letter.agency_code,
                "signer_name": letter.signer_name,
                "signer_title": letter.signer_title,
                "date_signed": letter.date_signed.isoformat(),
                "requests_file": requests_path.name,
                "requests_sha256": file_sha256(requests_path),
                "rows_in": rows_in,
                "policy_sha256": policy_sha256,
            },
            idempotency_key=f"{batch_id}:batch",
        )
        for row_number in sorted(outcomes):
            outcome, codes = outcomes[row_number]
            yield NewEntry(
                kind=EntryKind.ROW_DECISION,
                payload={
                    "batch_id": batch_id,
                    "row_number": row_number,
                    "request_id": request_ids.get(row_number, ""),
                    "outcome": outcome.value,
                    "reason_codes": codes,
                },
                idempotency_key=f"{batch_id}:row:{row_number}",
            )
        for staged, response, duplicate_of in disclosed:
            if duplicate_of is not None:
                continue  # answered once: the first row's disclosure is the one recorded
            record = staged.record
            address = response.address
            assert address is not None
            yield NewEntry(
                kind=EntryKind.DISCLOSURE,
                payload={
                    "disclosure_id": disclosure_id(batch_id, staged.row_number),
                    "batch_id": batch_id,
                    "row_number": staged.row_number,
                    "request_id": record.request_id,
                    "tin": tins[staged.row_number],
                    "agency": letter.agency,
                    "agency_code": letter.agency_code,
                    "recipients": _recipients(letter, record.case_number),
                    "statute": record.statute,
                    "case_number": record.case_number,
                    "reason": record.reason,
                    "tax_periods": record.tax_periods,
                    "disclosed_street": address.street,
                    "disclosed_city": address.city,
                    "disclosed_state": address.state,
                    "disclosed_zip": address.zip,
                    "disclosed_tax_year": address.tax_year,
                    "match_probability": response.match_probability,
                },
                idempotency_key=f"{batch_id}:disclosure:{staged.row_number}",
            )

    written = 0
    with Ledger.open(space.root) as ledger:
        chunk: list[NewEntry] = []
        for entry in entries():
            chunk.append(entry)
            if len(chunk) >= _CHUNK:
                written += len(ledger.append_many(chunk, actor=actor))
                chunk = []
        if chunk:
            written += len(ledger.append_many(chunk, actor=actor))
    return written
