"""Ledger entries as values: kinds, canonical JSON, the hash that chains them.

Everything here is pure: the same inputs give the same bytes on every machine, which is
what lets an auditor recompute the chain from an export without matchgate's database.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from matchgate.errors import LedgerError

__all__ = [
    "GENESIS_HASH",
    "EntryKind",
    "LedgerEntry",
    "NewEntry",
    "canonical_json",
    "compute_entry_hash",
    "derive_entry_id",
    "format_timestamp",
]

GENESIS_HASH = "0" * 64

# Entry ids are derived from the idempotency key, so re-running a killed batch produces
# byte-identical entries (apart from the time they were recorded).
_ENTRY_ID_NAMESPACE = uuid.UUID("6f1c1c52-4d1b-5b8e-9a57-6d6174636867")


class EntryKind(StrEnum):
    """What an entry records."""

    BATCH_RECEIVED = "batch_received"
    ROW_DECISION = "row_decision"
    DISCLOSURE = "disclosure"
    REVIEW_ACTION = "review_action"
    RETRACTION = "retraction"
    CHECKPOINT = "checkpoint"


@dataclass(frozen=True, slots=True)
class NewEntry:
    """An entry to append; the ledger assigns sequence, time and hashes."""

    kind: EntryKind
    payload: Mapping[str, Any]
    idempotency_key: str


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One stored entry. ``payload`` is the canonical JSON text the hash covers."""

    sequence: int
    entry_id: str
    kind: str
    actor: str
    recorded_at: str
    payload: str
    idempotency_key: str
    previous_hash: str
    entry_hash: str

    def payload_dict(self) -> dict[str, Any]:
        value = json.loads(self.payload)
        if not isinstance(value, dict):
            raise LedgerError(f"entry {self.sequence}: payload is not a JSON object")
        return value

    def computed_hash(self) -> str:
        return compute_entry_hash(
            sequence=self.sequence,
            entry_id=self.entry_id,
            kind=self.kind,
            actor=self.actor,
            recorded_at=self.recorded_at,
            payload=self.payload,
            idempotency_key=self.idempotency_key,
            previous_hash=self.previous_hash,
        )

    def as_export_dict(self) -> dict[str, Any]:
        """The entry as one export line: the payload as an object, everything else as is."""
        return {
            "sequence": self.sequence,
            "entry_id": self.entry_id,
            "kind": self.kind,
            "actor": self.actor,
            "recorded_at": self.recorded_at,
            "payload": self.payload_dict(),
            "idempotency_key": self.idempotency_key,
            "previous_hash": self.previous_hash,
            "entry_hash": self.entry_hash,
        }


def canonical_json(value: Any) -> str:
    """Sorted keys, no whitespace, UTF-8 text (not ASCII escapes), no NaN or infinity."""
    try:
        return json.dumps(
            value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except (TypeError, ValueError) as exc:
        raise LedgerError(f"value cannot be written to the ledger as JSON: {exc}") from exc


def compute_entry_hash(
    *,
    sequence: int,
    entry_id: str,
    kind: str,
    actor: str,
    recorded_at: str,
    payload: str,
    idempotency_key: str,
    previous_hash: str,
) -> str:
    """SHA-256 (hex) over the canonical JSON array of the entry's fields, in a fixed order."""
    material = canonical_json(
        [
            "matchgate-ledger-entry-v1",
            sequence,
            entry_id,
            kind,
            actor,
            recorded_at,
            payload,
            idempotency_key,
            previous_hash,
        ]
    )
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def derive_entry_id(idempotency_key: str) -> str:
    return str(uuid.uuid5(_ENTRY_ID_NAMESPACE, idempotency_key))


def format_timestamp(moment: datetime) -> str:
    """UTC ISO-8601 with microseconds and a ``Z``: sorts as text in time order."""
    if moment.tzinfo is None:
        raise LedgerError("ledger timestamps must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")


def is_valid_timestamp(text: str) -> bool:
    """True for exactly the form :func:`format_timestamp` writes (checked per entry: fast)."""
    if not _TIMESTAMP.fullmatch(text):
        return False
    try:
        datetime.fromisoformat(text[:-1])
    except ValueError:
        return False
    return True


def is_finite_json_scalar(value: Any) -> bool:
    if value is None or isinstance(value, str | bool | int):
        return True
    return isinstance(value, float) and math.isfinite(value)
