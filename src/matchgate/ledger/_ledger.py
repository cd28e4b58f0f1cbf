"""The ledger: append entries, check the chain, answer accounting questions."""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import Connection, func, select

from matchgate.errors import LedgerError, WorkspaceError
from matchgate.ledger import _schema as schema
from matchgate.ledger._database import (
    LedgerDatabase,
    entries_in_order,
    entry_from_row,
    existing_disclosure_ids,
    existing_entries,
    insert_rows,
    last_checkpoint_statement,
    tail_statement,
)
from matchgate.ledger._disclosures import (
    DisclosureRecord,
    index_row_for_disclosure,
    normalize_tin,
    record_from_row,
    retraction_update,
)
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
from matchgate.ledger._export import write_export
from matchgate.ledger._keys import (
    CheckpointVerifier,
    LedgerSigner,
    create_key,
    default_key_path,
    load_private_key,
    load_public_key,
    public_key_pem,
)
from matchgate.ledger._oversight import OversightReport, build_oversight_report
from matchgate.ledger._payloads import validate_payload
from matchgate.ledger._retraction import RetractionNotice, write_disposal_notice
from matchgate.ledger._verify import ChainVerifier, VerifyReport

__all__ = ["DEFAULT_CHECKPOINT_EVERY", "Ledger"]

DEFAULT_CHECKPOINT_EVERY = 1_000
LEDGER_FILE = "ledger.sqlite"
PUBLIC_KEY_FILE = "ledger.pub"
HEAD_FILE = "ledger.head.json"
CHECKPOINT_ACTOR = "matchgate.ledger"


@dataclass(slots=True)
class _Tail:
    """Where the chain ends, read inside the writing transaction."""

    sequence: int
    entry_hash: str
    recorded_at: str
    since_checkpoint: int


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Ledger:
    """Append-only, hash-chained record of every request and disclosure.

    Open with :meth:`open`; use as a context manager or call :meth:`close`.
    """

    def __init__(
        self,
        *,
        database: LedgerDatabase,
        workspace: Path,
        signer: LedgerSigner | None,
        verifier: CheckpointVerifier,
        checkpoint_every: int,
        clock: Callable[[], datetime],
    ) -> None:
        self._db = database
        self.workspace = workspace
        self._signer = signer
        self._verifier = verifier
        self._checkpoint_every = checkpoint_every
        self._clock = clock
        self._closed = False

    # -- opening -------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        workspace: Path,
        *,
        url: str | None = None,
        key_path: Path | None = None,
        read_only: bool = False,
        checkpoint_every: int = DEFAULT_CHECKPOINT_EVERY,
        clock: Callable[[], datetime] | None = None,
    ) -> Ledger:
        """Open (creating on first use) the ledger of ``workspace``.

        The database is ``WORKSPACE/ledger.sqlite`` unless ``url`` names another one. The
        signing key comes from ``key_path``, else ``$MATCHGATE_LEDGER_KEY``, else
        ``WORKSPACE/keys/ledger.key``; it is created only for a brand-new ledger.
        ``read_only`` needs no private key and refuses every write.
        """
        if checkpoint_every < 1:
            raise LedgerError("checkpoint_every must be at least 1")
        workspace = Path(workspace)
        _prepare_workspace(workspace, create=not read_only)
        sqlite_path = workspace / LEDGER_FILE
        if url is None and read_only and not sqlite_path.exists():
            raise LedgerError("there is no ledger in this workspace yet", path=sqlite_path)
        database = LedgerDatabase.connect(url=url, sqlite_path=sqlite_path)
        try:
            if read_only:
                if not database.has_tables():
                    raise LedgerError(
                        "the database holds no matchgate ledger", path=database.location
                    )
            else:
                database.create_schema()
            signer, verifier = _load_keys(
                workspace,
                key_path=key_path,
                read_only=read_only,
                ledger_is_new=_count_entries(database) == 0,
            )
        except BaseException:
            database.dispose()
            raise
        return cls(
            database=database,
            workspace=workspace,
            signer=signer,
            verifier=verifier,
            checkpoint_every=checkpoint_every,
            clock=clock or _utc_now,
        )

    def close(self) -> None:
        if not self._closed:
            self._db.dispose()
            self._closed = True

    def __enter__(self) -> Ledger:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def location(self) -> str:
        """The database file, or the server URL without its password."""
        return self._db.location

    @property
    def public_key_path(self) -> Path:
        return self.workspace / PUBLIC_KEY_FILE

    # -- appending -----------------------------------------------------------------------

    def append(
        self,
        kind: EntryKind | str,
        payload: Mapping[str, Any],
        *,
        actor: str,
        idempotency_key: str,
    ) -> LedgerEntry:
        """Append one entry, or return the entry already stored under ``idempotency_key``.

        A checkpoint is added when one is due (every ``checkpoint_every`` entries); use
        :meth:`append_many` for batches, which also signs its own end.
        """
        [entry] = self._append(
            [NewEntry(_kind(kind), payload, idempotency_key)], actor=actor, sign_end=False
        )
        return entry

    def append_many(self, items: Iterable[NewEntry], *, actor: str) -> list[LedgerEntry]:
        """Append entries in one transaction (all or none) and sign the new end.

        Returns one entry per item, in order; items whose idempotency key is already
        stored return the stored entry and write nothing. Checkpoint entries the ledger
        adds are not in the returned list.
        """
        return self._append(list(items), actor=actor, sign_end=True)

    def checkpoint(self, *, actor: str = CHECKPOINT_ACTOR) -> LedgerEntry | None:
        """Sign the current end of the chain now; None when it is already signed."""
        signer = self._require_signer("write a checkpoint")
        with self._db.writing("write a checkpoint") as conn:
            tail = self._read_tail(conn)
            if tail.since_checkpoint == 0:
                return None
            entry = self._checkpoint_entry(tail, signer, format_timestamp(self._clock()))
            insert_rows(conn, schema.entries, [_entry_row(entry)])
        self._write_head(entry)
        return entry

    def _append(self, items: list[NewEntry], *, actor: str, sign_end: bool) -> list[LedgerEntry]:
        signer = self._require_signer("append to the ledger")
        if not isinstance(actor, str) or not actor.strip():
            raise LedgerError("every ledger entry needs an actor (who did it)")
        prepared = [_prepare(item) for item in items]
        if not prepared:
            return []
        results: list[LedgerEntry] = []
        last_checkpoint: LedgerEntry | None = None
        with self._db.writing("append to the ledger") as conn:
            tail = self._read_tail(conn)
            now = max(format_timestamp(self._clock()), tail.recorded_at)
            stored = existing_entries(conn, [key for _, _, key in prepared])
            new_entries: list[LedgerEntry] = []
            index_rows: list[dict[str, Any]] = []
            retractions: dict[str, dict[str, Any]] = {}
            for kind, payload, key in prepared:
                existing = stored.get(key)
                if existing is not None:
                    if existing.kind != kind.value:
                        raise LedgerError(
                            f"idempotency key {key!r} is already used by a {existing.kind}"
                            f" entry (sequence {existing.sequence}), not a {kind.value}"
                        )
                    results.append(existing)
                    continue
                entry = self._next_entry(tail, kind, canonical_json(payload), actor, key, now)
                stored[key] = entry
                new_entries.append(entry)
                results.append(entry)
                if kind is EntryKind.DISCLOSURE:
                    index_rows.append(index_row_for_disclosure(entry, payload))
                elif kind is EntryKind.RETRACTION:
                    target = str(payload["disclosure_id"])
                    if target in retractions:
                        raise LedgerError(f"disclosure {target!r} is retracted twice in one call")
                    retractions[target] = retraction_update(entry, payload)
                if tail.since_checkpoint >= self._checkpoint_every:
                    last_checkpoint = self._checkpoint_entry(tail, signer, now)
                    new_entries.append(last_checkpoint)
            if sign_end and tail.since_checkpoint > 0:
                last_checkpoint = self._checkpoint_entry(tail, signer, now)
                new_entries.append(last_checkpoint)
            self._check_disclosures(conn, index_rows, retractions)
            insert_rows(conn, schema.entries, (_entry_row(entry) for entry in new_entries))
            insert_rows(conn, schema.disclosures, index_rows)
            for disclosure_id, values in retractions.items():
                conn.execute(
                    schema.disclosures.update()
                    .where(schema.disclosures.c.disclosure_id == disclosure_id)
                    .values(**values)
                )
        if last_checkpoint is not None:
            self._write_head(last_checkpoint)
        return results

    def _read_tail(self, conn: Connection) -> _Tail:
        row = conn.execute(tail_statement()).first()
        if row is None:
            return _Tail(0, GENESIS_HASH, "", 0)
        last = entry_from_row(row)
        checkpoint = conn.execute(last_checkpoint_statement()).scalar() or 0
        return _Tail(last.sequence, last.entry_hash, last.recorded_at, last.sequence - checkpoint)

    def _next_entry(
        self, tail: _Tail, kind: EntryKind, payload: str, actor: str, key: str, now: str
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

    def _checkpoint_entry(self, tail: _Tail, signer: LedgerSigner, now: str) -> LedgerEntry:
        fields: dict[str, object] = {
            "covers_sequence": tail.sequence,
            "covers_hash": tail.entry_hash,
        }
        payload = {
            **fields,
            "signature": signer.sign("checkpoint", fields),
            "public_key_sha256": signer.verifier.fingerprint,
        }
        return self._next_entry(
            tail,
            EntryKind.CHECKPOINT,
            canonical_json(payload),
            CHECKPOINT_ACTOR,
            f"checkpoint:{tail.sequence}",
            now,
        )

    def _check_disclosures(
        self,
        conn: Connection,
        index_rows: list[dict[str, Any]],
        retractions: dict[str, dict[str, Any]],
    ) -> None:
        new_ids = [row["disclosure_id"] for row in index_rows]
        if len(set(new_ids)) != len(new_ids):
            raise LedgerError("the same disclosure_id appears twice among the new entries")
        already = existing_disclosure_ids(conn, new_ids)
        if already:
            raise LedgerError(
                "disclosure already recorded under another idempotency key: "
                + ", ".join(sorted(already)[:5])
            )
        if not retractions:
            return
        targets = list(retractions)
        known = existing_disclosure_ids(conn, targets) | set(new_ids)
        unknown = [disclosure_id for disclosure_id in targets if disclosure_id not in known]
        if unknown:
            raise LedgerError(f"no disclosure with id {unknown[0]!r} is recorded in the ledger")
        column = schema.disclosures.c
        retracted = (
            conn.execute(
                select(column.disclosure_id).where(
                    column.disclosure_id.in_(targets), column.retracted_at.is_not(None)
                )
            )
            .scalars()
            .all()
        )
        if retracted:
            raise LedgerError(f"disclosure {retracted[0]!r} is already retracted")

    def _require_signer(self, action: str) -> LedgerSigner:
        if self._closed:
            raise LedgerError("the ledger is closed", path=self.location)
        if self._signer is None:
            raise LedgerError(f"cannot {action}: the ledger was opened read-only")
        return self._signer

    def _write_head(self, checkpoint: LedgerEntry) -> None:
        """Remember the newest signed checkpoint outside the database (catches truncation)."""
        path = self.workspace / HEAD_FILE
        try:
            current = _read_head(path)
        except WorkspaceError:
            current = None  # verify reports a damaged head file; appending replaces it
        if current is not None and current[0] >= checkpoint.sequence:
            return  # another writer already recorded a later checkpoint
        head = {"sequence": checkpoint.sequence, "entry_hash": checkpoint.entry_hash}
        _write_atomically(path, canonical_json(head).encode("utf-8"))

    # -- checking and exporting ----------------------------------------------------------

    def verify(self) -> VerifyReport:
        """Check the whole chain, every checkpoint signature, and the disclosure index."""
        started = time.perf_counter()
        chain = ChainVerifier(self._verifier, collect_index=True)
        head = _read_head(self.workspace / HEAD_FILE)
        if head is not None:
            chain.watch_sequences.add(head[0])
        damage = self._db.quick_check()
        if damage != "ok":
            chain.fail(None, f"the database file is damaged: {damage}")
        else:
            with self._db.reading("verify the ledger") as conn:
                result = conn.execution_options(stream_results=True, yield_per=5_000).execute(
                    entries_in_order()
                )
                for row in result:
                    if not chain.feed(entry_from_row(row)):
                        break
                result.close()
                if not chain.failed:
                    self._compare_index(conn, chain)
            if not chain.failed and head is not None:
                _compare_head(chain, head)
        return VerifyReport(
            ok=not chain.failed,
            entries_checked=chain.entries_checked,
            checkpoints_checked=chain.checkpoints_checked,
            first_bad_sequence=chain.first_bad_sequence,
            problem=chain.problem,
            seconds=time.perf_counter() - started,
            last_sequence=chain.last_sequence,
            unsigned_tail=chain.unsigned_tail,
            source=self.location,
        )

    def _compare_index(self, conn: Connection, chain: ChainVerifier) -> None:
        expected = chain.expected_index
        columns = [column.name for column in schema.disclosures.columns]
        problems: list[tuple[int, str]] = []
        seen: set[str] = set()
        for row in conn.execute(select(schema.disclosures)).mappings():
            actual = {name: row[name] for name in columns}
            disclosure_id = actual["disclosure_id"]
            seen.add(disclosure_id)
            wanted = expected.get(disclosure_id)
            if wanted is None:
                problems.append(
                    (
                        int(actual["sequence"] or 0),
                        f"disclosure index row {disclosure_id!r} has no disclosure entry",
                    )
                )
                continue
            differing = [name for name in columns if actual[name] != wanted[name]]
            if differing:
                problems.append(
                    (
                        int(wanted["sequence"]),
                        f"disclosure index row {disclosure_id!r} disagrees with its entry in"
                        f" {', '.join(differing)}",
                    )
                )
        for disclosure_id, wanted in expected.items():
            if disclosure_id not in seen:
                problems.append(
                    (
                        int(wanted["sequence"]),
                        f"disclosure {disclosure_id!r} is missing from the disclosure index",
                    )
                )
        if problems:
            sequence, problem = min(problems)
            chain.fail(sequence, problem)

    def export(self, out: Path) -> int:
        """Write every entry (checkpoints included) as JSON Lines plus a signed trailer.

        Returns the number of entries written.
        """
        signer = self._require_signer("export the ledger (the trailer is signed)")
        with self._db.reading("export the ledger") as conn:
            result = conn.execution_options(stream_results=True, yield_per=5_000).execute(
                entries_in_order()
            )
            entries = (entry_from_row(row) for row in result)
            count = write_export(
                Path(out), entries, signer=signer, exported_at=format_timestamp(self._clock())
            )
        return count

    # -- accounting ----------------------------------------------------------------------

    def disclosures_for_tin(self, tin: str) -> list[DisclosureRecord]:
        """Every disclosure about one taxpayer, oldest first (retracted ones included)."""
        column = schema.disclosures.c
        statement = (
            select(schema.disclosures)
            .where(column.tin == normalize_tin(tin))
            .order_by(column.disclosed_at, column.sequence)
        )
        return self._records(statement)

    def disclosures_for_agency(self, agency: str, year: int) -> list[DisclosureRecord]:
        """Every disclosure to one agency (name or code, any case) in a calendar year (UTC)."""
        column = schema.disclosures.c
        wanted = agency.strip().lower()
        start, end = _year_bounds(year)
        statement = (
            select(schema.disclosures)
            .where(
                (func.lower(column.agency) == wanted) | (func.lower(column.agency_code) == wanted),
                column.disclosed_at >= start,
                column.disclosed_at < end,
            )
            .order_by(column.disclosed_at, column.sequence)
        )
        return self._records(statement)

    def disclosure(self, disclosure_id: str) -> DisclosureRecord | None:
        column = schema.disclosures.c
        found = self._records(
            select(schema.disclosures).where(column.disclosure_id == disclosure_id)
        )
        return found[0] if found else None

    def _records(self, statement: Any) -> list[DisclosureRecord]:
        with self._db.reading("read the disclosure accounting") as conn:
            return [record_from_row(row) for row in conn.execute(statement).mappings()]

    def retract(
        self, disclosure_id: str, *, reason: str, actor: str, out_dir: Path
    ) -> RetractionNotice:
        """Record that a disclosure was wrong and write the disposal notice for its recipient."""
        if not reason.strip():
            raise LedgerError("a retraction needs a reason")
        record = self.disclosure(disclosure_id)
        if record is None:
            raise LedgerError(
                f"no disclosure with id {disclosure_id!r} is recorded in this ledger",
                path=self.location,
            )
        if record.retracted_at is not None:
            raise LedgerError(
                f"disclosure {disclosure_id!r} was already retracted at {record.retracted_at}"
                f" ({record.retraction_reason})",
                path=self.location,
            )
        payload = {
            "disclosure_id": record.disclosure_id,
            "reason": reason.strip(),
            "agency": record.agency,
            "batch_id": record.batch_id,
            "row_number": record.row_number,
            "request_id": record.request_id,
        }
        [entry] = self.append_many(
            [NewEntry(EntryKind.RETRACTION, payload, f"retraction:{record.disclosure_id}")],
            actor=actor,
        )
        return write_disposal_notice(record, entry, out_dir=Path(out_dir))

    def oversight_report(self, year: int) -> OversightReport:
        """Per agency: requests, disclosures, taxpayers affected, purposes (6103(p)(3)(C))."""
        with self._db.reading("build the oversight report") as conn:
            return build_oversight_report(
                conn, year=year, bounds=_year_bounds(year), generated_at=self._clock()
            )


def _kind(kind: EntryKind | str) -> EntryKind:
    try:
        return EntryKind(kind)
    except ValueError as exc:
        raise LedgerError(f"unknown ledger entry kind {kind!r}") from exc


def _prepare(item: NewEntry) -> tuple[EntryKind, dict[str, Any], str]:
    kind = _kind(item.kind)
    if kind is EntryKind.CHECKPOINT:
        raise LedgerError("checkpoint entries are written by the ledger itself")
    key = item.idempotency_key
    if not isinstance(key, str) or not key.strip():
        raise LedgerError(f"a {kind.value} entry needs a non-empty idempotency_key")
    return kind, validate_payload(kind, item.payload), key


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


def _year_bounds(year: int) -> tuple[str, str]:
    return f"{year:04d}-01-01T00:00:00.000000Z", f"{year + 1:04d}-01-01T00:00:00.000000Z"


def _count_entries(database: LedgerDatabase) -> int:
    with database.reading("read the ledger") as conn:
        return int(conn.execute(select(func.count()).select_from(schema.entries)).scalar() or 0)


def _prepare_workspace(workspace: Path, *, create: bool) -> None:
    if workspace.exists() and not workspace.is_dir():
        raise WorkspaceError("the workspace is not a folder", path=workspace)
    if not workspace.exists():
        if not create:
            raise WorkspaceError("the workspace folder does not exist", path=workspace)
        try:
            workspace.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise WorkspaceError(f"cannot create the workspace: {exc}", path=workspace) from exc


def _load_keys(
    workspace: Path, *, key_path: Path | None, read_only: bool, ledger_is_new: bool
) -> tuple[LedgerSigner | None, CheckpointVerifier]:
    public_path = workspace / PUBLIC_KEY_FILE
    if read_only:
        return None, CheckpointVerifier(load_public_key(public_path))
    private_path = Path(key_path) if key_path is not None else default_key_path(workspace)
    if private_path.exists() or public_path.exists() or not ledger_is_new:
        private_key = load_private_key(private_path)
    else:
        private_key = create_key(private_path)
    signer = LedgerSigner(private_key)
    if public_path.exists():
        published = CheckpointVerifier(load_public_key(public_path))
        if published.fingerprint != signer.verifier.fingerprint:
            raise LedgerError(
                f"the signing key {private_path} does not belong to the workspace's public"
                " key; use the key this ledger was created with",
                path=public_path,
            )
    else:
        _write_atomically(public_path, public_key_pem(private_key.public_key()), mode=0o644)
    return signer, signer.verifier


def _write_atomically(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with temporary.open("wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise WorkspaceError(f"cannot write {path.name}: {exc}", path=path) from exc


def _read_head(path: Path) -> tuple[int, str] | None:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
        return int(value["sequence"]), str(value["entry_hash"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise WorkspaceError(f"the ledger head file is unreadable: {exc}", path=path) from exc


def _compare_head(chain: ChainVerifier, head: tuple[int, str]) -> None:
    sequence, entry_hash = head
    if chain.last_sequence < sequence:
        chain.fail(
            chain.last_sequence + 1,
            f"the ledger ends at sequence {chain.last_sequence}, but a signed checkpoint at"
            f" sequence {sequence} was recorded in {HEAD_FILE}: entries were removed from"
            " the end",
        )
    elif chain.hash_at.get(sequence) != entry_hash:
        chain.fail(
            sequence,
            f"entry {sequence} is not the signed checkpoint recorded in {HEAD_FILE}",
        )
