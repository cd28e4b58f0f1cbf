"""Engines shared within a process (matchgate.store.engines): reused while the database is
the same one, never for an in-memory database or a file that was replaced, and bounded."""

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


def test_a_file_not_there_yet_gets_an_engine_of_its_own(tmp_path: Path) -> None:
    first = shared_engine(_url(tmp_path / "a.sqlite"), kind="test")
    assert not first.shared
    with first.engine.begin() as conn:  # makes the file
        conn.execute(text("CREATE TABLE t (a INTEGER)"))
    first.release()
    second = shared_engine(_url(tmp_path / "a.sqlite"), kind="test")
    assert second.shared and second.engine is not first.engine


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


def test_a_replaced_file_gets_a_new_engine(tmp_path: Path) -> None:
    path = _made(tmp_path / "a.sqlite")
    first = shared_engine(_url(path), kind="test")
    assert first.shared
    with first.engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (a INTEGER)"))
        conn.execute(text("INSERT INTO t VALUES (1)"))
    # another file put in its place (a restore, a test's fresh workspace at the same path)
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as raw:
        raw.execute("CREATE TABLE t (a INTEGER)")
        raw.execute("INSERT INTO t VALUES (2)")
    raw.close()
    other.replace(path)
    second = shared_engine(_url(path), kind="test")
    assert second.engine is not first.engine
    with second.engine.connect() as conn:
        assert conn.execute(text("SELECT a FROM t")).scalar_one() == 2


def test_a_removed_file_gets_a_new_engine(tmp_path: Path) -> None:
    path = _made(tmp_path / "a.sqlite")
    first = shared_engine(_url(path), kind="test")
    assert first.shared
    with first.engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (a INTEGER)"))
    path.unlink()
    second = shared_engine(_url(path), kind="test")
    assert second.engine is not first.engine
    with second.engine.begin() as conn:
        conn.execute(text("CREATE TABLE u (a INTEGER)"))
    assert path.is_file()  # written to the new file, not to the removed one
    # and the file made again is shared from its next open on, with a new engine
    third = shared_engine(_url(path), kind="test")
    assert third.shared and third.engine is not first.engine


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
    with LetterStore(folder) as store:  # makes the file
        assert store.next_number() == 1
    with LetterStore(folder) as store:
        first = store._engine
    with LetterStore(folder) as store:
        assert store._engine is first
        assert store.next_number() == 1


def test_a_look_up_store_whose_file_was_removed_starts_a_new_file(tmp_path: Path) -> None:
    folder = letter_folder(tmp_path, "0123456789abcdef")
    LetterStore(folder).close()  # makes the file: the next open shares an engine
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
