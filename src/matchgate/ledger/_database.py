"""The one place that talks to the database: engines, transactions, statements.

Statements are built by small functions and executed by :class:`LedgerDatabase`;
SQLAlchemy and driver errors are translated into :class:`LedgerError` here, naming the
database file (or server URL without its password).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from sqlalchemy import Connection, Engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.sql import Select

from matchgate.errors import LedgerError
from matchgate.ledger import _schema as schema
from matchgate.ledger._entries import EntryKind, LedgerEntry
from matchgate.store.engines import SharedEngine, shared_engine
from matchgate.store.migrate import driver_detail, ensure_current, sqlite_immediate_transactions
from matchgate.store.schema import LEDGER

__all__ = ["LedgerDatabase", "entries_in_order", "tail_statement"]

# Any constant works; it only has to be the same for every matchgate writer.
_POSTGRES_WRITER_LOCK = 0x6D67_6C65_6467_6572
_IN_CHUNK = 500

_ENTRY_COLUMNS = (
    schema.entries.c.sequence,
    schema.entries.c.entry_id,
    schema.entries.c.kind,
    schema.entries.c.actor,
    schema.entries.c.recorded_at,
    schema.entries.c.payload,
    schema.entries.c.idempotency_key,
    schema.entries.c.previous_hash,
    schema.entries.c.entry_hash,
)


def entries_in_order(after: int = 0) -> Select[Any]:
    return (
        select(*_ENTRY_COLUMNS)
        .where(schema.entries.c.sequence > after)
        .order_by(schema.entries.c.sequence)
    )


def tail_statement() -> Select[Any]:
    return select(*_ENTRY_COLUMNS).order_by(schema.entries.c.sequence.desc()).limit(1)


def last_checkpoint_statement() -> Select[Any]:
    return select(func.max(schema.entries.c.sequence)).where(
        schema.entries.c.kind == EntryKind.CHECKPOINT.value
    )


def entries_by_key_statement(keys: Sequence[str]) -> Select[Any]:
    return select(*_ENTRY_COLUMNS).where(schema.entries.c.idempotency_key.in_(keys))


def entry_from_row(row: Sequence[Any]) -> LedgerEntry:
    return LedgerEntry(
        sequence=int(row[0]),
        entry_id=row[1],
        kind=row[2],
        actor=row[3],
        recorded_at=row[4],
        payload=row[5],
        idempotency_key=row[6],
        previous_hash=row[7],
        entry_hash=row[8],
    )


def _chunks(values: Sequence[str], size: int = _IN_CHUNK) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _describe(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable database URL>"


class LedgerDatabase:
    """An engine plus the ledger's transaction discipline (one writer at a time)."""

    def __init__(
        self, engine: Engine, *, location: str, shared: SharedEngine | None = None
    ) -> None:
        self.engine = engine
        self.location = location
        self.dialect = engine.dialect.name
        self._shared = shared

    @classmethod
    def connect(cls, *, url: str | None, sqlite_path: Path) -> LedgerDatabase:
        if url is None:
            location = str(sqlite_path)
            url = f"sqlite:///{sqlite_path}"
        else:
            location = _describe(url)
        try:
            backend = make_url(url).get_backend_name()
            if backend not in ("sqlite", "postgresql"):
                raise LedgerError(
                    f"the ledger supports SQLite and PostgreSQL, not {backend}", path=location
                )
            # One engine per database for the process (matchgate.store.engines).
            shared = shared_engine(url, kind="ledger", configure=_configure_ledger_engine)
        except (ArgumentError, SQLAlchemyError, ImportError) as exc:
            raise LedgerError(f"cannot use the ledger database URL: {exc}", path=location) from exc
        return cls(shared.engine, location=location, shared=shared)

    @contextlib.contextmanager
    def errors(self, action: str) -> Iterator[None]:
        """Translate database errors raised while doing ``action``."""
        try:
            yield
        except LedgerError:
            raise
        except SQLAlchemyError as exc:
            detail = driver_detail(exc)
            hint = ""
            if self.dialect == "sqlite" and (
                "not a database" in detail or "malformed" in detail or "corrupt" in detail
            ):
                hint = " (the ledger file is damaged or is not a matchgate ledger)"
            raise LedgerError(f"cannot {action}: {detail}{hint}", path=self.location) from exc

    @contextlib.contextmanager
    def reading(self, action: str) -> Iterator[Connection]:
        """A read transaction that sees one snapshot across all its statements.

        (SQLite in WAL mode gives that to every read transaction; PostgreSQL needs
        REPEATABLE READ, else ``verify`` could see index rows committed after it read
        the entries.)
        """
        with self.errors(action), self.engine.connect() as conn:
            if self.dialect == "postgresql":
                conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield conn

    @contextlib.contextmanager
    def writing(self, action: str) -> Iterator[Connection]:
        """A transaction that holds the single-writer lock until it commits."""
        with self.errors(action), self.engine.connect() as conn:
            conn.execution_options(matchgate_write=True)
            with conn.begin():
                if self.dialect == "postgresql":
                    conn.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"),
                        {"key": _POSTGRES_WRITER_LOCK},
                    )
                yield conn

    def create_schema(self) -> None:
        """Make the ledger's tables at the migrations' head on first use, and refuse a
        database whose tables are behind it (``matchgate db upgrade`` brings them there)."""
        with self.errors("create the ledger tables"):
            ensure_current(self.engine.url, LEDGER, create=True, engine=self.engine)
        with self.writing("create the ledger tables") as conn:
            version = conn.execute(
                select(schema.meta.c.value).where(schema.meta.c.name == "format_version")
            ).scalar()
            if version is None:
                conn.execute(
                    schema.meta.insert(),
                    {"name": "format_version", "value": schema.FORMAT_VERSION},
                )
            elif version != schema.FORMAT_VERSION:
                raise LedgerError(
                    f"ledger format version {version} is not supported by this matchgate"
                    f" (expects {schema.FORMAT_VERSION})",
                    path=self.location,
                )

    def check_schema(self) -> None:
        """For a reader: the ledger's tables exist and are at the migrations' head."""
        with self.errors("read the ledger"):
            state = ensure_current(self.engine.url, LEDGER, create=False, engine=self.engine)
        if state == "empty":
            raise LedgerError("the database holds no matchgate ledger", path=self.location)

    def has_tables(self) -> bool:
        with self.errors("read the ledger"):
            from sqlalchemy import inspect

            return bool(inspect(self.engine).has_table(schema.entries.name))

    def quick_check(self) -> str:
        """SQLite's own consistency check of the file ('ok' when sound)."""
        if self.dialect != "sqlite":
            return "ok"
        with self.reading("check the ledger file") as conn:
            rows = conn.exec_driver_sql("PRAGMA quick_check").fetchall()
        return "; ".join(str(row[0]) for row in rows[:5])

    def dispose(self) -> None:
        """Done with the database: an engine of its own is disposed of, a shared one keeps
        its pool for the next open."""
        if self._shared is not None:
            self._shared.release()
        else:
            self.engine.dispose()


def existing_entries(conn: Connection, keys: Sequence[str]) -> dict[str, LedgerEntry]:
    found: dict[str, LedgerEntry] = {}
    for chunk in _chunks(sorted(set(keys))):
        for row in conn.execute(entries_by_key_statement(chunk)):
            entry = entry_from_row(row)
            found[entry.idempotency_key] = entry
    return found


def existing_disclosure_ids(conn: Connection, ids: Sequence[str]) -> set[str]:
    found: set[str] = set()
    column = schema.disclosures.c.disclosure_id
    for chunk in _chunks(sorted(set(ids))):
        found.update(conn.execute(select(column).where(column.in_(chunk))).scalars())
    return found


def insert_rows(conn: Connection, table: Any, rows: Iterable[dict[str, Any]]) -> None:
    batch = list(rows)
    if batch:
        conn.execute(table.insert(), batch)


def _configure_ledger_engine(engine: Engine) -> None:
    if engine.dialect.name == "sqlite":
        # WAL and full sync; BEGIN IMMEDIATE for writers only, so two writers queue,
        # not clash, and readers never wait.
        sqlite_immediate_transactions(
            engine,
            pragmas=("journal_mode = WAL", "synchronous = FULL"),
            only_marked_writes=True,
        )


class DatabaseHandle:
    """What the ledger and the access log share as open handles on a
    :class:`LedgerDatabase`: ``close`` (once), the context manager and ``location``."""

    _db: LedgerDatabase
    _closed: bool

    def close(self) -> None:
        if not self._closed:
            self._db.dispose()
            self._closed = True

    def __enter__(self) -> Self:
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
