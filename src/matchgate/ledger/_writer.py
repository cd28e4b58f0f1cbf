"""Building new entries: sequence, time, hash chain, checkpoints, disclosure index.

:class:`ChainWriter` works on a connection whose transaction holds the writer lock, so the
end of the chain it reads cannot move until the caller commits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from matchgate.errors import LedgerError
from matchgate.ledger import _schema as schema
from matchgate.ledger._database import (
    entry_from_row,
    existing_disclosure_ids,
    existing_entries,
    insert_rows,
    last_checkpoint_statement,
    tail_statement,
)
from matchgate.ledger._disclosures import index_row_for_disclosure, retraction_update
from matchgate.ledger._entries import (
    GENESIS_HASH,
    EntryKind,
    LedgerEntry,
    NewEntry,
    canonical_json,
    compute_entry_hash,
    derive_entry_id,
    format_timestamp,
)
from matchgate.ledger._keys import LedgerSigner
from matchgate.ledger._payloads import validate_payload

__all__ = ["CHECKPOINT_ACTOR", "ChainWriter", "Prepared", "entry_kind", "prepare"]

CHECKPOINT_ACTOR = "matchgate.ledger"

Prepared = tuple[EntryKind, dict[str, Any], str]


def entry_kind(kind: EntryKind | str) -> EntryKind:
    try:
        return EntryKind(kind)
    except ValueError as exc:
        raise LedgerError(f"unknown ledger entry kind {kind!r}") from exc


def prepare(item: NewEntry) -> Prepared:
    """Kind, checked payload and key of an entry a caller wants appended."""
    kind = entry_kind(item.kind)
    if kind is EntryKind.CHECKPOINT:
        raise LedgerError("checkpoint entries are written by the ledger itself")
    key = item.idempotency_key
    if not isinstance(key, str) or not key.strip():
        raise LedgerError(f"a {kind.value} entry needs a non-empty idempotency_key")
    return kind, validate_payload(kind, item.payload), key


@dataclass(slots=True)
class _Tail:
    """Where the chain ends; moves on as entries are built."""

    sequence: int
    entry_hash: str
    recorded_at: str
    since_checkpoint: int


@dataclass(slots=True)
class _Pending:
    """What one append will write."""

    entries: list[LedgerEntry]
    index_rows: list[dict[str, Any]]
    retractions: dict[str, dict[str, Any]]


class ChainWriter:
    def __init__(
        self, *, signer: LedgerSigner, checkpoint_every: int, clock: Callable[[], datetime]
    ) -> None:
        self._signer = signer
        self._checkpoint_every = checkpoint_every
        self._clock = clock

    def append(
        self, conn: Connection, prepared: list[Prepared], *, actor: str, sign_end: bool
    ) -> tuple[list[LedgerEntry], LedgerEntry | None]:
        """One entry per item (stored or new), and the last checkpoint written if any."""
        tail = self._read_tail(conn)
        now = max(format_timestamp(self._clock()), tail.recorded_at)
        stored = existing_entries(conn, [key for _, _, key in prepared])
        pending = _Pending([], [], {})
        results: list[LedgerEntry] = []
        last_checkpoint: LedgerEntry | None = None
        for kind, payload, key in prepared:
            existing = stored.get(key)
            if existing is not None:
                if existing.kind != kind.value:
                    raise LedgerError(
                        f"idempotency key {key!r} is already used by a {existing.kind}"
                        f" entry (sequence {existing.sequence}), not a {kind.value}"
                    )
                if kind is EntryKind.DISCLOSURE and existing.payload != canonical_json(payload):
                    # The same key is the same disclosure recorded again (a resumed run).
                    # Another address under it would go out as accounted while the ledger
                    # holds a different one (a look-up numbered again from another store).
                    raise LedgerError(
                        f"idempotency key {key!r} is already used by entry"
                        f" {existing.sequence} with other contents; nothing was recorded"
                    )
                results.append(existing)
                continue
            entry = self._next_entry(tail, kind, canonical_json(payload), actor, key, now)
            stored[key] = entry
            pending.entries.append(entry)
            results.append(entry)
            self._index(pending, kind, entry, payload)
            if tail.since_checkpoint >= self._checkpoint_every:
                last_checkpoint = self._checkpoint_entry(tail, now)
                pending.entries.append(last_checkpoint)
        if sign_end and tail.since_checkpoint > 0:
            last_checkpoint = self._checkpoint_entry(tail, now)
            pending.entries.append(last_checkpoint)
        self._write(conn, pending)
        return results, last_checkpoint

    def checkpoint(self, conn: Connection) -> LedgerEntry | None:
        """Sign the end of the chain now; None when it is already signed."""
        tail = self._read_tail(conn)
        if tail.since_checkpoint == 0:
            return None
        entry = self._checkpoint_entry(tail, max(format_timestamp(self._clock()), tail.recorded_at))
        insert_rows(conn, schema.entries, [_entry_row(entry)])
        return entry

    @staticmethod
    def _index(
        pending: _Pending, kind: EntryKind, entry: LedgerEntry, payload: dict[str, Any]
    ) -> None:
        if kind is EntryKind.DISCLOSURE:
            pending.index_rows.append(index_row_for_disclosure(entry, payload))
        elif kind is EntryKind.RETRACTION:
            target = str(payload["disclosure_id"])
            if target in pending.retractions:
                raise LedgerError(f"disclosure {target!r} is retracted twice in one call")
            pending.retractions[target] = retraction_update(entry, payload)

    def _write(self, conn: Connection, pending: _Pending) -> None:
        _check_disclosures(conn, pending)
        insert_rows(conn, schema.entries, (_entry_row(entry) for entry in pending.entries))
        insert_rows(conn, schema.disclosures, pending.index_rows)
        for disclosure_id, values in pending.retractions.items():
            conn.execute(
                schema.disclosures.update()
                .where(schema.disclosures.c.disclosure_id == disclosure_id)
                .values(**values)
            )

    @staticmethod
    def _read_tail(conn: Connection) -> _Tail:
        row = conn.execute(tail_statement()).first()
        if row is None:
            return _Tail(0, GENESIS_HASH, "", 0)
        last = entry_from_row(row)
        checkpoint = conn.execute(last_checkpoint_statement()).scalar() or 0
        return _Tail(last.sequence, last.entry_hash, last.recorded_at, last.sequence - checkpoint)

    @staticmethod
    def _next_entry(
        tail: _Tail, kind: EntryKind, payload: str, actor: str, key: str, now: str
    ) -> LedgerEntry:
        sequence = tail.sequence + 1
        entry_id = derive_entry_id(key)
        entry_hash = compute_entry_hash(
            sequence=sequence,
            entry_id=entry_id,
            kind=kind.value,
            actor=actor,
            recorded_at=now,
            payload=payload,
            idempotency_key=key,
            previous_hash=tail.entry_hash,
        )
        entry = LedgerEntry(
            sequence, entry_id, kind.value, actor, now, payload, key, tail.entry_hash, entry_hash
        )
        tail.sequence = sequence
        tail.entry_hash = entry_hash
        tail.since_checkpoint = 0 if kind is EntryKind.CHECKPOINT else tail.since_checkpoint + 1
        return entry

    def _checkpoint_entry(self, tail: _Tail, now: str) -> LedgerEntry:
        fields: dict[str, object] = {
            "covers_sequence": tail.sequence,
            "covers_hash": tail.entry_hash,
        }
        payload = {
            **fields,
            "signature": self._signer.sign("checkpoint", fields),
            "public_key_sha256": self._signer.verifier.fingerprint,
        }
        return self._next_entry(
            tail,
            EntryKind.CHECKPOINT,
            canonical_json(payload),
            CHECKPOINT_ACTOR,
            f"checkpoint:{tail.sequence}",
            now,
        )


def _check_disclosures(conn: Connection, pending: _Pending) -> None:
    new_ids = [row["disclosure_id"] for row in pending.index_rows]
    if len(set(new_ids)) != len(new_ids):
        raise LedgerError("the same disclosure_id appears twice among the new entries")
    already = existing_disclosure_ids(conn, new_ids)
    if already:
        raise LedgerError(
            "disclosure already recorded under another idempotency key: "
            + ", ".join(sorted(already)[:5])
        )
    targets = list(pending.retractions)
    if not targets:
        return
    known = existing_disclosure_ids(conn, targets) | set(new_ids)
    unknown = [disclosure_id for disclosure_id in targets if disclosure_id not in known]
    if unknown:
        raise LedgerError(f"no disclosure with id {unknown[0]!r} is recorded in the ledger")
    column = schema.disclosures.c
    statement = select(column.disclosure_id).where(
        column.disclosure_id.in_(targets), column.retracted_at.is_not(None)
    )
    retracted = conn.execute(statement).scalars().all()
    if retracted:
        raise LedgerError(f"disclosure {retracted[0]!r} is already retracted")


def _entry_row(entry: LedgerEntry) -> dict[str, Any]:
    return {
        "sequence": entry.sequence,
        "entry_id": entry.entry_id,
        "kind": entry.kind,
        "actor": entry.actor,
        "recorded_at": entry.recorded_at,
        "payload": entry.payload,
        "idempotency_key": entry.idempotency_key,
        "previous_hash": entry.previous_hash,
        "entry_hash": entry.entry_hash,
    }
