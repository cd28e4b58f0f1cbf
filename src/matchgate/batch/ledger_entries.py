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
from matchgate.batch.rows import FinalRow, read_final_rows
from matchgate.batch.workspace import Workspace, file_sha256
from matchgate.decisions import Outcome, join_codes
from matchgate.ledger import EntryKind, Ledger, NewEntry

if TYPE_CHECKING:
    from matchgate.review import RequestLetter

__all__ = ["disclosure_entry", "disclosure_id", "record_batch"]

_CHUNK = 5_000
_DISCLOSED_REQUEST_FIELDS = (
    "SELECT q.row_number, q.statute, q.case_number, q.reason, q.tax_periods "
    "FROM request_rows q JOIN final_rows f ON f.row_number = q.row_number "
    "WHERE f.outcome = 'disclosed' AND f.duplicate_of IS NULL"
)


def disclosure_id(batch_id: str, row_number: int) -> str:
    return f"D-{batch_id[:12]}-{row_number}"


def _recipients(letter: RequestLetter, case_number: str) -> list[str]:
    named = [o.name for o in letter.officers if case_number in o.case_numbers]
    return named or [o.name for o in letter.officers]


def _request_fields(con: duckdb.DuckDBPyConnection) -> dict[int, tuple[str, str, str, str]]:
    """(statute, case_number, reason, tax_periods) of the rows disclosed."""
    rows = sql.fetch_all(con, _DISCLOSED_REQUEST_FIELDS, label="ledger_entries.request_fields")
    return {int(r[0]): (r[1] or "", r[2] or "", r[3] or "", r[4] or "") for r in rows}


_ROW_STATUTES = "SELECT row_number, statute FROM request_rows"


def _row_statutes(con: duckdb.DuckDBPyConnection) -> dict[int, str]:
    """The statute each request row cites (for the yearly report per agency and statute)."""
    rows = sql.fetch_all(con, _ROW_STATUTES, label="ledger_entries.row_statutes")
    return {int(r[0]): r[1] or "" for r in rows}


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
) -> NewEntry:
    """The batch's first entry: who asked, under which letter, with which file."""
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
        },
        idempotency_key=f"{batch_id}:batch",
    )


def _row_entries(
    con: duckdb.DuckDBPyConnection, *, batch_id: str, letter: RequestLetter
) -> Iterator[NewEntry]:
    """Every row's decision in row order, each disclosure right after its row's decision."""
    fields = _request_fields(con)
    statutes = _row_statutes(con)
    for row in read_final_rows(con):
        yield NewEntry(
            kind=EntryKind.ROW_DECISION,
            payload={
                "batch_id": batch_id,
                "row_number": row.row_number,
                "request_id": row.request_id,
                "outcome": row.outcome.value,
                "reason_codes": join_codes(row.reasons),
                "statute": statutes.get(row.row_number, ""),
            },
            idempotency_key=f"{batch_id}:row:{row.row_number}",
        )
        disclosure = _disclosure(row, batch_id=batch_id, letter=letter, fields=fields)
        if disclosure is not None:
            yield disclosure


def _disclosure(
    row: FinalRow,
    *,
    batch_id: str,
    letter: RequestLetter,
    fields: dict[int, tuple[str, str, str, str]],
) -> NewEntry | None:
    """The accounting of the address a row discloses; None when it discloses nothing."""
    # A duplicate row is answered once: the first row's disclosure is the record.
    if row.outcome is not Outcome.DISCLOSED or row.duplicate_of is not None:
        return None
    address = row.address
    best = row.decision.best if row.decision else None
    if address is None or best is None:
        return None
    statute, case_number, reason, tax_periods = fields[row.row_number]
    return NewEntry(
        kind=EntryKind.DISCLOSURE,
        payload={
            "disclosure_id": disclosure_id(batch_id, row.row_number),
            "batch_id": batch_id,
            "row_number": row.row_number,
            "request_id": row.request_id,
            "tin": best.tin,
            "agency": letter.agency,
            "agency_code": letter.agency_code,
            "recipients": _recipients(letter, case_number),
            "statute": statute,
            "case_number": case_number,
            "reason": reason,
            "tax_periods": tax_periods,
            "disclosed_street": address.street,
            "disclosed_city": address.city,
            "disclosed_state": address.state,
            "disclosed_zip": address.zip,
            "disclosed_tax_year": address.tax_year,
            "match_probability": best.match_probability,
        },
        idempotency_key=f"{batch_id}:disclosure:{row.row_number}",
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
    (statute, case_number, reason, tax_periods)."""
    return _disclosure(
        row, batch_id=batch_id, letter=letter, fields={row.row_number: request_fields}
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
