"""Which fields each kind of entry may carry.

The ledger is permanent, so it must never become a second copy of the master file: a
payload may hold only the identity fields this channel may disclose (name/address/TIN
context of the request and the address returned) plus the facts of the decision. Any
other key (employer, income, dependents, ...) is refused before anything is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from matchgate.errors import LedgerError
from matchgate.ledger._entries import EntryKind, is_finite_json_scalar

__all__ = ["ALLOWED_FIELDS", "REQUIRED_FIELDS", "field_problem", "validate_payload"]

_DISCLOSURE_REQUIRED = frozenset(
    {
        "disclosure_id",
        "batch_id",
        "row_number",
        "request_id",
        "tin",
        "agency",
        "recipients",
        "statute",
        "case_number",
        "reason",
        "disclosed_street",
        "disclosed_city",
        "disclosed_state",
        "disclosed_zip",
        "disclosed_tax_year",
    }
)

REQUIRED_FIELDS: dict[EntryKind, frozenset[str]] = {
    EntryKind.BATCH_RECEIVED: frozenset({"batch_id", "agency", "rows_in"}),
    EntryKind.ROW_DECISION: frozenset({"batch_id", "row_number", "outcome"}),
    EntryKind.DISCLOSURE: _DISCLOSURE_REQUIRED,
    EntryKind.REVIEW_ACTION: frozenset({"action"}),
    EntryKind.RETRACTION: frozenset({"disclosure_id", "reason"}),
    EntryKind.CHECKPOINT: frozenset(
        {"covers_sequence", "covers_hash", "signature", "public_key_sha256"}
    ),
}

ALLOWED_FIELDS: dict[EntryKind, frozenset[str]] = {
    EntryKind.BATCH_RECEIVED: REQUIRED_FIELDS[EntryKind.BATCH_RECEIVED]
    | {
        "signer_name",
        "signer_title",
        "date_signed",
        "requests_file",
        "requests_sha256",
        "policy_sha256",
        "policy_in_force",
        "agency_code",
        "officers",
        "officer_case_counts",
        "mapping_sha256",
        "mapping_columns",
        # A look-up: one written request under a look-up letter (its scope, and the digest
        # of the letter's signed content).
        "letter_kind",
        "letter_sha256",
        "letter_valid_until",
        "letter_max_lookups",
    },
    EntryKind.ROW_DECISION: REQUIRED_FIELDS[EntryKind.ROW_DECISION]
    | {"request_id", "reason_codes", "statute", "request_sha256"},
    EntryKind.DISCLOSURE: _DISCLOSURE_REQUIRED
    | {"agency_code", "tax_periods", "match_probability"},
    EntryKind.REVIEW_ACTION: REQUIRED_FIELDS[EntryKind.REVIEW_ACTION]
    | {
        "batch_id",
        "row_number",
        "request_id",
        "disclosure_id",
        "outcome",
        "previous_outcome",
        "reason",
        "reason_codes",
        "note",
    },
    EntryKind.RETRACTION: REQUIRED_FIELDS[EntryKind.RETRACTION]
    | {"agency", "batch_id", "row_number", "request_id", "notice_files"},
    EntryKind.CHECKPOINT: REQUIRED_FIELDS[EntryKind.CHECKPOINT],
}

_INTEGER_FIELDS = frozenset({"row_number", "rows_in", "covers_sequence"})


def validate_payload(kind: EntryKind, payload: Mapping[str, Any]) -> dict[str, Any]:
    """The payload as a plain dict, or :class:`LedgerError` naming every problem.

    Values must be JSON scalars or flat lists of them: a nested object could smuggle
    fields past the allow-list.
    """
    if not isinstance(payload, Mapping):
        raise LedgerError(f"{kind} payload must be a mapping, not {type(payload).__name__}")
    keys = set(payload)
    non_text = sorted(repr(key) for key in keys if not isinstance(key, str))
    if non_text:
        raise LedgerError(f"{kind} payload keys must be text: {', '.join(non_text)}")
    forbidden = sorted(keys - ALLOWED_FIELDS[kind])
    if forbidden:
        raise LedgerError(
            f"{kind} payload holds fields the ledger may not record: {', '.join(forbidden)}"
            f" (allowed: {', '.join(sorted(ALLOWED_FIELDS[kind]))})"
        )
    missing = sorted(REQUIRED_FIELDS[kind] - keys)
    if missing:
        raise LedgerError(f"{kind} payload lacks required fields: {', '.join(missing)}")
    result: dict[str, Any] = {}
    for key in sorted(keys):
        value = payload[key]
        if type(value) is str and key not in _INTEGER_FIELDS:
            result[key] = value  # the common case, checked first (a batch has many entries)
            continue
        if isinstance(value, list | tuple):
            if not all(is_finite_json_scalar(item) for item in value):
                raise LedgerError(
                    f"{kind} payload field '{key}' must be a list of plain values",
                    field=key,
                )
            value = list(value)
        elif isinstance(value, float) and not is_finite_json_scalar(value):
            raise LedgerError(f"{kind} payload field '{key}' is not a finite number", field=key)
        elif not is_finite_json_scalar(value):
            raise LedgerError(
                f"{kind} payload field '{key}' has a value of type {type(value).__name__};"
                " only text, numbers, booleans, null and flat lists are recorded",
                field=key,
            )
        if key in _INTEGER_FIELDS and (isinstance(value, bool) or not isinstance(value, int)):
            raise LedgerError(f"{kind} payload field '{key}' must be an integer", field=key)
        result[key] = value
    return result


def field_problem(kind: EntryKind, keys: set[str]) -> str:
    """The allow-list check alone, for re-checking stored entries quickly ('' when fine)."""
    allowed = ALLOWED_FIELDS[kind]
    if keys <= allowed and REQUIRED_FIELDS[kind] <= keys:
        return ""
    forbidden = sorted(keys - allowed)
    if forbidden:
        return f"{kind} payload holds fields the ledger may not record: {', '.join(forbidden)}"
    return (
        f"{kind} payload lacks required fields: {', '.join(sorted(REQUIRED_FIELDS[kind] - keys))}"
    )
