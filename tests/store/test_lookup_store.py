"""The look-up records in the model (branch ``lookups``): one ``lookup_records`` table keyed
by (letter_id, number), on SQLite (``WORKSPACE/lookups.sqlite``) and on PostgreSQL; the
letter's lock; the per-letter files from before, copied in on first use."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError

from matchgate.errors import WorkspaceError
from matchgate.lookups.store import LetterStore, advisory_key, letter_folder, letter_lock
from matchgate.store import StoreVersionError, store_status

from .conftest import Database

LETTER = "0123456789abcdef"
OTHER = "fedcba9876543210"
UNREACHABLE = "postgresql+psycopg://matchgate@127.0.0.1:1/matchgate"


def _store(database: Database, letter_id: str = LETTER) -> LetterStore:
    return LetterStore(letter_folder(database.workspace, letter_id), url=database.url)


def _add(store: LetterStore, number: int, *, day: str = "2026-11-02", **changes: Any) -> None:
    values: dict[str, Any] = {
        "number": number,
        "day": day,
        "request_sha256": f"{number:064x}",
        "request_json": "{}",
        "actor": "desk officer",
        "outcome": "disclosed",
        "counted": True,
        "response": {"outcome": "disclosed"},
        "entries": [{"kind": "batch_received", "payload": {}, "idempotency_key": f"k{number}"}],
    }
    values.update(changes)
    store.add(**values)


def test_lookups_are_kept_per_letter_in_one_table(database: Database) -> None:
    with _store(database) as store, _store(database, OTHER) as other:
        assert store.next_number() == 1 and store.first_of_day("2026-11-02")
        _add(store, 1)
        _add(store, 2, counted=False)
        _add(other, 1)
        assert store.next_number() == 3 and other.next_number() == 2
        assert store.counted() == 1 and other.counted() == 1
        assert [s.number for s in store.unrecorded()] == [1, 2]
        store.mark_recorded(1)
        assert [s.number for s in store.unrecorded()] == [2]
        assert [s.number for s in other.unrecorded()] == [1]  # the other letter's own
        found = store.find(day="2026-11-02", request_sha256=f"{2:064x}")
        assert found is not None and found.number == 2 and not found.recorded
        assert found.entries[0]["idempotency_key"] == "k2"
        assert store.find(day="2026-11-03", request_sha256=f"{2:064x}") is None
        assert not store.first_of_day("2026-11-02")
    assert database.scalar("SELECT count(*) FROM lookup_records") == 3
    [status] = store_status(database.url, ["lookups"])
    assert status.state == "current"


def test_the_same_request_the_same_day_is_one_row(database: Database) -> None:
    with _store(database) as store:
        _add(store, 1)
        with pytest.raises(WorkspaceError, match="the look-up store failed") as raised:
            _add(store, 2, request_sha256=f"{1:064x}")
        assert isinstance(raised.value.__cause__, IntegrityError)
        _add(store, 2, request_sha256=f"{1:064x}", day="2026-11-03")  # another day: its own


def test_a_lookup_store_from_a_newer_matchgate_is_refused(database: Database) -> None:
    with _store(database):
        pass
    database.execute("UPDATE alembic_version SET version_num = 'lookups_0099'")
    with pytest.raises(StoreVersionError, match="lookups_0099, newer than this matchgate"):
        _store(database)


def test_lookup_tables_without_their_revision_are_refused(database: Database) -> None:
    with _store(database):
        pass
    database.execute("DROP TABLE alembic_version")
    with pytest.raises(StoreVersionError, match="lookups tables are from before migrations"):
        _store(database)


def test_an_unreachable_database_is_a_clear_error(tmp_path: Path) -> None:
    folder = letter_folder(tmp_path / "ws", LETTER)
    with pytest.raises(WorkspaceError, match="the look-up store cannot be opened") as raised:
        LetterStore(folder, url=UNREACHABLE)
    assert "127.0.0.1:1" in str(raised.value)
    with pytest.raises(WorkspaceError, match="cannot lock the look-up letter"):
        with letter_lock(folder, url=UNREACHABLE):
            pass  # pragma: no cover - the lock is never taken


def test_the_workspace_default_is_one_file_beside_the_letters(tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    folder = letter_folder(workspace, LETTER)
    with letter_lock(folder), LetterStore(folder) as store:
        _add(store, 1)
    assert (workspace / "lookups.sqlite").is_file()
    assert (folder / "lock").is_file() and not (folder / "lookups.sqlite").exists()


def _hold_lock_elsewhere(url: str | None, folder: Path, held: threading.Event,
                         release: threading.Event) -> None:  # fmt: skip
    with letter_lock(folder, url=url):
        held.set()
        release.wait(30)


def test_the_letter_lock_is_an_advisory_lock_on_postgres(database: Database) -> None:
    if database.kind != "postgres":
        pytest.skip("the advisory lock is PostgreSQL's")
    folder = letter_folder(database.workspace, LETTER)
    held, release = threading.Event(), threading.Event()
    holder = threading.Thread(
        target=_hold_lock_elsewhere, args=(database.url, folder, held, release)
    )
    holder.start()
    try:
        assert held.wait(30)
        engine = create_engine(database.url)
        try:
            with engine.connect() as conn:
                taken = conn.execute(
                    text("SELECT pg_try_advisory_lock(:k)"), {"k": advisory_key(LETTER)}
                ).scalar()
                other = conn.execute(
                    text("SELECT pg_try_advisory_lock(:k)"), {"k": advisory_key(OTHER)}
                ).scalar()
                conn.execute(text("SELECT pg_advisory_unlock_all()"))
        finally:
            engine.dispose()
        # Another session (another process) cannot take the letter's lock; another letter's
        # lock is free.
        assert (taken, other) == (False, True)
        # No lock file: the lock is the server's.
        assert not (folder / "lock").exists()
    finally:
        release.set()
        holder.join(30)


def test_lookups_of_one_letter_wait_for_each_other(database: Database) -> None:
    """Under the letter's lock a look-up reads the next number, then adds it; two at once
    never get the same number (the lock file on SQLite, the advisory lock on PostgreSQL)."""
    folder = letter_folder(database.workspace, LETTER)
    errors: list[BaseException] = []

    def look_up() -> None:
        try:
            with letter_lock(folder, url=database.url), LetterStore(folder, url=database.url) as s:
                number = s.next_number()
                time.sleep(0.02)  # a decision takes a while: a race would show here
                _add(s, number, request_sha256=f"{number:064x}")
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            errors.append(exc)

    threads = [threading.Thread(target=look_up) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    with LetterStore(folder, url=database.url) as store:
        assert [s.number for s in store.all()] == [1, 2, 3, 4, 5]


# -- the per-letter files from before --------------------------------------------------------

_LEGACY_SCHEMA = (
    """CREATE TABLE lookups (number INTEGER PRIMARY KEY, day TEXT NOT NULL,
    request_sha256 TEXT NOT NULL, request_json TEXT NOT NULL, actor TEXT NOT NULL,
    outcome TEXT NOT NULL, counted INTEGER NOT NULL, response_json TEXT NOT NULL,
    entries_json TEXT NOT NULL, recorded INTEGER NOT NULL DEFAULT 0)""",
    "CREATE UNIQUE INDEX lookups_request ON lookups (day, request_sha256)",
)


def _legacy_file(folder: Path, rows: list[tuple[int, int]]) -> Path:
    """A letter folder's lookups.sqlite as matchgate wrote it: (number, recorded) rows."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "lookups.sqlite"
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        for statement in _LEGACY_SCHEMA:
            conn.execute(text(statement))
        for number, recorded in rows:
            conn.execute(
                text(
                    "INSERT INTO lookups VALUES (:n, '2026-10-01', :sha, '{}', 'old desk',"
                    " 'disclosed', 1, '{\"outcome\": \"disclosed\"}',"
                    " '[{\"idempotency_key\": \"old-' || :n || '\"}]', :recorded)"
                ),
                {"n": number, "sha": f"{number:064x}", "recorded": recorded},
            )
    engine.dispose()
    return path


def test_a_letters_file_from_before_is_copied_in_on_first_use(database: Database) -> None:
    folder = letter_folder(database.workspace, LETTER)
    legacy = _legacy_file(folder, [(1, 1), (2, 0)])
    with _store(database) as store:
        stored = store.all()
        assert [(s.number, s.recorded, s.actor) for s in stored] == [
            (1, True, "old desk"),
            (2, False, "old desk"),
        ]
        # The unrecorded one is still finished with its own idempotency key.
        assert [s.entries[0]["idempotency_key"] for s in store.unrecorded()] == ["old-2"]
        assert store.next_number() == 3 and store.counted() == 2
    assert not legacy.exists() and (folder / "lookups.sqlite.imported").is_file()
    with _store(database) as store:  # opened again: nothing copied twice
        assert len(store.all()) == 2


def test_a_copy_cut_off_before_the_rename_finishes_the_next_time(database: Database) -> None:
    folder = letter_folder(database.workspace, LETTER)
    legacy = _legacy_file(folder, [(1, 1), (2, 1)])
    with _store(database):
        pass
    (folder / "lookups.sqlite.imported").rename(legacy)  # as if killed before the rename
    with _store(database) as store:
        assert [s.number for s in store.all()] == [1, 2]
    assert not legacy.exists()


def test_a_file_from_before_that_disagrees_with_the_store_is_not_copied(
    database: Database,
) -> None:
    folder = letter_folder(database.workspace, LETTER)
    with _store(database) as store:
        _add(store, 1)
    legacy = _legacy_file(folder, [(1, 1)])
    with pytest.raises(WorkspaceError, match="look-up 1 of this letter is already in"):
        _store(database)
    assert legacy.is_file()  # left for the office to look at
