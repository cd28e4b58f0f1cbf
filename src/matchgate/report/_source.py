"""Where the yearly report's entries come from: a workspace's ledger or an exported file.

Either way the ledger is verified first (hash chain, checkpoint signatures, the disclosure
index or the export's signed trailer); a ledger that fails is not reported on. Nothing but
the ledger is read: no batch folder, no master file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matchgate.errors import LedgerError, LedgerIntegrityError
from matchgate.ledger import Ledger, verify_export

__all__ = ["Entry", "LedgerSource"]


@dataclass(frozen=True, slots=True)
class Entry:
    """The parts of one ledger entry the report reads."""

    sequence: int
    kind: str
    actor: str
    recorded_at: str
    payload: dict[str, Any]
    entry_hash: str


@dataclass(frozen=True, slots=True)
class LedgerSource:
    """A verified ledger: a workspace (``workspace``/``database_url``) or an export
    (``file`` with ``public_key``)."""

    workspace: Path | None = None
    database_url: str | None = None
    file: Path | None = None
    public_key: Path | None = None

    def describe(self) -> str:
        if self.file is not None:
            return f"export {self.file.name}"
        if self.database_url is not None:
            return "workspace ledger (database)"
        return "workspace ledger"

    def verify(self) -> int:
        """Check the ledger; returns its last sequence, or raises
        :class:`LedgerIntegrityError` (exit 3) naming the problem."""
        if self.file is not None:
            if self.public_key is None:
                raise LedgerError("a ledger export needs its public key (--public-key ledger.pub)")
            report = verify_export(self.file, public_key=self.public_key)
        else:
            if self.workspace is None:
                raise LedgerError("no workspace and no ledger export given")
            with Ledger.open(self.workspace, url=self.database_url, read_only=True) as ledger:
                report = ledger.verify()
        if not report.ok:
            raise LedgerIntegrityError(
                f"the ledger fails verification, no report is made from it: {report.summary()}",
                path=report.source or None,
            )
        return report.last_sequence

    def entries(self, *, up_to: int) -> Iterator[Entry]:
        """Every entry up to sequence ``up_to``, in order."""
        if self.file is not None:
            yield from _export_entries(self.file, up_to=up_to)
            return
        assert self.workspace is not None
        with Ledger.open(self.workspace, url=self.database_url, read_only=True) as ledger:
            for entry in ledger.entries(up_to=up_to):
                yield Entry(
                    sequence=entry.sequence,
                    kind=entry.kind,
                    actor=entry.actor,
                    recorded_at=entry.recorded_at,
                    payload=entry.payload_dict(),
                    entry_hash=entry.entry_hash,
                )


def _export_entries(path: Path, *, up_to: int) -> Iterator[Entry]:
    try:
        stream = path.open(encoding="utf-8")
    except OSError as exc:
        raise LedgerError(f"cannot read the ledger export: {exc}", path=path) from exc
    with stream:
        for number, line in enumerate(stream, start=1):
            value = json.loads(line)
            if "export_trailer" in value:
                return
            try:
                entry = Entry(
                    sequence=int(value["sequence"]),
                    kind=str(value["kind"]),
                    actor=str(value["actor"]),
                    recorded_at=str(value["recorded_at"]),
                    payload=dict(value["payload"]),
                    entry_hash=str(value["entry_hash"]),
                )
            except (KeyError, TypeError, ValueError) as exc:
                raise LedgerError(f"line {number} is not a ledger entry: {exc}", path=path) from exc
            if entry.sequence > up_to:
                return
            yield entry
