"""The public surface of ``matchgate.ledger`` is exactly what ``__all__`` names."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

import matchgate.ledger as ledger_package
from matchgate.ledger import ALLOWED_FIELDS, EntryKind
from matchgate.ledger._entries import canonical_json, compute_entry_hash

EXPECTED = [
    "ALLOWED_FIELDS",
    "AccessLog",
    "AccessQuery",
    "AccessRecord",
    "AccessUser",
    "AccessVerifyReport",
    "AgencyOversight",
    "DEFAULT_CHECKPOINT_EVERY",
    "DisclosureRecord",
    "EntryKind",
    "GENESIS_HASH",
    "KEY_ENV_VAR",
    "Ledger",
    "LedgerEntry",
    "LedgerKeyWarning",
    "NewEntry",
    "OversightReport",
    "RetractionNotice",
    "SignedCheckpoint",
    "VerifyReport",
    "check_key_location",
    "key_directory",
    "verify_export",
]


def test_all_is_sorted_and_exact() -> None:
    assert ledger_package.__all__ == EXPECTED
    assert sorted(ledger_package.__all__) == ledger_package.__all__
    public = {
        name
        for name, value in vars(ledger_package).items()
        if not name.startswith("_") and not isinstance(value, type(ledger_package))
    }
    assert public == set(EXPECTED)


def test_the_disclosure_allow_list_holds_identity_and_decision_fields_only() -> None:
    for kind, fields in ALLOWED_FIELDS.items():
        for forbidden in ("employer", "income", "wages", "dependents", "dob", "ssn_holder"):
            assert forbidden not in fields, (kind, forbidden)
    assert "disclosed_street" in ALLOWED_FIELDS[EntryKind.DISCLOSURE]


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**53), max_value=2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(),
)


@given(st.dictionaries(st.text(), st.one_of(scalars, st.lists(scalars, max_size=4))))
def test_canonical_json_is_stable_and_round_trips(payload: dict) -> None:
    text = canonical_json(payload)
    assert canonical_json(json.loads(text)) == text
    assert canonical_json(dict(reversed(list(payload.items())))) == text
    assert "\n" not in text


@given(st.text(), st.text(), st.text())
def test_the_entry_hash_separates_its_fields(actor: str, payload: str, key: str) -> None:
    """Moving characters between fields always changes the hash (no ambiguous joins)."""
    fields = dict(
        sequence=1,
        entry_id="e",
        kind="review_action",
        recorded_at="2025-01-01T00:00:00.000000Z",
        previous_hash="0" * 64,
    )
    one = compute_entry_hash(actor=actor + "x", payload=payload, idempotency_key=key, **fields)
    other = compute_entry_hash(actor=actor, payload="x" + payload, idempotency_key=key, **fields)
    assert one != other
