"""Bring a database to the schema this matchgate expects, and refuse one that is behind.

Alembic is configured in code (no alembic.ini): the scripts are the package's own
``matchgate/migrations`` folder, so this works from an installed wheel. Every upgrade runs on
one connection that holds a lock for its whole transaction (PostgreSQL: an advisory lock;
SQLite: ``BEGIN IMMEDIATE``), so two processes opening a new database at once do not both
create it, and a failed revision leaves nothing half done.

The states a store can be in (:class:`StoreStatus`):

  current       at its branch's head
  empty         none of its tables: opening the store creates them (the embedded default's
                "tables made on first use"), ``matchgate db upgrade`` does the same
  unversioned   its tables were made by a matchgate from before migrations: ``matchgate db
                upgrade`` checks they are the tables of the branch's first revision, stamps
                that revision and upgrades from there
  behind        at an older revision of its branch
  ahead         at a revision this matchgate does not know (a newer matchgate upgraded it)

Opening a store that is not current or empty raises :class:`StoreVersionError`, naming
the command that fixes it.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from matchgate.errors import WorkspaceError
from matchgate.store import schema

__all__ = [
    "StoreStatus",
    "StoreVersionError",
    "check_database",
    "database_status",
    "describe",
    "ensure_current",
    "store_status",
    "upgrade_database",
    "upgrade_store",
    "workspace_databases",
]

_ALEMBIC_COMMAND = threading.RLock()
_MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
# Any constant works; it only has to be the same for every matchgate that migrates.
_POSTGRES_MIGRATION_LOCK = 0x6D67_6D69_6772_6174
# The revision whose tables a matchgate from before migrations made, per store.
_FIRST_REVISION = {
    schema.LEDGER: "ledger_0001",
    schema.ACCOUNTS: "accounts_0001",
    schema.REGISTRY: "registry_0001",
    schema.LOOKUPS: "lookups_0001",
}
# The file of each store in a workspace (the embedded default).
_WORKSPACE_FILES = {
    schema.LEDGER: "ledger.sqlite",
    schema.ACCOUNTS: "accounts.sqlite",
    schema.REGISTRY: "agencies.sqlite",
    schema.LOOKUPS: "lookups.sqlite",
}


class StoreVersionError(WorkspaceError):
    """The database's tables are not at the revision this matchgate expects."""


@dataclass(frozen=True, slots=True)
class StoreStatus:
    """Where one store of one database stands."""

    store: str
    location: str
    current: str | None
    head: str
    state: str

    @property
    def is_current(self) -> bool:
        return self.state == "current"


def describe(url: str | URL) -> str:
    """The URL without its password (a SQLite URL: the file)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return "<unparseable database URL>"
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        return parsed.database
    return parsed.render_as_string(hide_password=True)


def workspace_databases(workspace: Path) -> dict[str, str]:
    """Store -> SQLite URL of the workspace's file for it (the embedded default)."""
    return {
        store: f"sqlite:///{Path(workspace) / name}" for store, name in _WORKSPACE_FILES.items()
    }


@functools.cache
def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(_config())


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", str(_MIGRATIONS / "versions"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _head(store: str) -> str:
    if store not in schema.STORES:
        raise ValueError(f"no store {store!r} (stores: {', '.join(schema.STORES)})")
    head = _script().get_revision(f"{store}@head")
    assert head is not None
    return head.revision


@functools.cache
def _branch_revisions(store: str) -> frozenset[str]:
    return frozenset(
        r.revision for r in _script().walk_revisions(base="base", head=f"{store}@head")
    )


@functools.cache
def _known_revisions() -> frozenset[str]:
    return frozenset(r.revision for r in _script().walk_revisions())


def sqlite_immediate_transactions(
    engine: Engine, *, pragmas: Sequence[str] = (), only_marked_writes: bool = False
) -> None:
    """On a SQLite engine: wait for another writer, and take the write lock when a
    transaction starts (a read-then-write transaction never meets a writer half way).

    ``pragmas`` are run on each new connection after the busy timeout. With
    ``only_marked_writes`` only a connection whose execution options carry
    ``matchgate_write`` begins ``IMMEDIATE``; the others begin a plain (deferred)
    transaction, so readers never queue behind a writer."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let the begin event below decide how transactions start.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA busy_timeout = 30000")
            for pragma in pragmas:
                cursor.execute(f"PRAGMA {pragma}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if only_marked_writes and not conn.get_execution_options().get("matchgate_write"):
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")


def _migration_engine(url: str | URL) -> Engine:
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        sqlite_immediate_transactions(engine)
    return engine


def _status(conn: Connection, store: str, location: str) -> StoreStatus:
    head = _head(store)
    ours = _branch_revisions(store)
    heads = MigrationContext.configure(conn).get_current_heads()
    mine = [rev for rev in heads if rev in ours]
    if mine:
        current = mine[0]
        state = "current" if current == head else "behind"
        return StoreStatus(store, location, current, head, state)
    unknown = [rev for rev in heads if rev not in _known_revisions()]
    present = set(inspect(conn).get_table_names())
    tables = {t.name for t in schema.tables_of(store)}
    if unknown and present & tables:
        return StoreStatus(store, location, unknown[0], head, "ahead")
    state = "unversioned" if present & tables else "empty"
    return StoreStatus(store, location, None, head, state)


def _check_pre_migration_tables(conn: Connection, store: str, location: str) -> None:
    """The tables a matchgate from before migrations made: exactly the store's, with
    the columns the first revision gives them; else nothing is stamped."""
    present = set(inspect(conn).get_table_names())
    for table in schema.tables_of(store):
        if table.info.get("since"):  # added by a later revision: not made before migrations
            continue
        if table.name not in present:
            raise StoreVersionError(
                f"the {store} tables are incomplete (no table {table.name}), so they were not"
                " made by matchgate: not upgraded",
                path=location,
            )
        columns = {c["name"] for c in inspect(conn).get_columns(table.name)}
        expected = {c.name for c in table.columns}
        if columns != expected:
            missing = sorted(expected - columns)
            extra = sorted(columns - expected)
            raise StoreVersionError(
                f"table {table.name} does not have the columns matchgate made it with"
                f" (missing: {', '.join(missing) or '-'}; unexpected: {', '.join(extra) or '-'}):"
                " not upgraded",
                path=location,
            )


@contextmanager
def _locked(url: str | URL) -> Iterator[Connection]:
    engine = _migration_engine(url)
    try:
        with engine.connect() as conn, conn.begin():
            if engine.dialect.name == "postgresql":
                conn.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _POSTGRES_MIGRATION_LOCK}
                )
            yield conn
    finally:
        engine.dispose()


def driver_detail(exc: BaseException) -> str:
    """The first line of a database error's driver message (SQLAlchemy's own text repeats
    the statement and its parameters after it, which a user's error must not carry)."""
    text_ = str(getattr(exc, "orig", None) or exc).strip()
    return (text_.splitlines() or [type(exc).__name__])[0]


@contextmanager
def as_workspace_error(
    message: str,
    *,
    path: str | Path | None = None,
    errors: tuple[type[BaseException], ...] = (SQLAlchemyError,),
) -> Iterator[None]:
    """Raise a database error of ``errors`` inside the block as a
    :class:`~matchgate.errors.WorkspaceError` ``"<message>: <driver_detail>"`` naming
    ``path`` (a file, or a URL through :func:`describe`); a ``WorkspaceError`` passes."""
    try:
        yield
    except WorkspaceError:
        raise
    except errors as exc:
        raise WorkspaceError(f"{message}: {driver_detail(exc)}", path=path) from exc


def workspace_sqlite_url(workspace: Path, filename: str) -> str:
    """The URL of the SQLite file ``filename`` in ``workspace`` (made if missing)."""
    workspace = Path(workspace)
    try:
        workspace.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WorkspaceError(f"cannot create the workspace ({exc})", path=workspace) from exc
    return f"sqlite:///{workspace / filename}"


def _errors(location: str, action: str) -> Any:
    return as_workspace_error(
        f"cannot {action}", path=location, errors=(SQLAlchemyError, ArgumentError, ImportError)
    )


def store_status(url: str | URL, stores: Sequence[str] = schema.STORES) -> list[StoreStatus]:
    """Where each of ``stores`` stands in the database ``url`` names (nothing is changed)."""
    location = describe(url)
    with _errors(location, "read the database's schema revision"):
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                return [_status(conn, store, location) for store in stores]
        finally:
            engine.dispose()


def upgrade_store(
    url: str | URL, stores: Sequence[str] = schema.STORES
) -> list[tuple[StoreStatus, StoreStatus]]:
    """Bring each of ``stores`` in ``url`` to its head: create an empty one, stamp and
    upgrade one from before migrations, upgrade one that is behind. Returns (before, after)
    per store; running it again changes nothing."""
    location = describe(url)
    done: list[tuple[StoreStatus, StoreStatus]] = []
    with _errors(location, "upgrade the database"), _locked(url) as conn:
        for store in stores:
            before = _status(conn, store, location)
            _upgrade_one(conn, before)
            done.append((before, _status(conn, store, location)))
    return done


def _upgrade_one(conn: Connection, status: StoreStatus) -> None:
    if status.state == "ahead":
        raise StoreVersionError(
            f"the {status.store} tables are at revision {status.current}, newer than this"
            f" matchgate knows (its latest is {status.head}): use the newer matchgate",
            path=status.location,
        )
    if status.state == "current":
        return
    config = _config(conn)
    # Alembic's ``context`` and ``op`` are module globals: one command at a time per process.
    with _ALEMBIC_COMMAND:
        if status.state == "unversioned":
            _check_pre_migration_tables(conn, status.store, status.location)
            command.stamp(config, _FIRST_REVISION[status.store])
        command.upgrade(config, f"{status.store}@head")


def ensure_current(
    url: str | URL, store: str, *, create: bool, engine: Engine | None = None
) -> str:
    """Check the store's tables before a store is used; returns the state found.

    A current store is used as it is. An empty one is created at head when ``create`` is
    set (and reported as ``empty`` otherwise). Any other state raises
    :class:`StoreVersionError` telling to run ``matchgate db upgrade``. ``engine``, when
    given, is used for the (cheap, read-only) check, so a store that is current costs no
    second connection."""
    location = describe(url)
    # Database errors go up as they are: the store translates them in its own words.
    checker = engine if engine is not None else create_engine(url)
    try:
        with checker.connect() as conn:
            status = _status(conn, store, location)
    finally:
        if engine is None:
            checker.dispose()
    if status.state == "current":
        return "current"
    if status.state == "empty":
        if not create:
            return "empty"
        with _locked(url) as conn:
            status = _status(conn, store, location)
            if status.state == "empty":
                _upgrade_one(conn, status)
                return "created"
        if status.state == "current":
            return "current"
    raise StoreVersionError(_behind_message(status), path=location)


def _behind_message(status: StoreStatus) -> str:
    if "://" in status.location:
        where = f"--database-url {status.location}"
    elif Path(status.location).name == _WORKSPACE_FILES[status.store]:
        where = f"--workspace {Path(status.location).parent}"
    else:
        where = f"--database-url sqlite:///{status.location}"
    if status.state == "ahead":
        return (
            f"the {status.store} tables are at revision {status.current}, newer than this"
            f" matchgate knows (its latest is {status.head}): use the newer matchgate"
        )
    found = "from before migrations" if status.current is None else f"at {status.current}"
    return (
        f"the {status.store} tables are {found}; this matchgate needs {status.head}:"
        f" run `matchgate db upgrade {where}` first"
    )


def _targets(workspace: Path | None, url: str | None) -> list[tuple[str, list[str]]]:
    """(database URL, its stores): every store in ``url``; else each store's workspace file
    that exists (a store whose file is not there yet is made at head on first use)."""
    if url is not None:
        return [(url, list(schema.STORES))]
    if workspace is None:
        raise WorkspaceError("give a workspace or a database URL")
    workspace = Path(workspace)
    if not workspace.is_dir():
        raise WorkspaceError("no such workspace folder", path=workspace)
    return [
        (store_url, [store])
        for store, store_url in workspace_databases(workspace).items()
        if (workspace / _WORKSPACE_FILES[store]).is_file()
    ]


def database_status(*, workspace: Path | None = None, url: str | None = None) -> list[StoreStatus]:
    """Where every store of the server's database (``url``) or of the workspace's SQLite
    files stands; a workspace store without its file yet is reported ``empty``."""
    found: list[StoreStatus] = []
    for target, stores in _targets(workspace, url):
        found.extend(store_status(target, stores))
    if url is None and workspace is not None:
        have = {status.store for status in found}
        for store, name in _WORKSPACE_FILES.items():
            if store not in have:
                found.append(
                    StoreStatus(store, str(Path(workspace) / name), None, _head(store), "empty")
                )
        found.sort(key=lambda status: schema.STORES.index(status.store))
    return found


def upgrade_database(
    *, workspace: Path | None = None, url: str | None = None
) -> list[tuple[StoreStatus, StoreStatus]]:
    """``matchgate db upgrade``: every store of ``url``, or each SQLite file of the workspace,
    brought to head (see :func:`upgrade_store`)."""
    done: list[tuple[StoreStatus, StoreStatus]] = []
    for target, stores in _targets(workspace, url):
        done.extend(upgrade_store(target, stores))
    return done


def check_database(*, workspace: Path | None = None, url: str | None = None) -> None:
    """Refuse (:class:`StoreVersionError`) a database any of whose stores needs ``matchgate
    db upgrade``; empty stores pass (they are made on first use). ``matchgate serve`` calls
    it before it listens."""
    if url is None and (workspace is None or not Path(workspace).is_dir()):
        return  # a new workspace: nothing made yet
    for status in database_status(workspace=workspace, url=url):
        if status.state not in ("current", "empty"):
            raise StoreVersionError(_behind_message(status), path=status.location)
