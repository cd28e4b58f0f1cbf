"""The Alembic migrations: from an empty database, from one made before migrations, again
(nothing changes), and the clear refusal of a database that is behind."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from argon2 import PasswordHasher
from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url

from matchgate.accounts import AccountStore
from matchgate.errors import LedgerError
from matchgate.ledger import EntryKind, Ledger
from matchgate.review.registry import AgencyRegistryStore
from matchgate.store import StoreVersionError, migrate, schema, store_status, upgrade_store

from .conftest import Database

CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def _to(url: str, revision: str) -> None:
    """Upgrade the database only as far as ``revision`` (an older matchgate's schema)."""
    with migrate._locked(url) as conn:
        command.upgrade(migrate._config(conn), revision)


def _forget_versions(database: Database) -> None:
    """What a matchgate from before migrations left: the tables, no version row."""
    database.execute("DROP TABLE alembic_version")


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_from_empty_makes_exactly_the_model(database: Database) -> None:
    assert [s.state for s in store_status(database.url)] == ["empty"] * 4
    done = upgrade_store(database.url)
    assert [(before.store, before.state, after.state) for before, after in done] == [
        ("ledger", "empty", "current"),
        ("accounts", "empty", "current"),
        ("registry", "empty", "current"),
        ("lookups", "empty", "current"),
    ]
    assert _tables(database.url) == {t.name for t in schema.metadata.sorted_tables} | {
        "alembic_version"
    }
    # The migrations make what the model declares: Alembic's own comparison finds nothing.
    engine = create_engine(database.url)
    try:
        with engine.connect() as conn:
            differences = compare_metadata(MigrationContext.configure(conn), schema.metadata)
            heads = set(MigrationContext.configure(conn).get_current_heads())
    finally:
        engine.dispose()
    assert differences == []
    assert heads == {"ledger_0002", "accounts_0002", "registry_0001", "lookups_0001"}


def test_upgrade_again_changes_nothing(database: Database) -> None:
    upgrade_store(database.url)
    with AccountStore.open(database.workspace, url=database.url, hasher=CHEAP) as store:
        store.add_user("Ada Admin", role="admin", actor="office")
    again = upgrade_store(database.url)
    assert all(before == after and after.is_current for before, after in again)
    assert database.scalar("SELECT count(*) FROM alembic_version") == 4
    with AccountStore.open(database.workspace, url=database.url, hasher=CHEAP) as store:
        assert [u.name for u in store.users()] == ["Ada Admin"]


def test_opening_a_store_behind_head_says_to_run_db_upgrade(database: Database) -> None:
    _to(database.url, "accounts_0001")
    with pytest.raises(StoreVersionError) as raised:
        AccountStore.open(database.workspace, url=database.url, hasher=CHEAP)
    message = str(raised.value)
    assert "accounts tables are at accounts_0001" in message
    assert "accounts_0002" in message and "matchgate db upgrade" in message
    password = make_url(database.url).password
    assert not password or str(password) not in message
    [(before, after)] = upgrade_store(database.url, ["accounts"])
    assert (before.state, after.state) == ("behind", "current")
    with AccountStore.open(database.workspace, url=database.url, hasher=CHEAP) as store:
        assert store.users() == []


def test_tables_from_before_migrations_are_stamped_then_upgraded(database: Database) -> None:
    # Made as matchgate made them before migrations: the first revisions' tables, with rows.
    _to(database.url, "accounts_0001")
    _to(database.url, "ledger_0001")
    _to(database.url, "registry_0001")
    _forget_versions(database)
    database.execute(
        "INSERT INTO account_users (user_id, name, role, created_at, created_by)"
        " VALUES (1, 'Old User', 'auditor', '2026-01-02 03:04:05+00:00', 'office')",
        "INSERT INTO ledger_meta (name, value) VALUES ('format_version', '1')",
        "INSERT INTO registry_meta (name, value) VALUES ('seeded', '2026-01-02')",
    )
    with pytest.raises(StoreVersionError, match="registry tables are from before migrations"):
        AgencyRegistryStore.open(database.workspace, url=database.url)
    with pytest.raises(StoreVersionError, match="from before migrations.*matchgate db upgrade"):
        AccountStore.open(database.workspace, url=database.url, hasher=CHEAP)
    with pytest.raises(StoreVersionError, match="ledger tables are from before migrations"):
        Ledger.open(database.workspace, url=database.url)
    done = upgrade_store(database.url)
    assert [(b.state, a.current) for b, a in done] == [
        ("unversioned", "ledger_0002"),
        ("unversioned", "accounts_0002"),
        ("unversioned", "registry_0001"),
        ("empty", "lookups_0001"),
    ]
    with AgencyRegistryStore.open(database.workspace, url=database.url) as registry:
        # Seeded before: the packaged agencies are not copied in again.
        assert list(registry.registry()) == []
    indexes = {
        ix["name"] for ix in inspect(create_engine(database.url)).get_indexes("account_sessions")
    }
    assert "ix_account_sessions_user" in indexes
    with AccountStore.open(database.workspace, url=database.url, hasher=CHEAP) as store:
        assert [u.name for u in store.users()] == ["Old User"]
    with Ledger.open(database.workspace, url=database.url) as ledger:
        ledger.append(EntryKind.REVIEW_ACTION, {"action": "note"}, actor="r", idempotency_key="k")
        assert ledger.verify().ok


def test_tables_that_are_not_matchgates_are_not_stamped(database: Database) -> None:
    database.execute(
        "CREATE TABLE account_users (user_id INTEGER PRIMARY KEY, name TEXT)",
        "CREATE TABLE account_tokens (token_id TEXT PRIMARY KEY)",
        "CREATE TABLE account_sessions (session_sha256 TEXT PRIMARY KEY)",
        "CREATE TABLE account_events (event_id INTEGER PRIMARY KEY)",
    )
    with pytest.raises(StoreVersionError, match="table account_events does not have the col"):
        upgrade_store(database.url, ["accounts"])
    # Nothing was stamped, and the refusal is the same the next time.
    assert "alembic_version" not in _tables(database.url) or (
        database.scalar("SELECT count(*) FROM alembic_version") == 0
    )
    with pytest.raises(StoreVersionError):
        AccountStore.open(database.workspace, url=database.url, hasher=CHEAP)


def test_a_store_half_made_is_not_stamped(database: Database) -> None:
    database.execute("CREATE TABLE ledger_meta (name VARCHAR(64) PRIMARY KEY, value TEXT)")
    with pytest.raises(StoreVersionError, match="incomplete \\(no table ledger_"):
        upgrade_store(database.url, ["ledger"])


def test_a_database_from_a_newer_matchgate_is_refused(database: Database) -> None:
    upgrade_store(database.url, ["accounts"])
    database.execute("UPDATE alembic_version SET version_num = 'accounts_0099'")
    with pytest.raises(StoreVersionError, match="accounts_0099, newer than this matchgate"):
        AccountStore.open(database.workspace, url=database.url, hasher=CHEAP)
    with pytest.raises(StoreVersionError, match="use the newer matchgate"):
        upgrade_store(database.url, ["accounts"])


def test_a_reader_of_an_empty_database_is_told_there_is_no_ledger(database: Database) -> None:
    with pytest.raises(LedgerError, match="holds no matchgate ledger"):
        Ledger.open(database.workspace, url=database.url, read_only=True)
    assert "ledger_entries" not in _tables(database.url)


def test_the_migrations_ship_inside_the_package() -> None:
    folder = Path(migrate.__file__).resolve().parent.parent / "migrations"
    names = {p.name for p in (folder / "versions").glob("*.py")}
    assert {"ledger_0001_tables.py", "accounts_0001_tables.py"} <= names
    assert (folder / "env.py").is_file() and (folder / "script.py.mako").is_file()
    # Every store's branch has one head, and every table belongs to one store.
    assert {t.info["store"] for t in schema.metadata.sorted_tables} == set(schema.STORES)


def test_stores_opened_at_once_on_a_new_database_make_the_tables_once(
    database: Database,
) -> None:
    import threading

    problems: list[BaseException] = []
    start = threading.Barrier(4)

    def open_one(index: int) -> None:
        try:
            start.wait()
            if index == 1:  # one ledger: two would race to make its key
                # On SQLite the ledger is its own file, as in a workspace (see the report
                # in docs/STORAGE.md on sharing one SQLite file); on PostgreSQL the same one.
                ledger_url = None if database.kind == "sqlite" else database.url
                with Ledger.open(database.workspace, url=ledger_url, read_only=False):
                    pass
            else:
                with AccountStore.open(database.workspace, url=database.url, hasher=CHEAP):
                    pass
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            problems.append(exc)

    threads = [threading.Thread(target=open_one, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert problems == []
    states = [s.state for s in store_status(database.url)]
    expected = ["empty", "current"] if database.kind == "sqlite" else ["current"] * 2
    assert states == [*expected, "empty", "empty"]
    if database.kind == "postgres":
        assert database.scalar("SELECT count(*) FROM ledger_meta") == 1
    else:
        ledger_file = f"sqlite:///{database.workspace / 'ledger.sqlite'}"
        assert [s.state for s in store_status(ledger_file, ["ledger"])] == ["current"]
