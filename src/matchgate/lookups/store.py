"""The look-ups of one letter: its "look-up batch".

    WORKSPACE/lookups/<letter_id>/
      letter.toml        the signed look-up letter, as filed
      lock               held while a look-up of this letter is decided and recorded
                         (the embedded default; on a server a PostgreSQL advisory lock)

    lookup_records       one row per look-up, keyed by (letter_id, number): the request,
                         its answer, its ledger entries. The ``lookups`` store of
                         :mod:`matchgate.store.schema`: ``WORKSPACE/lookups.sqlite``, or the
                         server's database (``ledger_url``) when one is set.

Rows accumulate (numbered 1, 2, ... per letter, each with its day); nothing here grows with
the master file. A look-up is written here with its ledger entries *before* they are appended
to the ledger and marked recorded after, so a process killed in between finishes the entries
(same idempotency keys, nothing recorded twice) the next time the letter is used, and only a
recorded look-up is ever answered.

A letter folder from before the model keeps its look-ups in ``lookups.sqlite`` in the folder:
the first time the letter is used its rows are copied into ``lookup_records`` (in one
transaction, under the letter's lock) and the file is renamed ``lookups.sqlite.imported``. A
copy cut off before the rename is finished the next time (rows already there are checked to be
the same, not copied again).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    create_engine,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from matchgate.errors import MatchgateError, WorkspaceError
from matchgate.store import ensure_current
from matchgate.store import schema as store_schema
from matchgate.store.engines import shared_engine
from matchgate.store.migrate import (
    as_workspace_error,
    describe,
    driver_detail,
    sqlite_immediate_transactions,
)

__all__ = [
    "LOOKUPS_FILE",
    "LetterNotOnFileError",
    "LetterStore",
    "StoredLookup",
    "letter_folder",
    "letter_lock",
    "lookups_url",
]

LOOKUPS_FILE = "lookups.sqlite"
# What a letter folder held before the look-ups were in the model, and its name once copied.
LEGACY_FILE = "lookups.sqlite"
IMPORTED_SUFFIX = ".imported"


class LetterNotOnFileError(MatchgateError):
    """No look-up letter with that id is on file in the workspace."""


_LETTER_ID = re.compile(r"^[0-9a-f]{16}$")
_records = store_schema.lookup_records
_COLUMNS = (
    "number",
    "day",
    "request_sha256",
    "request_json",
    "actor",
    "outcome",
    "counted",
    "response_json",
    "entries_json",
    "recorded",
)

_THREAD_LOCKS: dict[str, threading.Lock] = {}
_THREAD_LOCKS_GUARD = threading.Lock()


def letter_folder(workspace: Path, letter_id: str) -> Path:
    if not _LETTER_ID.match(letter_id):
        raise LetterNotOnFileError(f"no look-up letter {letter_id!r} on file in this workspace")
    return workspace / "lookups" / letter_id


def lookups_url(workspace: Path, url: str | None) -> str:
    """The look-up store's database: ``url`` (the server's), else the workspace's file."""
    return url if url is not None else f"sqlite:///{Path(workspace) / LOOKUPS_FILE}"


def _is_postgres(url: str | None) -> bool:
    if url is None:
        return False
    try:
        return make_url(url).get_backend_name() == "postgresql"
    except ArgumentError as exc:
        raise WorkspaceError("not a database URL", path=describe(url)) from exc


def advisory_key(letter_id: str) -> int:
    """The PostgreSQL advisory lock key of a letter: a signed 64-bit hash of its id."""
    digest = hashlib.sha256(f"matchgate-lookup-letter:{letter_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextmanager
def letter_lock(folder: Path, *, url: str | None = None) -> Iterator[None]:
    """One look-up of a letter at a time: a lock per letter among this process's threads
    and, among processes, the letter's lock file (the embedded default) or, when the
    look-ups live in PostgreSQL (``url``), an advisory lock on a hash of the letter's id held
    by a transaction of its own. Either is released by the OS or the server if a process
    dies."""
    with _THREAD_LOCKS_GUARD:
        lock = _THREAD_LOCKS.setdefault(str(folder), threading.Lock())
    with lock:
        if _is_postgres(url):
            assert url is not None
            with _advisory_lock(url, folder.name):
                yield
            return
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


@contextmanager
def _advisory_lock(url: str, letter_id: str) -> Iterator[None]:
    engine = create_engine(url, pool_size=1, max_overflow=0)
    conn = None
    try:
        try:
            conn = engine.connect()
            transaction = conn.begin()
            conn.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": advisory_key(letter_id)}
            )
        except SQLAlchemyError as exc:
            raise WorkspaceError(
                f"cannot lock the look-up letter: {driver_detail(exc)}", path=describe(url)
            ) from exc
        try:
            yield
        finally:
            # The lock's transaction wrote nothing: ending it releases the lock. A session
            # that died meanwhile has released it already; its error must not hide the
            # look-up's own outcome.
            with suppress(SQLAlchemyError):
                transaction.rollback()
    finally:
        if conn is not None:  # also when taking the lock failed: no connection left open
            with suppress(SQLAlchemyError):
                conn.close()
        engine.dispose()


def _configure_lookups_engine(engine: Engine) -> None:
    if engine.dialect.name == "sqlite":
        sqlite_immediate_transactions(engine)


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
    """The look-ups of one letter (use inside :func:`letter_lock`), in the workspace's
    ``lookups.sqlite`` or, with ``url``, the server's database."""

    def __init__(self, folder: Path, *, url: str | None = None) -> None:
        self.folder = folder
        self.letter_id = folder.name
        self.url = lookups_url(folder.parent.parent, url)
        self.location = describe(self.url)
        try:
            # One engine per database for the process (matchgate.store.engines); letters
            # share one SQLite file.
            self._shared = shared_engine(
                self.url, kind="lookups", configure=_configure_lookups_engine
            )
        except (ArgumentError, ImportError) as exc:
            raise WorkspaceError(f"the look-up store cannot be opened ({exc})") from exc
        self._engine = self._shared.engine
        try:
            ensure_current(self.url, store_schema.LOOKUPS, create=True, engine=self._engine)
            self._import_legacy_file()
        except SQLAlchemyError as exc:
            self._shared.release()
            raise WorkspaceError(
                f"the look-up store cannot be opened: {driver_detail(exc)}", path=self.location
            ) from exc
        except BaseException:
            self._shared.release()
            raise

    def close(self) -> None:
        self._shared.release()

    def __enter__(self) -> LetterStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        with (
            as_workspace_error("the look-up store failed", path=self.location),
            self._engine.begin() as conn,
        ):
            yield conn

    # -- a letter folder from before the model --------------------------------------------

    def _import_legacy_file(self) -> None:
        legacy = self.folder / LEGACY_FILE
        if not legacy.is_file():
            return
        reader = create_engine(f"sqlite:///{legacy}")
        try:
            with reader.connect() as conn:
                rows = [
                    dict(row._mapping)
                    for row in conn.execute(
                        text(f"SELECT {', '.join(_COLUMNS)} FROM lookups ORDER BY number")
                    )
                ]
        except SQLAlchemyError as exc:
            raise WorkspaceError(
                "cannot read the letter's look-ups from before the look-up store: "
                + driver_detail(exc),
                path=legacy,
            ) from exc
        finally:
            reader.dispose()
        with self._transaction() as conn:
            have = {
                row.number: row
                for row in conn.execute(
                    select(_records).where(_records.c.letter_id == self.letter_id)
                )
            }
            for row in rows:
                values = {**row, "counted": int(row["counted"]), "recorded": int(row["recorded"])}
                there = have.get(int(row["number"]))
                if there is None:
                    conn.execute(insert(_records).values(letter_id=self.letter_id, **values))
                elif any(getattr(there, name) != values[name] for name in _COLUMNS):
                    raise WorkspaceError(
                        f"look-up {row['number']} of this letter is already in the look-up"
                        f" store ({self.location}) with other contents: not copied",
                        path=legacy,
                    )
        try:
            legacy.rename(legacy.with_name(legacy.name + IMPORTED_SUFFIX))
        except OSError as exc:
            raise WorkspaceError(f"cannot rename the copied file ({exc})", path=legacy) from exc

    # -- reading ----------------------------------------------------------------------------

    @staticmethod
    def _row(row: Any) -> StoredLookup:
        return StoredLookup(
            number=int(row.number),
            day=row.day,
            request_sha256=row.request_sha256,
            outcome=row.outcome,
            response=json.loads(row.response_json),
            entries=json.loads(row.entries_json),
            recorded=bool(row.recorded),
            actor=row.actor,
        )

    def _select(self, *conditions: Any) -> list[StoredLookup]:
        statement = (
            select(_records)
            .where(_records.c.letter_id == self.letter_id, *conditions)
            .order_by(_records.c.number)
        )
        with self._transaction() as conn:
            return [self._row(row) for row in conn.execute(statement)]

    def find(self, *, day: str, request_sha256: str) -> StoredLookup | None:
        found = self._select(_records.c.day == day, _records.c.request_sha256 == request_sha256)
        return found[0] if found else None

    def unrecorded(self) -> list[StoredLookup]:
        return self._select(_records.c.recorded == 0)

    def all(self) -> list[StoredLookup]:
        return self._select()

    def _scalar(self, statement: Any) -> int:
        with self._transaction() as conn:
            return int(conn.execute(statement).scalar_one())

    def next_number(self) -> int:
        last = self._scalar(
            select(func.coalesce(func.max(_records.c.number), 0)).where(
                _records.c.letter_id == self.letter_id
            )
        )
        return last + 1

    def counted(self) -> int:
        """Look-ups that count against the letter's maximum: those it let through to the
        master file (a look-up refused by review searched nobody)."""
        return self._scalar(
            select(func.count()).where(
                _records.c.letter_id == self.letter_id, _records.c.counted == 1
            )
        )

    def first_of_day(self, day: str) -> bool:
        return not self._scalar(
            select(func.count()).where(
                _records.c.letter_id == self.letter_id, _records.c.day == day
            )
        )

    # -- writing ----------------------------------------------------------------------------

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
        with self._transaction() as conn:
            conn.execute(
                insert(_records).values(
                    letter_id=self.letter_id,
                    number=number,
                    day=day,
                    request_sha256=request_sha256,
                    request_json=request_json,
                    actor=actor,
                    outcome=outcome,
                    counted=int(counted),
                    response_json=json.dumps(response),
                    entries_json=json.dumps(entries, sort_keys=True),
                    recorded=0,
                )
            )

    def mark_recorded(self, number: int) -> None:
        with self._transaction() as conn:
            conn.execute(
                update(_records)
                .where(_records.c.letter_id == self.letter_id, _records.c.number == number)
                .values(recorded=1)
            )
