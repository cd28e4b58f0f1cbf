"""Checking a chain of entries, wherever they come from (database or export file).

:class:`ChainVerifier` is fed entries in order and stops at the first one that breaks
the chain; the database check and the export check differ only in where entries come
from and what else they compare (the disclosure index, the signed export trailer).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from matchgate.errors import LedgerIntegrityError
from matchgate.ledger._disclosures import index_row_for_disclosure, retraction_update
from matchgate.ledger._entries import (
    GENESIS_HASH,
    EntryKind,
    LedgerEntry,
    canonical_json,
    derive_entry_id,
    is_valid_timestamp,
)
from matchgate.ledger._keys import CheckpointVerifier
from matchgate.ledger._payloads import field_problem

__all__ = ["ChainVerifier", "VerifyReport"]

_KINDS = frozenset(kind.value for kind in EntryKind)


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """The outcome of checking a ledger or an export of one.

    ``first_bad_sequence`` is the first sequence number at which the chain stops being
    trustworthy; ``first_bad_line`` is set when an export file was checked.
    ``unsigned_tail`` counts entries after the last signed checkpoint: they chain
    correctly but no signature covers them yet.
    """

    ok: bool
    entries_checked: int
    checkpoints_checked: int
    first_bad_sequence: int | None
    problem: str
    seconds: float
    last_sequence: int = 0
    unsigned_tail: int = 0
    first_bad_line: int | None = None
    source: str = ""

    def summary(self) -> str:
        if self.ok:
            tail = (
                f"; {self.unsigned_tail} entries after the last checkpoint are not signed yet"
                if self.unsigned_tail
                else ""
            )
            return (
                f"ok: {self.entries_checked} entries and {self.checkpoints_checked} signed"
                f" checkpoints verify ({self.seconds:.2f} s){tail}"
            )
        where = []
        if self.first_bad_line is not None:
            where.append(f"line {self.first_bad_line}")
        if self.first_bad_sequence is not None:
            where.append(f"sequence {self.first_bad_sequence}")
        place = f" at {', '.join(where)}" if where else ""
        return f"FAILED{place}: {self.problem}"

    def raise_for_problem(self) -> None:
        """Raise :class:`LedgerIntegrityError` unless the check passed."""
        if not self.ok:
            raise LedgerIntegrityError(self.summary(), path=self.source or None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "entries_checked": self.entries_checked,
            "checkpoints_checked": self.checkpoints_checked,
            "first_bad_sequence": self.first_bad_sequence,
            "first_bad_line": self.first_bad_line,
            "problem": self.problem,
            "seconds": round(self.seconds, 3),
            "last_sequence": self.last_sequence,
            "unsigned_tail": self.unsigned_tail,
            "source": self.source,
        }


class ChainVerifier:
    """Feed entries in order with :meth:`feed`; the first problem sticks."""

    def __init__(self, verifier: CheckpointVerifier, *, collect_index: bool = False) -> None:
        self._verifier = verifier
        self._collect_index = collect_index
        self.last_sequence = 0
        self.last_hash = GENESIS_HASH
        self.entries_checked = 0
        self.checkpoints_checked = 0
        self.last_checkpoint_sequence = 0
        self.problem = ""
        self.first_bad_sequence: int | None = None
        self.hash_at: dict[int, str] = {}
        self.watch_sequences: set[int] = set()
        self.expected_index: dict[str, dict[str, Any]] = {}
        self._keys: set[str] = set()

    @property
    def failed(self) -> bool:
        return bool(self.problem)

    def fail(self, sequence: int | None, problem: str) -> None:
        if not self.problem:
            self.problem = problem
            self.first_bad_sequence = sequence

    def feed(self, entry: LedgerEntry) -> bool:
        """Check one entry; False (and :attr:`problem` set) if it breaks the chain."""
        if self.problem:
            return False
        problem = self._check(entry)
        if problem:
            self.fail(self.last_sequence + 1, problem)
            return False
        self.entries_checked += 1
        self.last_sequence = entry.sequence
        self.last_hash = entry.entry_hash
        if entry.sequence in self.watch_sequences:
            self.hash_at[entry.sequence] = entry.entry_hash
        return True

    def _check(self, entry: LedgerEntry) -> str:
        expected = self.last_sequence + 1
        if entry.sequence != expected:
            if entry.sequence > expected:
                return (
                    f"entry {expected} is missing: the next entry found has sequence"
                    f" {entry.sequence}"
                )
            return f"entry with sequence {entry.sequence} appears where {expected} belongs"
        if entry.previous_hash != self.last_hash:
            return (
                f"previous_hash {entry.previous_hash[:16]}... does not match the hash of"
                f" entry {self.last_sequence} ({self.last_hash[:16]}...): an entry before"
                " it was changed, removed or inserted"
            )
        if entry.computed_hash() != entry.entry_hash:
            return "entry_hash does not match the entry's contents: the entry was changed"
        if entry.kind not in _KINDS:
            return f"unknown entry kind {entry.kind!r}"
        if not is_valid_timestamp(entry.recorded_at):
            return f"recorded_at {entry.recorded_at!r} is not a UTC timestamp"
        if entry.entry_id != derive_entry_id(entry.idempotency_key):
            return "entry_id does not belong to the entry's idempotency_key"
        if entry.idempotency_key in self._keys:
            return f"idempotency_key {entry.idempotency_key!r} is used twice"
        self._keys.add(entry.idempotency_key)
        try:
            payload = json.loads(entry.payload)
        except ValueError:
            return "payload is not JSON"
        if not isinstance(payload, dict) or canonical_json(payload) != entry.payload:
            return "payload is not canonical JSON"
        kind = EntryKind(entry.kind)
        problem = field_problem(kind, set(payload))
        if problem:
            return problem
        if kind is EntryKind.CHECKPOINT:
            return self._check_checkpoint(entry, payload)
        if self._collect_index:
            return self._index(entry, kind, payload)
        return ""

    def _check_checkpoint(self, entry: LedgerEntry, payload: dict[str, Any]) -> str:
        if payload["covers_sequence"] != entry.sequence - 1 or (
            payload["covers_hash"] != entry.previous_hash
        ):
            return "checkpoint does not cover the entry just before it"
        if payload["public_key_sha256"] != self._verifier.fingerprint:
            return (
                "checkpoint was signed with a different key than the public key used to"
                f" verify (key sha256 {str(payload['public_key_sha256'])[:16]}... vs"
                f" {self._verifier.fingerprint[:16]}...)"
            )
        fields = {
            "covers_sequence": payload["covers_sequence"],
            "covers_hash": payload["covers_hash"],
        }
        if not self._verifier.is_valid("checkpoint", fields, str(payload["signature"])):
            return "checkpoint signature does not verify with the public key"
        self.checkpoints_checked += 1
        self.last_checkpoint_sequence = entry.sequence
        return ""

    def _index(self, entry: LedgerEntry, kind: EntryKind, payload: dict[str, Any]) -> str:
        if kind is EntryKind.DISCLOSURE:
            row = index_row_for_disclosure(entry, payload)
            if row["disclosure_id"] in self.expected_index:
                return f"disclosure {row['disclosure_id']!r} is recorded twice"
            self.expected_index[row["disclosure_id"]] = row
        elif kind is EntryKind.RETRACTION:
            disclosure_id = str(payload["disclosure_id"])
            target = self.expected_index.get(disclosure_id)
            if target is None:
                return f"retraction of disclosure {disclosure_id!r}, which is not recorded"
            if target["retracted_at"] is not None:
                return f"disclosure {disclosure_id!r} is retracted twice"
            target.update(retraction_update(entry, payload))
        return ""

    @property
    def unsigned_tail(self) -> int:
        return self.last_sequence - self.last_checkpoint_sequence
