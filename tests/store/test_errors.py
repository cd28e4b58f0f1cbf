"""The store's one translation of driver errors into a workspace error."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from matchgate.errors import WorkspaceError
from matchgate.store.migrate import as_workspace_error, driver_detail, workspace_sqlite_url


def test_the_detail_is_the_drivers_first_line_without_the_statement(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'x.sqlite'}")
    with pytest.raises(OperationalError) as caught, engine.connect() as conn:
        conn.execute(text("SELECT secret_column FROM no_such_table WHERE tin = '123456789'"))
    engine.dispose()
    assert driver_detail(caught.value) == "no such table: no_such_table"
    assert "123456789" not in driver_detail(caught.value)


def test_an_empty_message_gives_the_errors_name() -> None:
    assert driver_detail(SQLAlchemyError("")) == "SQLAlchemyError"


def test_a_database_error_becomes_a_workspace_error_naming_the_place(tmp_path: Path) -> None:
    with (
        pytest.raises(WorkspaceError) as caught,
        as_workspace_error("the store failed", path=tmp_path),
    ):
        raise SQLAlchemyError("disk I/O error\n[SQL: INSERT ...]")
    assert str(tmp_path) in str(caught.value)
    assert "the store failed: disk I/O error" in str(caught.value)
    assert "[SQL" not in str(caught.value)


def test_other_errors_pass_unchanged() -> None:
    with pytest.raises(KeyError), as_workspace_error("the store failed"):
        raise KeyError("x")
    original = WorkspaceError("already a workspace error")
    with pytest.raises(WorkspaceError) as caught, as_workspace_error("the store failed"):
        raise original
    assert caught.value is original


def test_a_workspace_that_cannot_be_made_is_named(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(WorkspaceError, match="cannot create the workspace"):
        workspace_sqlite_url(blocker / "ws", "agencies.sqlite")
    assert (
        workspace_sqlite_url(tmp_path / "ws", "a.sqlite")
        == f"sqlite:///{tmp_path / 'ws' / 'a.sqlite'}"
    )
    assert (tmp_path / "ws").is_dir()
