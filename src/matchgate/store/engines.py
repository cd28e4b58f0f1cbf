"""Engines shared within a process: one per kind of store and database.

A store (the look-ups of a letter, the ledger, the agency registry) used to make an engine
each time it was opened and dispose of it when closed. A look-up opens all three, so every
look-up paid for new connections, SQLite's connection setup and SQLAlchemy compiling each
of its statements again (the compiled-statement cache lives in the engine): about a third
of a look-up's time outside DuckDB on a 20,000-person master (benchmarks/RESULTS.md).

:func:`shared_engine` keeps one engine per ``(kind, URL)`` for the life of the process, so
its compiled statements (and, on PostgreSQL, its pool of connections, with no cap) are
reused; a store then closes without disposing of it (:meth:`SharedEngine.release`). A SQLite
engine has no pool: its connections close when a transaction is done, as before, so nothing
holds the file open between opens and its WAL is checkpointed and removed. What each open
still does is unchanged: a store checks its tables are current every time it is opened.

Not shared: an in-memory SQLite database (each engine is its own database), made and
disposed per open as before. A SQLite file replaced, removed or restored while the process
runs needs nothing special: with no pooled connection, the next connection opens whatever
file is there.

At most :data:`MAX_SHARED_ENGINES` are kept; the least recently used is disposed, so a
process that opens many workspaces one after another (a test run) does not keep an engine
for each. Disposing of an engine another thread still uses is safe: SQLAlchemy gives it a
new pool, and the connections checked out of the old one are closed when returned.
PostgreSQL engines check a pooled connection before use (``pool_pre_ping``), so a server
restart, or a connection the server ended, costs a reconnect rather than an error.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, NullPool, create_engine
from sqlalchemy.engine import make_url

__all__ = ["MAX_SHARED_ENGINES", "SharedEngine", "forget_shared_engines", "shared_engine"]

MAX_SHARED_ENGINES = 24

_ENGINES: OrderedDict[tuple[str, str], Engine] = OrderedDict()
_GUARD = threading.Lock()


@dataclass(frozen=True, slots=True)
class SharedEngine:
    """An engine and whether it is shared (then :meth:`release` keeps it for the next open)."""

    engine: Engine
    shared: bool

    def release(self) -> None:
        """What a store does when closed: dispose of an engine of its own; nothing for a
        shared one (its connections are back in the pool once the store's transactions
        ended)."""
        if not self.shared:
            self.engine.dispose()


def _sqlite_file(url: str) -> str | None:
    """The file a SQLite URL names; None for anything else (another database, memory)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if database in ("", ":memory:") or database.startswith("file:") or "mode=memory" in url:
        return None
    return database


def _create(url: str, configure: Callable[[Engine], None] | None) -> Engine:
    if make_url(url).get_backend_name() == "postgresql":
        # No cap for the process (each open had an engine of its own before): a writer
        # waiting for the ledger's lock must not make readers wait for a pooled connection.
        engine = create_engine(url, pool_pre_ping=True, max_overflow=-1)
    else:
        # SQLite: no pool. A connection closes when its transaction's store is done with it,
        # as before, so the last one out checkpoints and removes the WAL file (a ledger
        # restored by copying over the file is never overlaid with a live process's WAL) and
        # the process holds no lock on the file between opens. What is shared is the
        # engine's compiled statements; a SQLite connection costs little.
        engine = create_engine(url, poolclass=NullPool)
    if configure is not None:
        try:
            configure(engine)
        except BaseException:
            engine.dispose()
            raise
    return engine


def shared_engine(
    url: str, *, kind: str, configure: Callable[[Engine], None] | None = None
) -> SharedEngine:
    """The engine of ``url`` for stores of ``kind``, made (and ``configure``d: event
    listeners, pragmas) the first time; errors from ``create_engine`` go up as they are.

    ``kind`` keeps apart engines configured differently for the same database (the ledger's
    and a store's on one PostgreSQL server)."""
    if _sqlite_file(url) is None and make_url(url).get_backend_name() == "sqlite":
        return SharedEngine(_create(url, configure), shared=False)
    key = (kind, url)
    with _GUARD:
        engine = _ENGINES.get(key)
        if engine is not None:
            _ENGINES.move_to_end(key)
            return SharedEngine(engine, shared=True)
        engine = _create(url, configure)
        _ENGINES[key] = engine
        evicted = []
        while len(_ENGINES) > MAX_SHARED_ENGINES:
            evicted.append(_ENGINES.popitem(last=False)[1])
    for old in evicted:
        old.dispose()
    return SharedEngine(engine, shared=True)


def forget_shared_engines() -> None:
    """Dispose of every shared engine (a test that must start from none; a process about
    to fork)."""
    with _GUARD:
        engines = list(_ENGINES.values())
        _ENGINES.clear()
    for engine in engines:
        engine.dispose()
