"""Appending: idempotency, all-or-nothing chunks, checkpoints, allowed fields, triggers."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import DBAPIError

from matchgate.errors import LedgerError
from matchgate.ledger import EntryKind, NewEntry

from .conftest import Backend, batch_entries, batch_payload, disclosure_payload, row_payload


def count(backend: Backend, table: str = "ledger_entries") -> int:
    return int(backend.rows(f"SELECT count(*) FROM {table}")[0][0])


def test_append_returns_the_stored_entry(backend: Backend) -> None:
    ledger = backend.open()
    entry = ledger.append(
        EntryKind.BATCH_RECEIVED, batch_payload(), actor="pipeline", idempotency_key="B1:batch"
    )
    assert (entry.sequence, entry.kind, entry.actor) == (1, "batch_received", "pipeline")
    assert entry.previous_hash == "0" * 64
    assert entry.recorded_at.endswith("Z") and "T" in entry.recorded_at
    assert entry.payload.startswith('{"agency":"Agency A","agency_code"')
    assert " " not in entry.payload.replace("Agency A", "").replace("Pat Head", "").replace(
        "Inspector General", ""
    )
    assert entry.computed_hash() == entry.entry_hash


def test_payload_is_canonical_utf8_json(backend: Backend) -> None:
    ledger = backend.open()
    payload = {"action": "note", "note": "Peña — revisado", "batch_id": "B1"}
    entry = ledger.append(EntryKind.REVIEW_ACTION, payload, actor="r", idempotency_key="k")
    assert entry.payload == '{"action":"note","batch_id":"B1","note":"Peña — revisado"}'


def test_appending_an_existing_key_writes_nothing(backend: Backend) -> None:
    ledger = backend.open()
    first = ledger.append(
        EntryKind.ROW_DECISION, row_payload("B1", 1), actor="pipeline", idempotency_key="B1:row:1"
    )
    again = ledger.append(
        EntryKind.ROW_DECISION, row_payload("B1", 1), actor="other", idempotency_key="B1:row:1"
    )
    assert again == first
    assert count(backend) == 1


def test_rerunning_a_batch_adds_nothing(backend: Backend) -> None:
    ledger = backend.open(checkpoint_every=5)
    first = ledger.append_many(batch_entries(), actor="pipeline")
    before = count(backend)
    second = ledger.append_many(batch_entries(), actor="pipeline")
    assert second == first
    assert count(backend) == before
    assert count(backend, "ledger_disclosures") == 3
    assert ledger.verify().ok


def test_a_resumed_batch_adds_only_the_missing_entries(backend: Backend) -> None:
    ledger = backend.open()
    items = batch_entries(rows=10, disclosed=(2, 5, 9))
    ledger.append_many(items[:6], actor="pipeline")
    results = ledger.append_many(items, actor="pipeline")
    assert [entry.idempotency_key for entry in results] == [item.idempotency_key for item in items]
    kinds = [row[0] for row in backend.rows("SELECT kind FROM ledger_entries ORDER BY sequence")]
    assert kinds.count("row_decision") == 10 and kinds.count("disclosure") == 3
    assert ledger.verify().ok


def test_a_key_reused_for_another_kind_is_refused(backend: Backend) -> None:
    ledger = backend.open()
    ledger.append(EntryKind.ROW_DECISION, row_payload("B1", 1), actor="p", idempotency_key="k")
    with pytest.raises(LedgerError, match="already used by a row_decision"):
        ledger.append(EntryKind.REVIEW_ACTION, {"action": "x"}, actor="p", idempotency_key="k")


def test_a_key_reused_with_other_contents_is_refused(backend: Backend) -> None:
    """A key recorded again names the same event: a disclosure of another address under a
    key already used (a look-up numbered anew from another store) must not pass as
    accounted by the entry already there."""
    ledger = backend.open()
    ledger.append(EntryKind.DISCLOSURE, disclosure_payload("B1", 1), actor="p", idempotency_key="k")
    other = disclosure_payload("B1", 1, disclosed_street="9 Other St")
    with pytest.raises(LedgerError, match="already used by entry 1 with other contents"):
        ledger.append(EntryKind.DISCLOSURE, other, actor="p", idempotency_key="k")
    assert count(backend) == 1 and count(backend, "ledger_disclosures") == 1


def test_the_same_disclosure_under_two_keys_is_refused(backend: Backend) -> None:
    ledger = backend.open()
    ledger.append(EntryKind.DISCLOSURE, disclosure_payload("B1", 1), actor="p", idempotency_key="a")
    with pytest.raises(LedgerError, match="already recorded"):
        ledger.append(
            EntryKind.DISCLOSURE, disclosure_payload("B1", 1), actor="p", idempotency_key="b"
        )


def test_a_failing_chunk_writes_nothing(backend: Backend) -> None:
    ledger = backend.open()
    ledger.append(EntryKind.DISCLOSURE, disclosure_payload("B1", 1), actor="p", idempotency_key="a")
    before = count(backend)
    items = batch_entries("B2", rows=5, disclosed=())
    # valid entries first, then a disclosure that collides with the stored one
    items.append(NewEntry(EntryKind.DISCLOSURE, disclosure_payload("B1", 1), "B2:dup"))
    with pytest.raises(LedgerError):
        ledger.append_many(items, actor="pipeline")
    assert count(backend) == before
    assert ledger.verify().ok


def test_checkpoints_every_n_entries_and_at_the_end_of_each_chunk(backend: Backend) -> None:
    ledger = backend.open(checkpoint_every=4)
    ledger.append_many(batch_entries(rows=9, disclosed=()), actor="pipeline")  # 10 entries
    kinds = [row[0] for row in backend.rows("SELECT kind FROM ledger_entries ORDER BY sequence")]
    checkpoints = [index + 1 for index, kind in enumerate(kinds) if kind == "checkpoint"]
    assert checkpoints == [5, 10, 13]
    single = ledger.append(EntryKind.REVIEW_ACTION, {"action": "x"}, actor="r", idempotency_key="r")
    report = ledger.verify()
    assert report.ok and report.unsigned_tail == 1 and single.sequence == 14
    assert ledger.checkpoint() is not None
    assert ledger.checkpoint() is None
    assert ledger.verify().unsigned_tail == 0


def test_append_many_returns_entries_in_input_order_without_checkpoints(backend: Backend) -> None:
    ledger = backend.open(checkpoint_every=3)
    items = batch_entries(rows=7, disclosed=(1,))
    results = ledger.append_many(items, actor="pipeline")
    assert [entry.idempotency_key for entry in results] == [item.idempotency_key for item in items]
    assert all(entry.kind != "checkpoint" for entry in results)
    assert ledger.append_many([], actor="pipeline") == []


@pytest.mark.parametrize(
    ("kind", "extra"),
    [
        (EntryKind.DISCLOSURE, {"employer": "ACME Corp"}),
        (EntryKind.DISCLOSURE, {"income": 52000}),
        (EntryKind.DISCLOSURE, {"dependents": ["A", "B"]}),
        (EntryKind.ROW_DECISION, {"date_of_birth": "1980-01-01"}),
        (EntryKind.BATCH_RECEIVED, {"master_file_path": "/data/irmf.parquet"}),
        (EntryKind.REVIEW_ACTION, {"spouse_name": "X"}),
        (EntryKind.RETRACTION, {"wages": 1}),
    ],
)
def test_fields_outside_the_allow_list_are_refused(
    sqlite_backend: Backend, kind: EntryKind, extra: dict
) -> None:
    """Checked before any database work, so one backend is enough."""
    backend = sqlite_backend
    base = {
        EntryKind.DISCLOSURE: disclosure_payload("B1", 1),
        EntryKind.ROW_DECISION: row_payload("B1", 1),
        EntryKind.BATCH_RECEIVED: batch_payload(),
        EntryKind.REVIEW_ACTION: {"action": "x"},
        EntryKind.RETRACTION: {"disclosure_id": "D", "reason": "wrong person"},
    }[kind]
    ledger = backend.open()
    with pytest.raises(LedgerError, match=next(iter(extra))):
        ledger.append(kind, {**base, **extra}, actor="p", idempotency_key="k")
    assert count(backend) == 0


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"action": "x", "note": {"employer": "ACME"}}, "flat lists"),
        ({"action": "x", "note": ["a", {"b": 1}]}, "list of plain values"),
        ({"action": "x", "note": float("nan")}, "not a finite number"),
        ({"note": "x"}, "lacks required fields: action"),
        ({"action": "x", "row_number": "7"}, "must be an integer"),
    ],
)
def test_malformed_payloads_are_refused(
    sqlite_backend: Backend, payload: dict, message: str
) -> None:
    ledger = sqlite_backend.open()
    with pytest.raises(LedgerError, match=message):
        ledger.append(EntryKind.REVIEW_ACTION, payload, actor="p", idempotency_key="k")


def test_callers_cannot_write_checkpoints_or_unknown_kinds(backend: Backend) -> None:
    ledger = backend.open()
    with pytest.raises(LedgerError, match="written by the ledger itself"):
        ledger.append(EntryKind.CHECKPOINT, {}, actor="p", idempotency_key="k")
    with pytest.raises(LedgerError, match="unknown ledger entry kind"):
        ledger.append("gossip", {}, actor="p", idempotency_key="k")
    with pytest.raises(LedgerError, match="actor"):
        ledger.append(EntryKind.REVIEW_ACTION, {"action": "x"}, actor=" ", idempotency_key="k")
    with pytest.raises(LedgerError, match="idempotency_key"):
        ledger.append(EntryKind.REVIEW_ACTION, {"action": "x"}, actor="p", idempotency_key="")


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_entries SET actor = 'someone else' WHERE sequence = 2",
        "UPDATE ledger_entries SET sequence = sequence + 100",
        "DELETE FROM ledger_entries WHERE sequence = 2",
        "DELETE FROM ledger_entries",
    ],
)
def test_the_database_refuses_to_change_or_delete_entries(backend: Backend, statement: str) -> None:
    ledger = backend.open()
    ledger.append_many(batch_entries(rows=3, disclosed=()), actor="pipeline")
    before = backend.rows("SELECT * FROM ledger_entries ORDER BY sequence")
    with pytest.raises(DBAPIError, match="append-only"):
        backend.execute(statement)
    assert backend.rows("SELECT * FROM ledger_entries ORDER BY sequence") == before


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_postgres_refuses_truncate(backend: Backend) -> None:
    backend.open().append_many(batch_entries(rows=2, disclosed=()), actor="pipeline")
    with pytest.raises(DBAPIError, match="append-only"):
        backend.execute("TRUNCATE ledger_entries")


def test_ten_thousand_entries_append_in_one_call(sqlite_backend: Backend) -> None:
    """How long it takes: benchmarks/bench_ledger_verify.py (a timing here would flake)."""
    ledger = sqlite_backend.open()
    items = [
        NewEntry(EntryKind.ROW_DECISION, row_payload("BIG", row), f"BIG:row:{row}")
        for row in range(1, 10_001)
    ]
    ledger.append_many(items, actor="pipeline")
    assert count(sqlite_backend) == 10_000 + 10  # the tenth checkpoint also signs the end


def test_one_entry_by_its_sequence(backend: Backend) -> None:
    ledger = backend.open()
    first = ledger.append(
        EntryKind.BATCH_RECEIVED, batch_payload(), actor="pipeline", idempotency_key="B1:batch"
    )
    second = ledger.append(
        EntryKind.REVIEW_ACTION, {"action": "note"}, actor="r", idempotency_key="k"
    )
    assert ledger.entry(first.sequence) == first
    assert ledger.entry(second.sequence) == second
    for missing in (0, -1, second.sequence + 1, 2**63, 10**20):
        assert ledger.entry(missing) is None, missing
