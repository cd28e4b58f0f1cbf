"""Any change to the stored chain is found, and the first bad entry is named.

The attacker here has full database access: the append-only triggers are dropped first,
so these tests are about detection, not prevention.
"""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from matchgate.ledger._entries import canonical_json, compute_entry_hash, derive_entry_id
from matchgate.ledger._keys import public_key_pem, signing_material

from .conftest import Backend, filled_ledger

TEXT_FIELDS = [
    "entry_id",
    "kind",
    "actor",
    "recorded_at",
    "payload",
    "idempotency_key",
    "previous_hash",
    "entry_hash",
]
LAST = 26  # filled_ledger writes 26 entries; checkpoints at 6, 12, 17, 23, 26


def changed(value: str, position: int) -> str:
    """``value`` with one character replaced by a different one."""
    index = position % len(value)
    replacement = "b" if value[index] == "a" else "a"
    return value[:index] + replacement + value[index + 1 :]


def set_field(backend: Backend, sequence: int, field: str, value: object) -> None:
    backend.drop_triggers()
    backend.execute(
        (
            f"UPDATE ledger_entries SET {field} = :value WHERE sequence = :sequence",
            {"value": value, "sequence": sequence},
        )
    )


def field_value(backend: Backend, sequence: int, field: str) -> str:
    [row] = backend.rows(
        f"SELECT {field} FROM ledger_entries WHERE sequence = :sequence", {"sequence": sequence}
    )
    return str(row[0])


def test_a_fresh_chain_verifies(backend: Backend) -> None:
    ledger = filled_ledger(backend)
    report = ledger.verify()
    assert report.ok, report.summary()
    assert report.entries_checked == LAST
    assert report.checkpoints_checked == 5
    assert report.unsigned_tail == 0
    assert report.first_bad_sequence is None
    assert report.summary().startswith("ok: 26 entries")


@pytest.mark.parametrize("field", TEXT_FIELDS)
@pytest.mark.parametrize("position", [0, 17, -1])
def test_one_changed_character_in_any_field_is_found(
    filled_sqlite: Backend, field: str, position: int
) -> None:
    ledger = filled_sqlite.open()
    set_field(filled_sqlite, 8, field, changed(field_value(filled_sqlite, 8, field), position))
    report = ledger.verify()
    assert not report.ok
    assert report.first_bad_sequence == 8, report.problem


@pytest.mark.parametrize("sequence", [1, 6, 14, 18, LAST])
@pytest.mark.parametrize("field", TEXT_FIELDS)
def test_a_change_to_any_kind_of_entry_is_found(
    filled_sqlite: Backend, sequence: int, field: str
) -> None:
    ledger = filled_sqlite.open()
    set_field(
        filled_sqlite, sequence, field, changed(field_value(filled_sqlite, sequence, field), 5)
    )
    report = ledger.verify()
    assert not report.ok
    assert report.first_bad_sequence == sequence, report.problem


@pytest.mark.parametrize(("sequence", "field"), [(8, "payload"), (14, "actor"), (17, "payload")])
def test_a_changed_field_is_found_on_every_backend(
    backend: Backend, sequence: int, field: str
) -> None:
    ledger = filled_ledger(backend)
    set_field(backend, sequence, field, changed(field_value(backend, sequence, field), 5))
    report = ledger.verify()
    assert (report.ok, report.first_bad_sequence) == (False, sequence), report.problem


def test_a_changed_sequence_number_is_found(backend: Backend) -> None:
    ledger = filled_ledger(backend)
    set_field(backend, 8, "sequence", 1000)
    report = ledger.verify()
    assert (report.ok, report.first_bad_sequence) == (False, 8)
    assert "entry 8 is missing" in report.problem


@pytest.mark.parametrize("sequence", [1, 8, 14, 17])
def test_a_deleted_entry_is_found(backend: Backend, sequence: int) -> None:
    ledger = filled_ledger(backend)
    backend.drop_triggers()
    backend.execute(
        ("DELETE FROM ledger_disclosures WHERE sequence = :s", {"s": sequence}),
        ("DELETE FROM ledger_entries WHERE sequence = :s", {"s": sequence}),
    )
    report = ledger.verify()
    assert (report.ok, report.first_bad_sequence) == (False, sequence), report.problem


def test_entries_cut_from_the_end_are_found(backend: Backend) -> None:
    ledger = filled_ledger(backend)
    backend.drop_triggers()
    backend.execute(
        "DELETE FROM ledger_disclosures WHERE sequence >= 24",
        "DELETE FROM ledger_entries WHERE sequence >= 24",
    )
    report = ledger.verify()
    assert (report.ok, report.first_bad_sequence) == (False, 24), report.problem
    assert "removed from the end" in report.problem


def test_two_swapped_entries_are_found(backend: Backend) -> None:
    ledger = filled_ledger(backend)
    backend.drop_triggers()
    backend.execute(
        "UPDATE ledger_entries SET sequence = -sequence WHERE sequence IN (8, 9)",
        "UPDATE ledger_entries SET sequence = 9 WHERE sequence = -8",
        "UPDATE ledger_entries SET sequence = 8 WHERE sequence = -9",
    )
    report = ledger.verify()
    assert (report.ok, report.first_bad_sequence) == (False, 8), report.problem


def _forged_row(backend: Backend, sequence: int, previous_hash: str) -> dict[str, object]:
    key = f"forged:{sequence}"
    payload = canonical_json({"action": "confirm", "note": "inserted later"})
    row = {
        "sequence": sequence,
        "entry_id": derive_entry_id(key),
        "kind": "review_action",
        "actor": "intruder",
        "recorded_at": "2025-03-01T12:00:00.500000Z",
        "payload": payload,
        "idempotency_key": key,
        "previous_hash": previous_hash,
    }
    row["entry_hash"] = compute_entry_hash(**row)  # type: ignore[arg-type]
    return row


_INSERT = (
    "INSERT INTO ledger_entries (sequence, entry_id, kind, actor, recorded_at, payload,"
    " idempotency_key, previous_hash, entry_hash) VALUES (:sequence, :entry_id, :kind, :actor,"
    " :recorded_at, :payload, :idempotency_key, :previous_hash, :entry_hash)"
)


def test_an_entry_inserted_in_the_middle_is_found(backend: Backend) -> None:
    """Shift entries 8.. up by one and slip a well-formed entry in at 8."""
    ledger = filled_ledger(backend)
    backend.drop_triggers()
    backend.execute(
        "UPDATE ledger_entries SET sequence = -sequence - 1 WHERE sequence >= 8",
        "UPDATE ledger_entries SET sequence = -sequence WHERE sequence < 0",
        (_INSERT, _forged_row(backend, 8, field_value(backend, 7, "entry_hash"))),
    )
    report = ledger.verify()
    # The forged entry itself chains correctly; the entry after it cannot.
    assert (report.ok, report.first_bad_sequence) == (False, 9), report.problem


def test_an_entry_added_at_the_end_with_a_wrong_link_is_found(backend: Backend) -> None:
    ledger = filled_ledger(backend)
    backend.drop_triggers()
    backend.execute((_INSERT, _forged_row(backend, LAST + 1, "f" * 64)))
    report = ledger.verify()
    assert (report.ok, report.first_bad_sequence) == (False, LAST + 1), report.problem


def _rechain(backend: Backend, start: int, *, patch_checkpoints: bool) -> None:
    """Recompute every hash from ``start`` on, as an attacker without the key would."""
    rows = backend.rows("SELECT * FROM ledger_entries ORDER BY sequence")
    previous = "0" * 64
    updates = []
    for row in rows:
        values = dict(row._mapping)
        if values["sequence"] >= start:
            values["previous_hash"] = previous
            if patch_checkpoints and values["kind"] == "checkpoint":
                payload = json.loads(values["payload"])
                payload["covers_hash"] = previous
                values["payload"] = canonical_json(payload)
            fields = {k: v for k, v in values.items() if k != "entry_hash"}
            values["entry_hash"] = compute_entry_hash(**fields)
            updates.append(
                (
                    "UPDATE ledger_entries SET previous_hash = :previous_hash, payload = :payload,"
                    " entry_hash = :entry_hash WHERE sequence = :sequence",
                    values,
                )
            )
        previous = values["entry_hash"]
    backend.execute(*updates)


@pytest.mark.parametrize("patch_checkpoints", [False, True], ids=["keep-cover", "patch-cover"])
def test_a_rewritten_and_rehashed_chain_fails_at_the_next_signed_checkpoint(
    backend: Backend, patch_checkpoints: bool
) -> None:
    ledger = filled_ledger(backend)
    backend.drop_triggers()
    payload = json.loads(field_value(backend, 8, "payload"))
    payload["outcome"] = "disclosed"
    backend.execute(
        (
            "UPDATE ledger_entries SET payload = :payload WHERE sequence = 8",
            {"payload": canonical_json(payload)},
        )
    )
    _rechain(backend, 8, patch_checkpoints=patch_checkpoints)
    report = ledger.verify()
    assert (report.ok, report.first_bad_sequence) == (False, 12), report.problem
    expected = "signature" if patch_checkpoints else "does not cover"
    assert expected in report.problem


def test_a_forged_checkpoint_signature_is_found(backend: Backend) -> None:
    ledger = filled_ledger(backend)
    backend.drop_triggers()
    payload = json.loads(field_value(backend, 12, "payload"))
    fields = {"covers_sequence": payload["covers_sequence"], "covers_hash": payload["covers_hash"]}
    forged = Ed25519PrivateKey.generate().sign(signing_material("checkpoint", fields))
    payload["signature"] = base64.b64encode(forged).decode()
    backend.execute(
        (
            "UPDATE ledger_entries SET payload = :payload WHERE sequence = 12",
            {"payload": canonical_json(payload)},
        )
    )
    _rechain(backend, 12, patch_checkpoints=False)
    report = ledger.verify()
    assert (report.ok, report.first_bad_sequence) == (False, 12), report.problem
    assert "signature does not verify" in report.problem


def test_a_ledger_checked_against_another_public_key_fails(backend: Backend) -> None:
    filled_ledger(backend).close()
    other = Ed25519PrivateKey.generate().public_key()
    (backend.workspace / "ledger.pub").write_bytes(public_key_pem(other))
    report = backend.open(read_only=True).verify()
    assert (report.ok, report.first_bad_sequence) == (False, 6), report.problem
    assert "different key" in report.problem


@pytest.mark.parametrize(
    ("statement", "problem"),
    [
        ("UPDATE ledger_disclosures SET tin = '000000000' WHERE sequence = 15", "disagrees"),
        ("UPDATE ledger_disclosures SET retracted_at = 'x' WHERE sequence = 15", "disagrees"),
        ("DELETE FROM ledger_disclosures WHERE sequence = 15", "missing from the disclosure"),
    ],
)
def test_the_disclosure_index_must_agree_with_the_entries(
    backend: Backend, statement: str, problem: str
) -> None:
    ledger = filled_ledger(backend)
    backend.execute(statement)
    report = ledger.verify()
    assert (report.ok, report.first_bad_sequence) == (False, 15), report.problem
    assert problem in report.problem


def test_raise_for_problem_names_the_entry(backend: Backend) -> None:
    from matchgate.errors import LedgerIntegrityError

    ledger = filled_ledger(backend)
    set_field(backend, 8, "actor", "someone else")
    with pytest.raises(LedgerIntegrityError, match="sequence 8"):
        ledger.verify().raise_for_problem()
