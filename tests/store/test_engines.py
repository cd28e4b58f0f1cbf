"""Engines shared within a process (matchgate.store.engines): one per kind and database,
never for an in-memory database, bounded, and with no SQLite connection kept between opens
(a file replaced, removed or restored in place is read as it is now)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from matchgate.lookups.store import LetterStore, letter_folder
from matchgate.store import engines
from matchgate.store.engines import forget_shared_engines, shared_engine


@pytest.fixture(autouse=True)
def _no_shared_engines() -> Iterator[None]:
    forget_shared_engines()
    yield
    forget_shared_engines()


def _url(path: Path) -> str:
    return f"sqlite:///{path}"


def _made(path: Path) -> Path:
    sqlite3.connect(path).close()
    return path


def test_the_same_file_gets_the_same_engine(tmp_path: Path) -> None:
    first = shared_engine(_url(_made(tmp_path / "a.sqlite")), kind="test")
    with first.engine.begin() as conn:  # makes the file
        conn.execute(text("CREATE TABLE t (a INTEGER)"))
    first.release()
    second = shared_engine(_url(tmp_path / "a.sqlite"), kind="test")
    assert second.shared and second.engine is first.engine
    # release keeps a shared engine usable
    with second.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM t")).scalar_one() == 0


def test_kinds_and_files_are_kept_apart(tmp_path: Path) -> None:
    url = _url(_made(tmp_path / "a.sqlite"))
    _made(tmp_path / "b.sqlite")
    assert shared_engine(url, kind="one").engine is not shared_engine(url, kind="two").engine
    assert (
        shared_engine(url, kind="one").engine
        is not shared_engine(_url(tmp_path / "b.sqlite"), kind="one").engine
    )


def test_configure_runs_once_per_engine(tmp_path: Path) -> None:
    made: list[Engine] = []
    url = _url(_made(tmp_path / "a.sqlite"))
    for _ in range(3):
        shared_engine(url, kind="test", configure=made.append)
    assert len(made) == 1


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_an_in_memory_database_is_never_shared(url: str) -> None:
    first = shared_engine(url, kind="test")
    second = shared_engine(url, kind="test")
    assert not first.shared and not second.shared
    assert first.engine is not second.engine
    with first.engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (a INTEGER)"))
    first.release()  # disposed: its database is gone


def test_a_replaced_file_is_read_as_it_is_now(tmp_path: Path) -> None:
    path = _made(tmp_path / "a.sqlite")
    first = shared_engine(_url(path), kind="test")
    with first.engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (a INTEGER)"))
        conn.execute(text("INSERT INTO t VALUES (1)"))
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as raw:
        raw.execute("CREATE TABLE t (a INTEGER)")
        raw.execute("INSERT INTO t VALUES (2)")
    raw.close()
    other.replace(path)  # another file put in its place
    with shared_engine(_url(path), kind="test").engine.connect() as conn:
        assert conn.execute(text("SELECT a FROM t")).scalar_one() == 2


def test_a_removed_file_is_made_again_not_written_removed(tmp_path: Path) -> None:
    path = _made(tmp_path / "a.sqlite")
    first = shared_engine(_url(path), kind="test")
    with first.engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (a INTEGER)"))
    path.unlink()
    with shared_engine(_url(path), kind="test").engine.begin() as conn:
        conn.execute(text("CREATE TABLE u (a INTEGER)"))
    assert path.is_file()
    with sqlite3.connect(path) as raw:
        assert [r[0] for r in raw.execute("SELECT name FROM sqlite_master")] == ["u"]
    raw.close()


def test_at_most_max_engines_are_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engines, "MAX_SHARED_ENGINES", 3)
    made = [
        shared_engine(_url(_made(tmp_path / f"{n}.sqlite")), kind="test").engine for n in range(5)
    ]
    assert len(engines._ENGINES) == 3
    # the oldest two were dropped: asking again makes new ones
    assert shared_engine(_url(tmp_path / "0.sqlite"), kind="test").engine is not made[0]
    assert shared_engine(_url(tmp_path / "4.sqlite"), kind="test").engine is made[4]


def test_a_failing_configure_leaves_nothing_cached(tmp_path: Path) -> None:
    def broken(_engine: Engine) -> None:
        raise RuntimeError("no")

    with pytest.raises(RuntimeError):
        shared_engine(_url(_made(tmp_path / "a.sqlite")), kind="test", configure=broken)
    assert not engines._ENGINES


def test_look_up_stores_opened_again_share_one_engine(tmp_path: Path) -> None:
    folder = letter_folder(tmp_path, "0123456789abcdef")
    with LetterStore(folder) as store:
        first = store._engine
        assert store.next_number() == 1
    with LetterStore(folder) as store:
        assert store._engine is first
        assert store.next_number() == 1


def test_a_look_up_store_whose_file_was_removed_starts_a_new_file(tmp_path: Path) -> None:
    folder = letter_folder(tmp_path, "0123456789abcdef")
    with LetterStore(folder) as store:
        store.add(
            number=1,
            day="2026-12-01",
            request_sha256="0" * 64,
            request_json="{}",
            actor="someone",
            outcome="no_match",
            counted=True,
            response={},
            entries=[],
        )
    (tmp_path / "lookups.sqlite").unlink()
    with LetterStore(folder) as store:
        assert store.next_number() == 1  # the new file's tables, made on open, are empty
    assert (tmp_path / "lookups.sqlite").is_file()


def test_a_sqlite_engine_holds_no_connection_between_opens(tmp_path: Path) -> None:
    # A ledger restored by copying over its file (same inode) must be read as restored: no
    # connection of this process keeps the old WAL alive between opens.
    path = _made(tmp_path / "ledger.sqlite")
    first = shared_engine(_url(path), kind="test")
    with first.engine.begin() as conn:
        conn.execute(text("PRAGMA journal_mode = WAL"))
        conn.execute(text("CREATE TABLE t (a TEXT)"))
        conn.execute(text("INSERT INTO t VALUES ('live')"))
    first.release()
    assert not (tmp_path / "ledger.sqlite-wal").exists()  # checkpointed and removed on close
    backup = tmp_path / "backup.sqlite"
    with sqlite3.connect(backup) as raw:
        raw.execute("CREATE TABLE t (a TEXT)")
        raw.execute("INSERT INTO t VALUES ('restored')")
    raw.close()
    path.write_bytes(backup.read_bytes())  # in place: the inode stays
    again = shared_engine(_url(path), kind="test")
    assert again.engine is first.engine
    with again.engine.connect() as conn:
        assert conn.execute(text("SELECT a FROM t")).scalar_one() == "restored"


def test_many_open_stores_at_once_do_not_wait_for_each_other(tmp_path: Path) -> None:
    # More stores open at once than a default pool holds (5 + 10): none waits for a slot.
    path = _made(tmp_path / "a.sqlite")
    held = []
    for _ in range(20):
        engine = shared_engine(_url(path), kind="test").engine
        conn = engine.connect()
        conn.execute(text("SELECT 1"))
        held.append(conn)
    for conn in held:
        conn.close()
