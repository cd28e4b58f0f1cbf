"""The ledger facade: open, append, verify, export, accounting, retraction, report."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, select

from matchgate.errors import LedgerError, LedgerIntegrityError
from matchgate.ledger import _schema as schema
from matchgate.ledger._checkpoint import SignedCheckpoint, compare_checkpoint
from matchgate.ledger._database import (
    DatabaseHandle,
    LedgerDatabase,
    entries_in_order,
    entry_from_row,
)
from matchgate.ledger._disclosures import DisclosureRecord, normalize_tin, record_from_row
from matchgate.ledger._entries import EntryKind, LedgerEntry, NewEntry, format_timestamp
from matchgate.ledger._export import write_export
from matchgate.ledger._files import (
    HEAD_FILE,
    LEDGER_FILE,
    PUBLIC_KEY_FILE,
    compare_head,
    load_keys,
    prepare_workspace,
    read_head,
    write_head,
)
from matchgate.ledger._keys import CheckpointVerifier, LedgerSigner
from matchgate.ledger._oversight import OversightReport, build_oversight_report
from matchgate.ledger._retraction import RetractionNotice, write_disposal_notice
from matchgate.ledger._verify import ChainVerifier, VerifyReport
from matchgate.ledger._writer import ChainWriter, entry_kind, prepare

__all__ = ["DEFAULT_CHECKPOINT_EVERY", "Ledger"]

DEFAULT_CHECKPOINT_EVERY = 1_000


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Ledger(DatabaseHandle):
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
        self._verifier = verifier
        self._clock = clock
        self._writer = (
            ChainWriter(signer=signer, checkpoint_every=checkpoint_every, clock=clock)
            if signer is not None
            else None
        )
        self._signer = signer
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
        server: bool = False,
    ) -> Ledger:
        """Open (creating on first use) the ledger of ``workspace``.

        The database is ``WORKSPACE/ledger.sqlite`` unless ``url`` names another one. The
        signing key comes from ``key_path``, else ``$MATCHGATE_LEDGER_KEY``, else the
        per-user key of this ledger, ``$XDG_CONFIG_HOME/matchgate/keys/ledger-<sha256 of
        ledger.pub>.key`` (``~/.config/...``), outside the workspace; it is created only for a
        brand-new ledger, and never inside the workspace. An older workspace's key inside it
        (``WORKSPACE/keys/ledger.key``) is read with a :class:`LedgerKeyWarning`, or refused
        when ``server`` is set. ``read_only`` needs no private key and refuses every write.
        """
        if checkpoint_every < 1:
            raise LedgerError("checkpoint_every must be at least 1")
        workspace = Path(workspace)
        prepare_workspace(workspace, create=not read_only)
        sqlite_path = workspace / LEDGER_FILE
        if url is None and read_only and not sqlite_path.exists():
            raise LedgerError("there is no ledger in this workspace yet", path=sqlite_path)
        database = LedgerDatabase.connect(url=url, sqlite_path=sqlite_path)
        try:
            if read_only:
                database.check_schema()
            else:
                database.create_schema()
            signer, verifier = load_keys(
                workspace,
                key_path=key_path,
                read_only=read_only,
                ledger_is_new=_count_entries(database) == 0,
                server=server,
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
            [NewEntry(entry_kind(kind), payload, idempotency_key)], actor=actor, sign_end=False
        )
        return entry

    def append_many(self, items: Iterable[NewEntry], *, actor: str) -> list[LedgerEntry]:
        """Append entries in one transaction (all or none) and sign the new end.

        Returns one entry per item, in order; items whose idempotency key is already
        stored return the stored entry and write nothing. Checkpoint entries the ledger
        adds are not in the returned list.
        """
        return self._append(list(items), actor=actor, sign_end=True)

    def checkpoint(self) -> LedgerEntry | None:
        """Sign the current end of the chain now; None when it is already signed."""
        writer = self._require_writer("write a checkpoint")
        with self._db.writing("write a checkpoint") as conn:
            entry = writer.checkpoint(conn)
        if entry is not None:
            write_head(self.workspace, entry)
        return entry

    def _append(self, items: list[NewEntry], *, actor: str, sign_end: bool) -> list[LedgerEntry]:
        writer = self._require_writer("append to the ledger")
        if not isinstance(actor, str) or not actor.strip():
            raise LedgerError("every ledger entry needs an actor (who did it)")
        prepared = [prepare(item) for item in items]
        if not prepared:
            return []
        with self._db.writing("append to the ledger") as conn:
            results, checkpoint = writer.append(conn, prepared, actor=actor, sign_end=sign_end)
        if checkpoint is not None:
            write_head(self.workspace, checkpoint)
        return results

    def _require_writer(self, action: str) -> ChainWriter:
        if self._closed:
            raise LedgerError("the ledger is closed", path=self.location)
        if self._writer is None:
            raise LedgerError(f"cannot {action}: the ledger was opened read-only")
        return self._writer

    def _require_signer(self, action: str) -> LedgerSigner:
        self._require_writer(action)
        assert self._signer is not None
        return self._signer

    # -- checking and exporting ----------------------------------------------------------

    def verify(self, checkpoint: SignedCheckpoint | None = None) -> VerifyReport:
        """Check the whole chain, every checkpoint signature, and the disclosure index.

        With an auditor's ``checkpoint`` (:meth:`signed_checkpoint`) the ledger must also
        reach it and agree with it: one cut short or rolled back fails even when
        ``ledger.head.json`` was deleted with the entries.
        """
        started = time.perf_counter()
        chain = ChainVerifier(self._verifier, collect_index=True)
        head = read_head(self.workspace / HEAD_FILE)
        if head is not None:
            chain.watch_sequences.add(head[0])
        if checkpoint is not None:
            chain.watch_sequences.add(checkpoint.head_sequence)
            problem = checkpoint.signature_problem(self._verifier)
            if problem:
                chain.fail(None, problem)
        damage = "ok" if chain.failed else self._db.quick_check()
        if damage != "ok":
            chain.fail(None, f"the database file is damaged: {damage}")
        elif not chain.failed:
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
            if not chain.failed and checkpoint is not None:
                compare_checkpoint(chain, checkpoint, what="ledger")
            if not chain.failed and head is not None:
                compare_head(chain, head)
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

    def signed_checkpoint(self) -> SignedCheckpoint:
        """Seal the end of the chain and sign a checkpoint of it for an auditor to keep.

        The ledger is verified first: a ledger that does not verify is never vouched for
        (:class:`LedgerIntegrityError`). Write it with :meth:`SignedCheckpoint.write`.
        """
        signer = self._require_signer("sign a checkpoint")
        self.checkpoint()
        report = self.verify()
        if not report.ok:
            raise LedgerIntegrityError(
                "refusing to sign a checkpoint of a ledger that does not verify: "
                + report.summary(),
                path=self.location,
            )
        if report.last_sequence == 0:
            raise LedgerError("the ledger holds no entries yet: there is nothing to vouch for")
        with self._db.reading("sign a checkpoint") as conn:
            row = conn.execute(entries_in_order(after=report.last_sequence - 1).limit(1)).first()
        assert row is not None
        head = entry_from_row(row)
        return SignedCheckpoint.sign(
            signer,
            entries=report.entries_checked,
            head_sequence=head.sequence,
            head_hash=head.entry_hash,
            issued_at=format_timestamp(self._clock()),
        )

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

    def entries(self, *, up_to: int | None = None) -> Iterator[LedgerEntry]:
        """Every entry in sequence order (up to sequence ``up_to``), read as it is consumed:
        what the yearly report reads, the same as an export holds."""
        with self._db.reading("read the ledger") as conn:
            statement = entries_in_order()
            if up_to is not None:
                statement = statement.where(schema.entries.c.sequence <= up_to)
            result = conn.execution_options(stream_results=True, yield_per=5_000).execute(statement)
            for row in result:
                yield entry_from_row(row)
            result.close()

    def entry(self, sequence: int) -> LedgerEntry | None:
        """The entry with this sequence number, or None if the ledger has none."""
        if not 1 <= sequence < 2**63:
            return None
        with self._db.reading("read the ledger") as conn:
            row = conn.execute(
                entries_in_order(after=sequence - 1)
                .where(schema.entries.c.sequence == sequence)
                .limit(1)
            ).first()
        return entry_from_row(row) if row is not None else None

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

    def tins_disclosed_to(
        self, agency_code: str, tins: Iterable[str], *, since: str, excluding_batch: str = ""
    ) -> set[str]:
        """Which of ``tins`` were disclosed (and not retracted) to the agency ``agency_code``
        at or after ``since`` (an ISO timestamp), in a batch other than ``excluding_batch``:
        the repeat requests a batch should see."""
        column = schema.disclosures.c
        wanted = sorted({normalize_tin(tin) for tin in tins if tin})
        found: set[str] = set()
        with self._db.reading("look up earlier disclosures") as conn:
            for start in range(0, len(wanted), 1_000):
                statement = select(func.distinct(column.tin)).where(
                    func.lower(column.agency_code) == agency_code.strip().lower(),
                    column.tin.in_(wanted[start : start + 1_000]),
                    column.disclosed_at >= since,
                    column.retracted_at.is_(None),
                    column.batch_id != excluding_batch,
                )
                found.update(str(tin) for tin in conn.execute(statement).scalars())
        return found

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
                f" ({record.retraction_reason}); to write its disposal notice again use"
                " rewrite_disposal_notice (matchgate retract --rewrite-notice)",
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

    def rewrite_disposal_notice(self, disclosure_id: str, *, out_dir: Path) -> RetractionNotice:
        """Write the disposal notice of an already recorded retraction again.

        For a retraction whose notice was lost, e.g. when the process died between
        recording the retraction and writing the files. Nothing is appended.
        """
        record = self.disclosure(disclosure_id)
        if record is None or record.retracted_at is None:
            raise LedgerError(
                f"no retraction of disclosure {disclosure_id!r} is recorded in this ledger",
                path=self.location,
            )
        sequence = record.retraction_sequence or 0
        with self._db.reading("read the retraction") as conn:
            row = conn.execute(entries_in_order(after=sequence - 1).limit(1)).first()
        entry = entry_from_row(row) if row is not None else None
        if (
            entry is None
            or entry.kind != EntryKind.RETRACTION.value
            or entry.payload_dict().get("disclosure_id") != disclosure_id
        ):
            raise LedgerError(
                f"the retraction entry of disclosure {disclosure_id!r} is missing",
                path=self.location,
            )
        return write_disposal_notice(record, entry, out_dir=Path(out_dir))

    def oversight_report(self, year: int) -> OversightReport:
        """Per agency: requests, disclosures, taxpayers affected, purposes (6103(p)(3)(C))."""
        with self._db.reading("build the oversight report") as conn:
            return build_oversight_report(
                conn, year=year, bounds=_year_bounds(year), generated_at=self._clock()
            )


def _year_bounds(year: int) -> tuple[str, str]:
    return f"{year:04d}-01-01T00:00:00.000000Z", f"{year + 1:04d}-01-01T00:00:00.000000Z"


def _count_entries(database: LedgerDatabase) -> int:
    with database.reading("read the ledger") as conn:
        return int(conn.execute(select(func.count()).select_from(schema.entries)).scalar() or 0)
