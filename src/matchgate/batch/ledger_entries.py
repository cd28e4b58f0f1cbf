"""What the ledger records for one batch: the batch, every row's decision, every disclosure.

Entries are read from the batch's ``final_rows`` and appended in chunks, one transaction
each. Idempotency keys are derived from the batch id and row number, so recording the
same batch again (a re-run, or a run resumed after a crash) adds nothing.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from matchgate import sql
from matchgate.batch.faults import chunk_rows, kill_point
from matchgate.batch.memo import BoundedMemo
from matchgate.batch.rows import reasons_from_json as _reasons
from matchgate.batch.workspace import Workspace, file_sha256
from matchgate.decisions import Outcome, join_codes
from matchgate.intake.columns import load_mapping
from matchgate.ledger import EntryKind, Ledger, NewEntry

if TYPE_CHECKING:
    from matchgate.batch.rows import FinalRow
    from matchgate.review import RequestLetter

__all__ = ["disclosure_entry", "disclosure_id", "record_batch"]

_CHUNK = 5_000
# Every final row in row order with what its entries need: the decision only where the row
# discloses (a row answered once, not a repeat of another), the request's own fields.
_LEDGER_ROWS = (
    "SELECT f.row_number, f.request_id, f.outcome, f.reasons_json, "
    # A disclosing row's chosen taxpayer and probability, read from the stored decision in
    # SQL (the probability as its JSON text, which Python reads as json.loads would).
    "CASE WHEN f.outcome = 'disclosed' AND f.duplicate_of IS NULL AND f.tax_year IS NOT NULL "
    "THEN json_extract_string(f.decision_json, '$.best.tin') END, "
    "CASE WHEN f.outcome = 'disclosed' AND f.duplicate_of IS NULL AND f.tax_year IS NOT NULL "
    "THEN json_extract(f.decision_json, '$.best.match_probability')::VARCHAR END, "
    "f.street, f.city, f.state, f.zip, f.tax_year, "
    "q.statute, q.case_number, q.reason, q.tax_periods "
    "FROM final_rows f LEFT JOIN request_rows q ON q.row_number = f.row_number "
    "ORDER BY f.row_number"
)
_FETCH = 20_000


def _codes(reasons_json: str | None) -> str:
    return join_codes(_reasons(reasons_json))


def disclosure_id(batch_id: str, row_number: int) -> str:
    return f"D-{batch_id[:12]}-{row_number}"


class _Recipients:
    """The officers a disclosure goes to: those the letter names for the row's case, else
    every officer it names. The case index is built once per batch, not searched per row."""

    def __init__(self, letter: RequestLetter) -> None:
        self._everyone = [o.name for o in letter.officers]
        self._by_case: dict[str, list[str]] = {}
        for officer in letter.officers:
            for case in dict.fromkeys(officer.case_numbers):
                self._by_case.setdefault(case, []).append(officer.name)

    def __call__(self, case_number: str) -> list[str]:
        return list(self._by_case.get(case_number) or self._everyone)


def _mapping_fields(mapping_path: Path | None) -> dict[str, object]:
    """How the request file's columns were read: the mapping file's hash and its
    ``header=field`` pairs (column names only, never a value); empty text when the columns
    were recognised by their names alone."""
    if mapping_path is None:
        return {"mapping_sha256": "", "mapping_columns": []}
    columns = load_mapping(mapping_path)
    return {
        "mapping_sha256": file_sha256(mapping_path),
        "mapping_columns": [f"{header}={field}" for header, field in sorted(columns.items())],
    }


def record_batch(
    con: duckdb.DuckDBPyConnection,
    space: Workspace,
    *,
    batch_id: str,
    letter: RequestLetter,
    requests_path: Path,
    rows_in: int,
    policy_sha256: str,
    actor: str,
    ledger_url: str | None = None,
    ledger_key: Path | None = None,
    policy_text: str = "",
    mapping_path: Path | None = None,
) -> int:
    """Append the batch's entries (those already recorded are skipped by their
    idempotency keys); returns how many entries the batch has in the ledger."""
    received = _batch_received(
        batch_id=batch_id,
        letter=letter,
        requests_path=requests_path,
        rows_in=rows_in,
        policy_sha256=policy_sha256,
        policy_text=policy_text,
        mapping_path=mapping_path,
    )
    rows = _row_entries(con, batch_id=batch_id, letter=letter)
    with Ledger.open(space.root, url=ledger_url, key_path=ledger_key) as ledger:
        return _append_in_chunks(ledger, itertools.chain([received], rows), actor=actor)


def _batch_received(
    *,
    batch_id: str,
    letter: RequestLetter,
    requests_path: Path,
    rows_in: int,
    policy_sha256: str,
    policy_text: str,
    mapping_path: Path | None = None,
) -> NewEntry:
    """The batch's first entry: who asked, under which letter, with which file read how."""
    return NewEntry(
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
            "policy_in_force": policy_text,
            # The officers the letter names and how many cases each (6103(i)(2)(A)), so the
            # yearly report can count officers and cases per officer from the ledger alone.
            "officers": [officer.name for officer in letter.officers],
            "officer_case_counts": [len(officer.case_numbers) for officer in letter.officers],
            **_mapping_fields(mapping_path),
        },
        idempotency_key=f"{batch_id}:batch",
    )


def _row_entries(
    con: duckdb.DuckDBPyConnection, *, batch_id: str, letter: RequestLetter
) -> Iterator[NewEntry]:
    """Every row's decision in row order, each disclosure right after its row's decision.

    Rows are read a chunk at a time in one query, so the batch never sits in Python whole."""
    recipients = _Recipients(letter)
    codes_of = BoundedMemo(_codes)
    cursor = con.cursor()
    sql.run(cursor, _LEDGER_ROWS, label="ledger_entries.ledger_rows")
    while rows := cursor.fetchmany(_FETCH):
        for row in rows:
            (row_number, request_id, outcome, reasons_json, tin, probability, *rest) = row
            street, city, state, zip_code, tax_year, statute, case, reason, periods = rest
            codes = codes_of(reasons_json)
            row_number = int(row_number)
            yield NewEntry(
                kind=EntryKind.ROW_DECISION,
                payload={
                    "batch_id": batch_id,
                    "row_number": row_number,
                    "request_id": request_id or "",
                    "outcome": Outcome(outcome).value,
                    "reason_codes": codes,
                    "statute": statute or "",
                },
                idempotency_key=f"{batch_id}:row:{row_number}",
            )
            if tin is None or probability is None:
                continue  # discloses nothing, or a repeat whose first row is the record
            yield _disclosure(
                batch_id=batch_id,
                row_number=row_number,
                request_id=request_id or "",
                tin=str(tin),
                match_probability=float(probability),
                letter=letter,
                recipients=recipients(case or ""),
                request_fields=(statute or "", case or "", reason or "", periods or ""),
                address=(street, city, state, zip_code, int(tax_year)),
            )
    cursor.close()


def _disclosure(
    *,
    batch_id: str,
    row_number: int,
    request_id: str,
    tin: str,
    match_probability: float,
    letter: RequestLetter,
    recipients: list[str],
    request_fields: tuple[str, str, str, str],
    address: tuple[str, str, str, str, int],
) -> NewEntry:
    """The accounting of one disclosed address (the one shape every disclosure entry has)."""
    statute, case_number, reason, tax_periods = request_fields
    street, city, state, zip_code, tax_year = address
    return NewEntry(
        kind=EntryKind.DISCLOSURE,
        payload={
            "disclosure_id": disclosure_id(batch_id, row_number),
            "batch_id": batch_id,
            "row_number": row_number,
            "request_id": request_id,
            "tin": tin,
            "agency": letter.agency,
            "agency_code": letter.agency_code,
            "recipients": recipients,
            "statute": statute,
            "case_number": case_number,
            "reason": reason,
            "tax_periods": tax_periods,
            "disclosed_street": street,
            "disclosed_city": city,
            "disclosed_state": state,
            "disclosed_zip": zip_code,
            "disclosed_tax_year": tax_year,
            "match_probability": match_probability,
        },
        idempotency_key=f"{batch_id}:disclosure:{row_number}",
    )


def disclosure_entry(
    row: FinalRow,
    *,
    batch_id: str,
    letter: RequestLetter,
    request_fields: tuple[str, str, str, str],
) -> NewEntry | None:
    """The disclosure entry of one row, exactly as :func:`record_batch` writes it; for a
    row a person released after the batch was recorded. ``request_fields`` is the row's
    (statute, case_number, reason, tax_periods). None when the row discloses nothing (a
    repeat row is answered by its first row's disclosure)."""
    if row.outcome is not Outcome.DISCLOSED or row.duplicate_of is not None:
        return None
    address = row.address
    best = row.decision.best if row.decision else None
    if address is None or best is None:
        return None
    return _disclosure(
        batch_id=batch_id,
        row_number=row.row_number,
        request_id=row.request_id,
        tin=best.tin,
        match_probability=best.match_probability,
        letter=letter,
        recipients=_Recipients(letter)(request_fields[1]),
        request_fields=request_fields,
        address=(address.street, address.city, address.state, address.zip, address.tax_year),
    )


def _append_in_chunks(ledger: Ledger, entries: Iterable[NewEntry], *, actor: str) -> int:
    """Append ``entries`` a chunk per transaction; returns how many the ledger holds."""
    written = 0
    chunk: list[NewEntry] = []
    for entry in entries:
        chunk.append(entry)
        if len(chunk) >= chunk_rows(_CHUNK):
            written += len(ledger.append_many(chunk, actor=actor))
            chunk = []
            kill_point("ledger_chunk")
    if chunk:
        written += len(ledger.append_many(chunk, actor=actor))
    return written
