"""Accounting of disclosures (6103(p)(3)(A)), retraction, and the yearly report ((p)(3)(C))."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from matchgate.errors import LedgerError
from matchgate.ledger import EntryKind, Ledger, NewEntry

from .conftest import Backend, FixedClock, batch_entries

SHARED_TIN = "111-22-3333"


def history(backend: Backend, clock: FixedClock) -> Ledger:
    """Two agencies over two years; one taxpayer disclosed three times."""
    ledger = backend.open(clock=clock, checkpoint_every=7)
    clock.set(datetime(2025, 3, 1, 12, 0, tzinfo=UTC))
    ledger.append_many(
        batch_entries(
            "B1",
            rows=10,
            disclosed=(2, 5, 9),
            tins=lambda row: SHARED_TIN if row in (2, 5) else "900000009",
        ),
        actor="pipeline",
    )
    clock.set(datetime(2025, 7, 1, 9, 30, tzinfo=UTC))
    ledger.append_many(
        batch_entries(
            "B2",
            rows=4,
            disclosed=(1,),
            agency="Agency B",
            tins=lambda row: SHARED_TIN,
            statute="8 U.S.C. 1326",
        ),
        actor="pipeline",
    )
    clock.set(datetime(2026, 1, 2, 8, 0, tzinfo=UTC))
    ledger.append_many(batch_entries("B3", rows=6, disclosed=(3,)), actor="pipeline")
    return ledger


def test_every_disclosure_about_one_taxpayer(backend: Backend, clock: FixedClock) -> None:
    ledger = history(backend, clock)
    records = ledger.disclosures_for_tin(SHARED_TIN)
    assert [(r.batch_id, r.row_number, r.agency) for r in records] == [
        ("B1", 2, "Agency A"),
        ("B1", 5, "Agency A"),
        ("B2", 1, "Agency B"),
    ]
    first = records[0]
    assert first.recipients == ("Officer Lane", "Officer Diaz")
    assert first.statute == "18 U.S.C. 1028" and first.case_number == "CASE-2"
    assert first.reason.startswith("Witness")
    assert first.disclosed_at.startswith("2025-03-01T12:00")
    assert (first.disclosed_street, first.disclosed_zip, first.tax_year) == (
        "2 Main St",
        "62701",
        "2024",
    )
    assert first.retracted_at is None and not first.retracted
    assert ledger.disclosures_for_tin("111223333") == records
    assert ledger.disclosures_for_tin("000000000") == []
    assert records[2].as_dict()["recipients"] == ["Officer Lane", "Officer Diaz"]


def test_every_disclosure_to_one_agency_in_a_year(backend: Backend, clock: FixedClock) -> None:
    ledger = history(backend, clock)
    in_2025 = ledger.disclosures_for_agency("Agency A", 2025)
    assert [(r.batch_id, r.row_number) for r in in_2025] == [("B1", 2), ("B1", 5), ("B1", 9)]
    assert ledger.disclosures_for_agency("agency a", 2025) == in_2025
    assert ledger.disclosures_for_agency("AA", 2025) == in_2025  # by agency code
    assert [r.batch_id for r in ledger.disclosures_for_agency("Agency A", 2026)] == ["B3"]
    assert ledger.disclosures_for_agency("Agency A", 2024) == []
    assert len(ledger.disclosures_for_agency("Agency B", 2025)) == 1


def test_oversight_report_counts_per_agency(backend: Backend, clock: FixedClock) -> None:
    ledger = history(backend, clock)
    report = ledger.oversight_report(2025)
    assert [line.agency for line in report.agencies] == ["Agency A", "Agency B"]
    agency_a, agency_b = report.agencies
    assert (agency_a.requests, agency_a.disclosures, agency_a.taxpayers_affected) == (10, 3, 2)
    assert agency_a.purposes == (("18 U.S.C. 1028", 3),)
    assert (agency_b.requests, agency_b.disclosures, agency_b.taxpayers_affected) == (4, 1, 1)
    assert agency_b.purposes == (("8 U.S.C. 1326", 1),)
    later = ledger.oversight_report(2026)
    assert [(x.agency, x.requests, x.disclosures) for x in later.agencies] == [("Agency A", 6, 1)]
    assert ledger.oversight_report(2020).agencies == ()


def test_oversight_report_files(sqlite_backend: Backend, clock: FixedClock, tmp_path: Path) -> None:
    report = history(sqlite_backend, clock).oversight_report(2025)
    as_json = json.loads(report.write(tmp_path / "oversight.json").read_text())
    assert as_json["agencies"][0]["purposes"] == [{"statute": "18 U.S.C. 1028", "count": 3}]
    with report.write(tmp_path / "oversight.csv").open(newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert rows[0]["agency"] == "Agency A" and rows[0]["taxpayers_affected"] == "2"
    assert rows[1]["purposes"] == "8 U.S.C. 1326 (1)"


def test_retraction_records_marks_and_writes_a_disposal_notice(
    backend: Backend, clock: FixedClock, tmp_path: Path
) -> None:
    ledger = history(backend, clock)
    clock.set(datetime(2026, 2, 1, 10, 0, tzinfo=UTC))
    notice = ledger.retract(
        "D-B1-5",
        reason='=HYPERLINK("x") wrong person: the father, not the son',
        actor="auditor",
        out_dir=tmp_path / "notices",
    )
    assert notice.entry.kind == "retraction" and notice.actor == "auditor"
    assert notice.agency == "Agency A" and notice.retracted_at.startswith("2026-02-01")
    with notice.csv_path.open(newline="") as stream:
        [row] = list(csv.DictReader(stream))
    assert (row["disclosure_id"], row["request_id"], row["batch_id"]) == ("D-B1-5", "R-5", "B1")
    assert row["disclosed_street"] == "5 Main St"
    assert row["retraction_reason"].startswith("'=HYPERLINK")  # spreadsheet-safe
    letter = notice.letter_path.read_text()
    assert "Agency A" in letter and "Officer Lane" in letter and "Destroy every copy" in letter
    for text in (notice.csv_path.read_text(), letter):
        assert "111-22-3333" not in text and "111223333" not in text  # no new disclosure
    [record] = [r for r in ledger.disclosures_for_tin(SHARED_TIN) if r.disclosure_id == "D-B1-5"]
    assert record.retracted and record.retracted_at == notice.retracted_at
    assert record.retraction_reason == notice.reason
    assert ledger.oversight_report(2025).agencies[0].retracted == 1
    report = ledger.verify()
    assert report.ok and report.unsigned_tail == 0, report.summary()


def test_retracting_twice_or_an_unknown_id_is_a_clear_error(
    backend: Backend, clock: FixedClock, tmp_path: Path
) -> None:
    ledger = history(backend, clock)
    ledger.retract("D-B1-2", reason="wrong person", actor="auditor", out_dir=tmp_path)
    before = ledger.verify().entries_checked
    with pytest.raises(LedgerError, match="already retracted"):
        ledger.retract("D-B1-2", reason="again", actor="auditor", out_dir=tmp_path)
    with pytest.raises(LedgerError, match="no disclosure with id 'D-NOPE'"):
        ledger.retract("D-NOPE", reason="x", actor="auditor", out_dir=tmp_path)
    with pytest.raises(LedgerError, match="needs a reason"):
        ledger.retract("D-B1-5", reason=" ", actor="auditor", out_dir=tmp_path)
    assert ledger.verify().entries_checked == before


def test_retraction_entries_written_directly_are_checked(
    backend: Backend, clock: FixedClock
) -> None:
    ledger = history(backend, clock)
    with pytest.raises(LedgerError, match="no disclosure with id"):
        ledger.append(
            EntryKind.RETRACTION,
            {"disclosure_id": "D-NOPE", "reason": "x"},
            actor="a",
            idempotency_key="retraction:D-NOPE",
        )
    retraction = NewEntry(
        EntryKind.RETRACTION, {"disclosure_id": "D-B1-9", "reason": "x"}, "retraction:D-B1-9"
    )
    [first] = ledger.append_many([retraction], actor="a")
    assert ledger.append_many([retraction], actor="a") == [first]  # idempotent per disclosure
    assert ledger.verify().ok


def test_a_lost_disposal_notice_can_be_written_again(
    backend: Backend, clock: FixedClock, tmp_path: Path
) -> None:
    ledger = history(backend, clock)
    first = ledger.retract("D-B2-1", reason="wrong person", actor="auditor", out_dir=tmp_path / "a")
    entries = ledger.verify().entries_checked
    again = ledger.rewrite_disposal_notice("D-B2-1", out_dir=tmp_path / "b")
    assert again.entry == first.entry
    assert again.csv_path.read_bytes() == first.csv_path.read_bytes()
    assert again.letter_path.read_text() == first.letter_path.read_text()
    assert ledger.verify().entries_checked == entries  # nothing appended
    with pytest.raises(LedgerError, match="no retraction of disclosure 'D-B1-2'"):
        ledger.rewrite_disposal_notice("D-B1-2", out_dir=tmp_path)
