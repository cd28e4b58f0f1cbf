"""The access log: its chain, its append-only table, its TIN hashes and its search, on
SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.exc import DBAPIError

from matchgate.errors import LedgerError, LedgerIntegrityError
from matchgate.ledger import AccessLog, AccessQuery, AccessUser
from matchgate.ledger._access import ACCESS_HEAD_FILE, ACCESS_KEY_FILE, compute_access_hash

from .conftest import Backend, FixedClock

REVIEWER = AccessUser("Rev Reviewer", "reviewer", 3)
AUDITOR = AccessUser("Aud Auditor", "auditor", 5)
TIN_A, TIN_B = "123-45-6789", "987654321"


@pytest.fixture
def access(backend: Backend, clock: FixedClock) -> Iterator[AccessLog]:
    with AccessLog.open(backend.workspace, url=backend.url, clock=clock) as log:
        yield log


def _read(log: AccessLog, user: AccessUser = REVIEWER, **subject: str | int | None) -> int:
    outcome = str(subject.pop("outcome", "allowed"))
    record = log.append(
        user=user,
        what=str(subject.pop("what", "row_page")),
        subject=subject,
        outcome=outcome,
        status=200 if outcome == "allowed" else 403,
        route="GET /batches/{batch_id}/rows/{row_number}",
        client="127.0.0.1",
    )
    return record.sequence


def _fill(log: AccessLog) -> None:
    _read(log, batch_id="B1", row_number=1, tin=TIN_A)
    _read(log, batch_id="B1", row_number=2, tin=TIN_B, runner_up_tin=TIN_A)
    _read(log, AUDITOR, what="accounting", tin=TIN_B)
    _read(log, AUDITOR, what="accounting", tin="111223333", outcome="denied")
    _read(log, batch_id="B2", row_number=7, tin=None)


def test_records_chain_and_verify(access: AccessLog, backend: Backend) -> None:
    _fill(access)
    report = access.verify()
    assert report.ok, report.problem
    assert report.records_checked == 5 and report.last_sequence == 5
    records = list(access.records())
    assert [r.sequence for r in records] == [1, 2, 3, 4, 5]
    assert records[0].previous_hash == "0" * 64
    for before, after in zip(records, records[1:], strict=False):
        assert after.previous_hash == before.record_hash
    for record in records:
        assert record.record_hash == compute_access_hash(
            sequence=record.sequence,
            recorded_at=record.recorded_at,
            content=record.content,
            previous_hash=record.previous_hash,
        )
    head = json.loads((backend.workspace / ACCESS_HEAD_FILE).read_text())
    assert head == {"sequence": 5, "entry_hash": records[-1].record_hash}


def test_no_tin_is_stored_in_clear(access: AccessLog, backend: Backend) -> None:
    _fill(access)
    stored = " ".join(
        str(value)
        for table in ("ledger_access", "ledger_access_tins")
        for row in backend.rows(f"SELECT * FROM {table}")
        for value in row
    )
    for tin in ("123456789", "123-45-6789", "987654321", "111223333"):
        assert tin not in stored
    # A last four (a masked TIN) must not be stored either. Hex digests are taken out
    # first: four digits in a row turn up in about one 64-character hash in six.
    outside_digests = re.sub(r"\b[0-9a-f]{32,}\b", "<digest>", stored)
    for last_four in ("6789", "4321", "3333"):
        assert last_four not in outside_digests
    subject = next(access.records()).content_dict()["subject"]
    assert subject == {"batch_id": "B1", "row_number": 1, "tin": access.tin_digest(TIN_A)}
    assert access.tin_digest("123 45 6789") == access.tin_digest("123456789")


def test_the_tin_hash_is_keyed_per_workspace(tmp_path: Path) -> None:
    with AccessLog.open(tmp_path / "one") as one, AccessLog.open(tmp_path / "two") as two:
        assert one.tin_digest(TIN_A) != two.tin_digest(TIN_A)
        assert len(one.tin_digest(TIN_A)) == 64
    key = tmp_path / "one" / ACCESS_KEY_FILE
    assert key.stat().st_mode & 0o077 == 0
    with AccessLog.open(tmp_path / "one") as again:
        assert again.tin_digest(TIN_A) == AccessLog.open(tmp_path / "one").tin_digest(TIN_A)


def test_a_tin_search_finds_that_taxpayers_reads_only(access: AccessLog) -> None:
    _fill(access)
    found, total = access.search(AccessQuery(tin="123456789"))
    assert total == 2 and [r.sequence for r in found] == [2, 1]  # newest first
    found, total = access.search(AccessQuery(tin=TIN_B))
    assert [r.sequence for r in found] == [3, 2]
    found, total = access.search(AccessQuery(tin="111-22-3333"))
    assert [(r.sequence, r.outcome) for r in found] == [(4, "denied")]
    assert access.search(AccessQuery(tin="555667777")) == ([], 0)


def test_search_by_user_batch_dates_and_pages(access: AccessLog, clock: FixedClock) -> None:
    _fill(access)
    clock.set(datetime(2025, 4, 1, tzinfo=UTC))
    _read(access, AUDITOR, what="accounting", tin=TIN_A)
    assert [r.sequence for r in access.search(AccessQuery(user="Aud Auditor"))[0]] == [6, 4, 3]
    assert [r.sequence for r in access.search(AccessQuery(batch_id="B1"))[0]] == [2, 1]
    since = AccessQuery(since=datetime(2025, 3, 15, tzinfo=UTC))
    assert [r.sequence for r in access.search(since)[0]] == [6]
    until = AccessQuery(until=datetime(2025, 3, 15, tzinfo=UTC), limit=2, offset=1)
    page, total = access.search(until)
    assert total == 5 and [r.sequence for r in page] == [4, 3]
    with pytest.raises(LedgerError, match="1 to 1000"):
        access.search(AccessQuery(limit=0))


def test_the_database_refuses_update_and_delete(access: AccessLog, backend: Backend) -> None:
    _fill(access)
    for statement in (
        "UPDATE ledger_access SET user_name = 'someone else'",
        "DELETE FROM ledger_access WHERE sequence = 2",
        "DELETE FROM ledger_access_tins",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            backend.execute(statement)
    assert access.verify().ok


def _tampered(access: AccessLog, backend: Backend, *statements: str) -> str:
    _fill(access)
    backend.drop_triggers()
    backend.execute(*statements)
    report = access.verify()
    assert not report.ok
    with pytest.raises(LedgerIntegrityError):
        report.raise_for_problem()
    return f"{report.first_bad_sequence}: {report.problem}"


def test_a_changed_record_is_found(access: AccessLog, backend: Backend) -> None:
    found = _tampered(
        access,
        backend,
        "UPDATE ledger_access SET content = replace(content, 'Rev Reviewer', 'Aud Auditor')"
        " WHERE sequence = 2",
    )
    assert found.startswith("2: record_hash does not match")


def test_a_changed_search_column_is_found(access: AccessLog, backend: Backend) -> None:
    found = _tampered(
        access, backend, "UPDATE ledger_access SET user_name = 'Nobody' WHERE sequence = 1"
    )
    assert found.startswith("1: the record's user_name column")


def test_a_deleted_record_is_found(access: AccessLog, backend: Backend) -> None:
    found = _tampered(access, backend, "DELETE FROM ledger_access WHERE sequence = 3")
    assert found.startswith("3: record 3 is missing")


def test_records_cut_from_the_end_are_found(access: AccessLog, backend: Backend) -> None:
    found = _tampered(
        access,
        backend,
        "DELETE FROM ledger_access_tins WHERE sequence >= 4",
        "DELETE FROM ledger_access WHERE sequence >= 4",
    )
    assert found.startswith("4: ") and "removed from the end" in found


def test_a_rewritten_tin_index_is_found(access: AccessLog, backend: Backend) -> None:
    found = _tampered(access, backend, "DELETE FROM ledger_access_tins WHERE sequence = 2")
    assert found.startswith("2: ") and "TIN index" in found


def test_a_rehashed_record_still_breaks_the_next_link(access: AccessLog, backend: Backend) -> None:
    _fill(access)
    [first] = [r for r in access.records() if r.sequence == 1]
    forged = first.content.replace("Rev Reviewer", "Aud Auditor")
    rehashed = compute_access_hash(
        sequence=1, recorded_at=first.recorded_at, content=forged, previous_hash="0" * 64
    )
    backend.drop_triggers()
    backend.execute(
        (
            "UPDATE ledger_access SET content = :c, record_hash = :h, user_name = 'Aud Auditor'"
            " WHERE sequence = 1",
            {"c": forged, "h": rehashed},
        )
    )
    report = access.verify()
    assert not report.ok and report.first_bad_sequence == 2
    assert "previous_hash" in report.problem


def test_bad_records_are_refused(access: AccessLog) -> None:
    with pytest.raises(LedgerError, match="allowed or denied"):
        _read(access, outcome="maybe")
    with pytest.raises(LedgerError, match="subject value 'rows'"):
        access.append(
            user=REVIEWER,
            what="row_page",
            subject={"rows": [1, 2]},  # type: ignore[dict-item]
            outcome="allowed",
            status=200,
            route="GET /",
        )
    with pytest.raises(LedgerError, match="user name"):
        _read(access, AccessUser(" ", "reviewer"))
    assert list(access.records()) == []


def test_a_read_only_log_refuses_writes_and_needs_the_key_for_tins(
    access: AccessLog, backend: Backend
) -> None:
    _fill(access)
    with AccessLog.open(backend.workspace, url=backend.url, read_only=True) as reader:
        assert reader.verify().ok
        assert reader.search(AccessQuery(tin=TIN_A))[1] == 2
        with pytest.raises(LedgerError, match="read-only"):
            _read(reader)
    (backend.workspace / ACCESS_KEY_FILE).unlink()
    with AccessLog.open(backend.workspace, url=backend.url, read_only=True) as reader:
        with pytest.raises(LedgerError, match="TIN key is missing"):
            reader.search(AccessQuery(tin=TIN_A))


def test_a_ledger_without_an_access_log_verifies_empty(backend: Backend) -> None:
    ledger = backend.open()  # makes the tables, records no read
    ledger.close()
    with AccessLog.open(backend.workspace, url=backend.url, read_only=True) as reader:
        report = reader.verify()
    assert report.ok and report.records_checked == 0
