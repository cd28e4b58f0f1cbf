"""Engines shared within a process: one per kind of store and database.

A store (the look-ups of a letter, the ledger, the agency registry) used to make an engine
each time it was opened and dispose of it when closed. A look-up opens all three, so every
look-up paid for new connections, SQLite's connection setup and SQLAlchemy compiling each
of its statements again (the compiled-statement cache lives in the engine): about a third
of a look-up's time outside DuckDB on a 20,000-person master (benchmarks/RESULTS.md).

:func:`shared_engine` keeps one engine per ``(kind, URL)`` for the life of the process, so
its connection pool and its compiled statements are reused; a store then closes by
returning its connections to the pool (:meth:`SharedEngine.release`). What each open still
does is unchanged: a store checks its tables are current every time it is opened.

Not shared, made and disposed per open as before:

- an in-memory SQLite database (each engine is its own database);
- a SQLite file that is not there yet (the open that makes it has an engine of its own);
- a SQLite file that was replaced, or removed and made again, since its engine was made: a
  new engine is made for it (the old one's connections would read and write the removed
  file), and the old one disposed.

At most :data:`MAX_SHARED_ENGINES` are kept; the least recently used is disposed, so a
process that opens many workspaces one after another (a test run) does not keep a file
open for each. Disposing of an engine another thread still uses is safe: SQLAlchemy gives
it a new pool, and the connections checked out of the old one are closed when returned.
PostgreSQL engines check a pooled connection before use (``pool_pre_ping``), so a server
restart, or a connection the server ended, costs a reconnect rather than an error.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url

__all__ = ["MAX_SHARED_ENGINES", "SharedEngine", "forget_shared_engines", "shared_engine"]

MAX_SHARED_ENGINES = 24

# (kind, url) -> (engine, (st_dev, st_ino) of its SQLite file; None: not a file)
_ENGINES: OrderedDict[tuple[str, str], tuple[Engine, tuple[int, int] | None]] = OrderedDict()
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


def _identity(path: str) -> tuple[int, int] | None:
    try:
        status = os.stat(path)
    except OSError:
        return None
    return (status.st_dev, status.st_ino)


def _create(url: str, configure: Callable[[Engine], None] | None) -> Engine:
    if make_url(url).get_backend_name() == "postgresql":
        engine = create_engine(url, pool_pre_ping=True)
    else:
        engine = create_engine(url)
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
    path = _sqlite_file(url)
    if path is None and make_url(url).get_backend_name() == "sqlite":
        return SharedEngine(_create(url, configure), shared=False)
    seen = _identity(path) if path is not None else None
    if path is not None and seen is None:
        # Not there yet: this open makes it. Shared from the next open on, once the file
        # it is can be told from one put in its place later.
        return SharedEngine(_create(url, configure), shared=False)
    key = (kind, url)
    stale: Engine | None = None
    with _GUARD:
        entry = _ENGINES.get(key)
        if entry is not None:
            engine, identity = entry
            if identity == seen:
                _ENGINES.move_to_end(key)
                return SharedEngine(engine, shared=True)
            stale = engine  # the file was replaced, or removed and made again
            del _ENGINES[key]
        engine = _create(url, configure)
        _ENGINES[key] = (engine, seen)
        evicted = [] if stale is None else [stale]
        while len(_ENGINES) > MAX_SHARED_ENGINES:
            _, (oldest, _) = _ENGINES.popitem(last=False)
            evicted.append(oldest)
    for old in evicted:
        old.dispose()
    return SharedEngine(engine, shared=True)


def forget_shared_engines() -> None:
    """Dispose of every shared engine (a test that must start from none; a process about
    to fork)."""
    with _GUARD:
        engines = [engine for engine, _ in _ENGINES.values()]
        _ENGINES.clear()
    for engine in engines:
        engine.dispose()
