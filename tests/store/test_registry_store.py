"""The agency registry in the model (branch ``registry``): the same store on SQLite (the
workspace's file) and on PostgreSQL (the server's database), its history append-only on both."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from matchgate.errors import InputError, WorkspaceError
from matchgate.review.agencies import agency_registry
from matchgate.review.registry import AgencyRegistryStore, render_agency_toml
from matchgate.review.signing import public_key_pem, public_key_sha256
from matchgate.review.transfer import Transfer
from matchgate.store import StoreVersionError, store_status, upgrade_store

from .conftest import Database

UNREACHABLE = "postgresql+psycopg://matchgate@127.0.0.1:1/matchgate"


def _dhs_file(folder: Path, key: Ed25519PrivateKey) -> Path:
    dhs = agency_registry().by_code("DHS")
    assert dhs is not None
    path = folder / "dhs.toml"
    path.write_text(
        render_agency_toml(dhs, public_key_pem=public_key_pem(key.public_key())), encoding="utf-8"
    )
    return path


def _open(database: Database) -> AgencyRegistryStore:
    return AgencyRegistryStore.open(database.workspace, url=database.url)


def test_the_registry_is_made_at_head_and_seeded_once(database: Database) -> None:
    with _open(database) as store:
        codes = {a.code for a in store.registry()}
        assert codes == {a.code for a in agency_registry()}
        assert [e.action for e in store.events()] == ["seeded"]
    with _open(database) as store:  # opened again: not seeded twice
        assert [e.action for e in store.events()] == ["seeded"]
    [status] = store_status(database.url, ["registry"])
    assert status.state == "current" and status.current == "registry_0001"
    # The URL is the store: nothing was written to the workspace.
    assert list(database.workspace.iterdir()) == []


def test_add_revoke_and_history_on_either_database(database: Database, tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    fingerprint = public_key_sha256(key.public_key())
    with _open(database) as store:
        [dhs] = store.add_file(_dhs_file(tmp_path, key), actor="office clerk")
        assert [k.public_key_sha256 for k in dhs.keys] == [fingerprint]
        store.add_file(_dhs_file(tmp_path, key), actor="office clerk")  # again: no change
        assert [e.action for e in store.events("DHS")] == ["seeded", "key_registered"]
        assert store.revoke("DHS", actor="office lead", reason="lost laptop") == [fingerprint]
        with pytest.raises(InputError, match="was revoked"):
            store.add_file(_dhs_file(tmp_path, key), actor="office clerk")
        revoked = store.registry().by_code("DHS")
        assert revoked is not None and revoked.keys[0].revoked_by == "office lead"
        assert store.events("DHS")[-1].detail == {
            "public_key_sha256": fingerprint,
            "reason": "lost laptop",
        }


def test_the_transfer_reads_the_registry_of_the_database_it_is_given(
    database: Database, tmp_path: Path
) -> None:
    key = Ed25519PrivateKey.generate()
    with _open(database) as store:
        store.add_file(_dhs_file(tmp_path, key), actor="office clerk")
    requests = tmp_path / "requests.csv"
    requests.write_text("request_id\n1\n", encoding="utf-8")
    there = Transfer.for_workspace(
        database.workspace,
        requests=requests,
        transfer_date=date(2026, 11, 2),
        registry_url=database.url,
    )
    dhs = there.registry.by_code("DHS")
    assert dhs is not None and len(dhs.keys) == 1
    # The workspace's own registry (a different store) does not have the key.
    elsewhere = tmp_path / "other"
    here = Transfer.for_workspace(elsewhere, requests=requests, transfer_date=date(2026, 11, 2))
    other = here.registry.by_code("DHS")
    assert other is not None and other.keys == ()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE registry_events SET actor = 'nobody'",
        "DELETE FROM registry_events",
    ],
)
def test_the_history_is_append_only_in_the_database_itself(
    database: Database, statement: str
) -> None:
    with _open(database):
        pass
    with pytest.raises(DBAPIError, match="registry events are append-only"):
        database.execute(statement)
    assert database.scalar("SELECT count(*) FROM registry_events") == 1


def test_the_history_cannot_be_truncated_on_postgres(database: Database) -> None:
    if database.kind != "postgres":
        pytest.skip("SQLite has no TRUNCATE")
    with _open(database):
        pass
    with pytest.raises(DBAPIError, match="registry events are append-only"):
        database.execute("TRUNCATE registry_events")


def test_registries_opened_at_once_on_a_new_database_seed_once(database: Database) -> None:
    problems: list[BaseException] = []
    start = threading.Barrier(4)

    def open_one() -> None:
        try:
            start.wait()
            with _open(database) as store:
                store.registry()
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            problems.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert problems == []
    assert database.scalar("SELECT count(*) FROM registry_events") == 1
    assert database.scalar("SELECT count(*) FROM agencies") == len(list(agency_registry()))


def test_a_registry_from_a_newer_matchgate_is_refused(database: Database) -> None:
    upgrade_store(database.url, ["registry"])
    database.execute("UPDATE alembic_version SET version_num = 'registry_0099'")
    with pytest.raises(StoreVersionError, match="registry_0099, newer than this matchgate"):
        _open(database)


def test_registry_tables_from_before_migrations_are_refused_until_upgraded(
    database: Database,
) -> None:
    with _open(database):
        pass
    database.execute("DROP TABLE alembic_version")
    with pytest.raises(StoreVersionError, match="registry tables are from before migrations"):
        _open(database)
    [(before, after)] = upgrade_store(database.url, ["registry"])
    assert (before.state, after.current) == ("unversioned", "registry_0001")
    with _open(database) as store:
        assert [e.action for e in store.events()] == ["seeded"]


def test_an_unreachable_database_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="cannot open the agency registry") as raised:
        AgencyRegistryStore.open(tmp_path / "ws", url=UNREACHABLE)
    assert "127.0.0.1:1" in str(raised.value)
    assert not (tmp_path / "ws").exists()


def test_a_pre_migration_workspace_registry_is_stamped(tmp_path: Path) -> None:
    """A workspace's agencies.sqlite as the matchgate before the model made it (its tables
    and triggers, no alembic_version): refused, then stamped at registry_0001 by ``db
    upgrade`` with its rows kept and its history still append-only."""
    from matchgate.store import upgrade_database

    workspace = tmp_path / "workspace"
    workspace.mkdir()
    engine = create_engine(f"sqlite:///{workspace / 'agencies.sqlite'}")
    with engine.begin() as conn:
        for statement in _PRE_MIGRATION_REGISTRY:
            conn.execute(text(statement))
    engine.dispose()
    with pytest.raises(StoreVersionError, match=f"db upgrade --workspace {workspace}"):
        AgencyRegistryStore.open(workspace)
    done = {before.store: (before.state, after.current) for before, after in
            upgrade_database(workspace=workspace)}  # fmt: skip
    assert done["registry"] == ("unversioned", "registry_0001")
    with AgencyRegistryStore.open(workspace) as store:
        assert [a.code for a in store.registry()] == ["OLD"]
        assert [e.actor for e in store.events()] == ["old office"]
    engine = create_engine(f"sqlite:///{workspace / 'agencies.sqlite'}")
    try:
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text("DELETE FROM registry_events"))
    finally:
        engine.dispose()


# What review/registry.py made before the registry was in the model (create_all on SQLite).
_PRE_MIGRATION_REGISTRY = [
    "CREATE TABLE agencies (code VARCHAR(32) NOT NULL, entry TEXT NOT NULL,"
    " updated_at VARCHAR(32) NOT NULL, updated_by TEXT NOT NULL, PRIMARY KEY (code))",
    "CREATE TABLE agency_keys (public_key_sha256 VARCHAR(64) NOT NULL,"
    " agency_code VARCHAR(32) NOT NULL, public_key_pem TEXT NOT NULL,"
    " registered_at VARCHAR(32) NOT NULL, registered_by TEXT NOT NULL, revoked_at VARCHAR(32),"
    " revoked_by TEXT, revoked_reason TEXT, PRIMARY KEY (public_key_sha256))",
    "CREATE TABLE registry_events (event_id INTEGER NOT NULL, at VARCHAR(32) NOT NULL,"
    " actor TEXT NOT NULL, action VARCHAR(32) NOT NULL, agency_code VARCHAR(32) NOT NULL,"
    " detail TEXT NOT NULL, PRIMARY KEY (event_id))",
    "CREATE TABLE registry_meta (name VARCHAR(64) NOT NULL, value TEXT NOT NULL,"
    " PRIMARY KEY (name))",
    """CREATE TRIGGER IF NOT EXISTS registry_events_no_update BEFORE UPDATE ON registry_events
    BEGIN SELECT RAISE(ABORT, 'registry events are append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS registry_events_no_delete BEFORE DELETE ON registry_events
    BEGIN SELECT RAISE(ABORT, 'registry events are append-only'); END""",
    "INSERT INTO registry_meta VALUES ('seeded', '2026-01-01T00:00:00.000000Z')",
    'INSERT INTO agencies VALUES (\'OLD\', \'{"code": "OLD", "name": "Old Agency",'
    ' "aliases": [], "authorized_titles": ["Director"], "authorized_title_prefixes": []}\','
    " '2026-01-01T00:00:00.000000Z', 'old office')",
    "INSERT INTO registry_events (at, actor, action, agency_code, detail) VALUES"
    " ('2026-01-01T00:00:00.000000Z', 'old office', 'agency_added', 'OLD', '{}')",
]
