"""``record_batch``: the batch, every row and every disclosure, once, read back with the
public ledger API."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from matchgate.batch.ledger_entries import disclosure_id, record_batch
from matchgate.batch.rows import read_final_rows
from matchgate.batch.workspace import Workspace
from matchgate.decisions import Outcome
from matchgate.ledger import Ledger

if TYPE_CHECKING:
    from conftest import StagedBatch


def _record(staged: StagedBatch, con, space: Workspace) -> int:
    return record_batch(
        con,
        space,
        batch_id=staged.results["batch_id"],
        letter=staged.letter,
        requests_path=staged.requests,
        rows_in=staged.rows,
        policy_sha256="",
        actor="tester",
    )


def test_record_batch_accounts_for_every_disclosure(
    staged: StagedBatch, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MATCHGATE_CHUNK_ROWS", "7")  # several ledger transactions
    con = staged.open("final_rows", tmp_path)
    space = Workspace.open(tmp_path / "ws")
    rows = list(read_final_rows(con))
    disclosed = [r for r in rows if r.outcome is Outcome.DISCLOSED and r.duplicate_of is None]
    expected = 1 + len(rows) + len(disclosed)
    assert len(disclosed) == staged.results["outcomes"]["disclosed"] - 1  # the repeat
    assert _record(staged, con, space) == expected
    # Again (a re-run): the same entries, nothing added.
    assert _record(staged, con, space) == expected
    with Ledger.open(space.root, read_only=True) as ledger:
        assert ledger.verify().ok
        for row in disclosed:
            record = ledger.disclosure(disclosure_id(staged.results["batch_id"], row.row_number))
            assert record is not None, row.row_number
            assert row.address is not None
            assert (record.disclosed_street, record.disclosed_zip) == (
                row.address.street,
                row.address.zip,
            )
            assert record.tin == row.disclosed_tin
        assert (
            ledger.disclosure(disclosure_id(staged.results["batch_id"], staged.duplicate_row))
            is None
        )
    exported = tmp_path / "export.jsonl"
    with Ledger.open(space.root) as ledger:
        ledger.export(exported)
    kinds = [line for line in exported.read_text().splitlines() if '"row_decision"' in line]
    assert len(kinds) == staged.rows


def test_disclosure_id() -> None:
    assert disclosure_id("0123456789abcdefghij", 17) == "D-0123456789ab-17"


class _Crash(Exception):
    """Stands for the process dying (kill -9) at a kill point."""


def _batch_entries(space: Workspace) -> list[tuple[str, str]]:
    with Ledger.open(space.root, read_only=True) as ledger:
        assert ledger.verify().ok
        return [(e.kind, e.idempotency_key) for e in ledger.entries() if e.kind != "checkpoint"]


def test_a_crash_between_two_ledger_chunks_resumes_without_gaps_or_repeats(
    staged: StagedBatch, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunks commit one by one: a crash after the first leaves exactly that chunk, hashed
    and signed, and the run again appends the rest in the same order, each entry once."""
    import matchgate.batch.ledger_entries as ledger_entries

    monkeypatch.setenv("MATCHGATE_CHUNK_ROWS", "7")
    uninterrupted = Workspace.open(tmp_path / "whole")
    expected = _record(staged, staged.open("final_rows", tmp_path / "a"), uninterrupted)
    reference = _batch_entries(uninterrupted)
    assert len(reference) == expected > 14  # more than two chunks

    def crash_at(point: str) -> None:
        if point == "ledger_chunk":
            raise _Crash(point)

    space = Workspace.open(tmp_path / "ws")
    con = staged.open("final_rows", tmp_path / "b")
    monkeypatch.setattr(ledger_entries, "kill_point", crash_at)
    with pytest.raises(_Crash):
        _record(staged, con, space)
    assert _batch_entries(space) == reference[:7]  # the first chunk, committed, nothing more
    monkeypatch.undo()
    monkeypatch.setenv("MATCHGATE_CHUNK_ROWS", "7")
    assert _record(staged, con, space) == expected
    assert _batch_entries(space) == reference  # the rest, in order, nothing twice


def _expected_payloads(staged: StagedBatch, con) -> list[dict[str, object]]:
    """The entries as the per-row construction wrote them: each final row read whole, the
    recipients searched officer by officer."""
    from matchgate.decisions import join_codes

    batch_id, letter = staged.results["batch_id"], staged.letter
    asked = {
        int(r[0]): r[1:]
        for r in con.execute(
            "SELECT row_number, statute, case_number, reason, tax_periods FROM request_rows"
        ).fetchall()
    }
    expected: list[dict[str, object]] = []
    for row in read_final_rows(con):
        statute, case, reason, periods = (value or "" for value in asked[row.row_number])
        expected.append(
            {
                "batch_id": batch_id,
                "row_number": row.row_number,
                "request_id": row.request_id,
                "outcome": row.outcome.value,
                "reason_codes": join_codes(row.reasons),
                "statute": statute,
            }
        )
        best = row.decision.best if row.decision else None
        if row.outcome is not Outcome.DISCLOSED or row.duplicate_of is not None:
            continue
        if row.address is None or best is None:
            continue
        named = [o.name for o in letter.officers if case in o.case_numbers]
        expected.append(
            {
                "disclosure_id": disclosure_id(batch_id, row.row_number),
                "batch_id": batch_id,
                "row_number": row.row_number,
                "request_id": row.request_id,
                "tin": best.tin,
                "agency": letter.agency,
                "agency_code": letter.agency_code,
                "recipients": named or [o.name for o in letter.officers],
                "statute": statute,
                "case_number": case,
                "reason": reason,
                "tax_periods": periods,
                "disclosed_street": row.address.street,
                "disclosed_city": row.address.city,
                "disclosed_state": row.address.state,
                "disclosed_zip": row.address.zip,
                "disclosed_tax_year": row.address.tax_year,
                "match_probability": best.match_probability,
            }
        )
    return expected


def test_streamed_entries_equal_the_per_row_construction(
    staged: StagedBatch, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MATCHGATE_CHUNK_ROWS", "5")
    con = staged.open("final_rows", tmp_path)
    space = Workspace.open(tmp_path / "ws")
    _record(staged, con, space)
    with Ledger.open(space.root, read_only=True) as ledger:
        stored = [
            e.payload_dict() for e in ledger.entries() if e.kind in ("row_decision", "disclosure")
        ]
    expected = _expected_payloads(staged, con)
    assert any(len(p.get("recipients", [])) for p in expected)
    assert stored == expected
