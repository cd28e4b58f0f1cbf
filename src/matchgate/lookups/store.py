"""The look-ups of one letter: its "look-up batch", kept in the workspace.

    WORKSPACE/lookups/<letter_id>/
      letter.toml        the signed look-up letter, as filed
      lookups.sqlite     one row per look-up: the request, its answer, its ledger entries
      lock               held while a look-up of this letter is decided and recorded

Rows accumulate (numbered 1, 2, ... per letter, each with its day); nothing here grows with
the master file. A look-up is written here with its ledger entries *before* they are appended
to the ledger and marked recorded after, so a process killed in between finishes the entries
(same idempotency keys, nothing recorded twice) the next time the letter is used, and only a
recorded look-up is ever answered.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.exc import SQLAlchemyError

from matchgate.errors import MatchgateError, WorkspaceError

__all__ = ["LetterNotOnFileError", "LetterStore", "StoredLookup", "letter_folder", "letter_lock"]


class LetterNotOnFileError(MatchgateError):
    """No look-up letter with that id is on file in the workspace."""


_LETTER_ID = re.compile(r"^[0-9a-f]{16}$")
_SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS lookups (
    number INTEGER PRIMARY KEY,
    day TEXT NOT NULL,
    request_sha256 TEXT NOT NULL,
    request_json TEXT NOT NULL,
    actor TEXT NOT NULL,
    outcome TEXT NOT NULL,
    counted INTEGER NOT NULL,
    response_json TEXT NOT NULL,
    entries_json TEXT NOT NULL,
    recorded INTEGER NOT NULL DEFAULT 0
)""",
    "CREATE UNIQUE INDEX IF NOT EXISTS lookups_request ON lookups (day, request_sha256)",
)

_THREAD_LOCKS: dict[str, threading.Lock] = {}
_THREAD_LOCKS_GUARD = threading.Lock()


def letter_folder(workspace: Path, letter_id: str) -> Path:
    if not _LETTER_ID.match(letter_id):
        raise LetterNotOnFileError(f"no look-up letter {letter_id!r} on file in this workspace")
    return workspace / "lookups" / letter_id


@contextmanager
def letter_lock(folder: Path) -> Iterator[None]:
    """One look-up of a letter at a time: a lock per letter among this process's threads
    and, through the lock file, among processes (the OS releases it if a process dies)."""
    with _THREAD_LOCKS_GUARD:
        lock = _THREAD_LOCKS.setdefault(str(folder), threading.Lock())
    with lock:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            stream = (folder / "lock").open("a+", encoding="utf-8")
        except OSError as exc:
            raise WorkspaceError(f"cannot lock the look-up letter ({exc})", path=folder) from exc
        try:
            fcntl.flock(stream.fileno(), fcntl.LOCK_EX)
            stream.seek(0)
            stream.truncate()
            stream.write(str(os.getpid()))
            stream.flush()
            yield
        finally:
            fcntl.flock(stream.fileno(), fcntl.LOCK_UN)
            stream.close()


@dataclass(frozen=True, slots=True)
class StoredLookup:
    number: int
    day: str
    request_sha256: str
    outcome: str
    response: dict[str, str]
    entries: list[dict[str, Any]]
    recorded: bool
    actor: str


class LetterStore:
    """The look-ups of one letter (use inside :func:`letter_lock`)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._engine = create_engine(f"sqlite:///{folder / 'lookups.sqlite'}")
        try:
            with self._engine.begin() as conn:
                for statement in _SCHEMA:
                    conn.execute(text(statement))
        except SQLAlchemyError as exc:
            self._engine.dispose()
            raise WorkspaceError(
                f"the look-up store cannot be opened ({exc})", path=folder
            ) from exc

    def close(self) -> None:
        self._engine.dispose()

    def _rows(self, statement: str, **params: Any) -> list[tuple[Any, ...]]:
        with self._engine.begin() as conn:
            return [tuple(row) for row in conn.execute(text(statement), params)]

    def _write(self, statement: str, **params: Any) -> None:
        with self._engine.begin() as conn:
            conn.execute(text(statement), params)

    def __enter__(self) -> LetterStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @staticmethod
    def _row(row: tuple[Any, ...]) -> StoredLookup:
        number, day, digest, outcome, response, entries, recorded, actor = row
        return StoredLookup(
            number=int(number),
            day=day,
            request_sha256=digest,
            outcome=outcome,
            response=json.loads(response),
            entries=json.loads(entries),
            recorded=bool(recorded),
            actor=actor,
        )

    _COLUMNS = "number, day, request_sha256, outcome, response_json, entries_json, recorded, actor"

    def find(self, *, day: str, request_sha256: str) -> StoredLookup | None:
        rows = self._rows(
            f"SELECT {self._COLUMNS} FROM lookups WHERE day = :day AND request_sha256 = :digest",
            day=day,
            digest=request_sha256,
        )
        return self._row(rows[0]) if rows else None

    def unrecorded(self) -> list[StoredLookup]:
        rows = self._rows(f"SELECT {self._COLUMNS} FROM lookups WHERE recorded = 0 ORDER BY number")
        return [self._row(row) for row in rows]

    def next_number(self) -> int:
        [(last,)] = self._rows("SELECT coalesce(max(number), 0) FROM lookups")
        return int(last) + 1

    def counted(self) -> int:
        """Look-ups that count against the letter's maximum: those it let through to the
        master file (a look-up refused by review searched nobody)."""
        [(count,)] = self._rows("SELECT count(*) FROM lookups WHERE counted = 1")
        return int(count)

    def first_of_day(self, day: str) -> bool:
        return not self._rows("SELECT 1 FROM lookups WHERE day = :day LIMIT 1", day=day)

    def add(
        self,
        *,
        number: int,
        day: str,
        request_sha256: str,
        request_json: str,
        actor: str,
        outcome: str,
        counted: bool,
        response: dict[str, str],
        entries: list[dict[str, Any]],
    ) -> None:
        self._write(
            "INSERT INTO lookups (number, day, request_sha256, request_json, actor, outcome,"
            " counted, response_json, entries_json, recorded) VALUES (:number, :day, :digest,"
            " :request_json, :actor, :outcome, :counted, :response, :entries, 0)",
            number=number,
            day=day,
            digest=request_sha256,
            request_json=request_json,
            actor=actor,
            outcome=outcome,
            counted=int(counted),
            response=json.dumps(response),
            entries=json.dumps(entries, sort_keys=True),
        )

    def mark_recorded(self, number: int) -> None:
        self._write("UPDATE lookups SET recorded = 1 WHERE number = :number", number=number)

    def all(self) -> list[StoredLookup]:
        rows = self._rows(f"SELECT {self._COLUMNS} FROM lookups ORDER BY number")
        return [self._row(row) for row in rows]
