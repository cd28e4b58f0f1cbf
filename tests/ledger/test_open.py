"""Opening a ledger: keys outside the database, clear errors for damaged or missing files."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
from pathlib import Path

import pytest

from matchgate.errors import LedgerError, WorkspaceError
from matchgate.ledger import EntryKind, Ledger
from matchgate.ledger._keys import default_key_path, load_public_key, public_key_sha256

from .conftest import Backend, filled_ledger


def key_of(workspace: Path) -> Path:
    """Where the ledger of ``workspace`` keeps its signing key by default."""
    return default_key_path(public_key_sha256(load_public_key(workspace / "ledger.pub")))


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_ledger_creates_its_key_outside_the_database(sqlite_backend: Backend) -> None:
    sqlite_backend.open()
    workspace = sqlite_backend.workspace
    assert (workspace / "ledger.sqlite").is_file()
    assert mode(key_of(workspace)) == 0o600
    assert mode(key_of(workspace).parent) == 0o700
    assert not (workspace / "keys").exists()  # the private key is not in the workspace
    assert (workspace / "ledger.pub").read_text().startswith("-----BEGIN PUBLIC KEY-----")
    assert b"PRIVATE" not in (workspace / "ledger.sqlite").read_bytes()


def test_the_key_path_comes_from_the_environment(
    sqlite_backend: Backend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = tmp_path / "secrets" / "ledger.key"
    monkeypatch.setenv("MATCHGATE_LEDGER_KEY", str(key))
    filled_ledger(sqlite_backend).close()
    assert key.is_file() and not (sqlite_backend.workspace / "keys").exists()
    assert sqlite_backend.open().verify().ok


def test_the_key_path_argument_wins(sqlite_backend: Backend, tmp_path: Path) -> None:
    key = tmp_path / "elsewhere.key"
    sqlite_backend.open(key_path=key).close()
    assert key.is_file()
    with pytest.raises(LedgerError, match="matchgate/keys/ledger-"):
        sqlite_backend.open()  # the default path holds no key for this ledger


def test_a_missing_key_for_an_existing_ledger_is_a_clear_error(backend: Backend) -> None:
    filled_ledger(backend).close()
    key = key_of(backend.workspace)
    key.unlink()
    with pytest.raises(LedgerError, match="signing key is missing") as raised:
        backend.open()
    assert str(key) in str(raised.value)
    assert not key.exists()  # never silently replaced by a new key


def test_a_key_readable_by_others_is_refused(sqlite_backend: Backend) -> None:
    sqlite_backend.open().close()
    key = key_of(sqlite_backend.workspace)
    os.chmod(key, 0o644)
    with pytest.raises(LedgerError, match="chmod 600"):
        sqlite_backend.open()


def test_a_key_that_does_not_match_ledger_pub_is_refused(
    sqlite_backend: Backend, tmp_path: Path
) -> None:
    sqlite_backend.open().close()
    Ledger.open(tmp_path / "other").close()
    with pytest.raises(LedgerError, match="does not belong"):
        sqlite_backend.open(key_path=key_of(tmp_path / "other"))


@pytest.mark.parametrize(
    "damage",
    ["garbage", "empty-header", "pages"],
)
def test_a_damaged_ledger_file_is_a_clear_error(sqlite_backend: Backend, damage: str) -> None:
    filled_ledger(sqlite_backend).close()
    path = sqlite_backend.workspace / "ledger.sqlite"
    data = bytearray(path.read_bytes())
    if damage == "garbage":
        data = bytearray(b"this is not a database at all\n" * 100)
    elif damage == "empty-header":
        data[:100] = bytes(100)
    else:
        # From the page after the entries table's first one (where that is depends on the tables
        # made before it, e.g. the migrations' alembic_version).
        with contextlib.closing(sqlite3.connect(path)) as conn:
            (root,) = conn.execute(
                "SELECT rootpage FROM sqlite_master WHERE name = 'ledger_entries'"
            ).fetchone()
            (page_size,) = conn.execute("PRAGMA page_size").fetchone()
        for offset in range(root * page_size, len(data), 97):
            data[offset] = (data[offset] + 1) % 256
    path.write_bytes(bytes(data))
    with pytest.raises(LedgerError) as raised:
        sqlite_backend.open().verify()
    message = str(raised.value)
    assert str(path) in message
    assert "damaged" in message or "not a matchgate ledger" in message


def test_read_only_needs_an_existing_ledger(sqlite_backend: Backend) -> None:
    sqlite_backend.workspace.mkdir()
    with pytest.raises(LedgerError, match="no ledger in this workspace") as raised:
        sqlite_backend.open(read_only=True)
    assert "ledger.sqlite" in str(raised.value)


def test_read_only_works_without_the_private_key(backend: Backend) -> None:
    filled_ledger(backend).close()
    key_of(backend.workspace).unlink()
    ledger = backend.open(read_only=True)
    assert ledger.verify().ok
    assert len(ledger.disclosures_for_tin("900000005")) == 1
    with pytest.raises(LedgerError, match="read-only"):
        ledger.append(EntryKind.REVIEW_ACTION, {"action": "x"}, actor="r", idempotency_key="k")


def test_a_workspace_that_is_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(WorkspaceError, match="not a folder"):
        Ledger.open(tmp_path / "file")


def test_an_unusable_database_url_is_a_ledger_error(tmp_path: Path) -> None:
    with pytest.raises(LedgerError, match="database URL"):
        Ledger.open(tmp_path, url="not a url")
    with pytest.raises(LedgerError, match="SQLite and PostgreSQL"):
        Ledger.open(tmp_path, url="mysql+pymysql://u:p@localhost/db")


def test_an_unreachable_server_names_it_without_the_password(tmp_path: Path) -> None:
    url = "postgresql+psycopg://matchgate:s3cret@127.0.0.1:1/ledger?connect_timeout=2"
    with pytest.raises(LedgerError) as raised:
        Ledger.open(tmp_path, url=url)
    assert "127.0.0.1:1" in str(raised.value)
    assert "s3cret" not in str(raised.value)


def test_a_closed_ledger_refuses_appends(sqlite_backend: Backend) -> None:
    with sqlite_backend.open() as ledger:
        pass
    with pytest.raises(LedgerError, match="closed"):
        ledger.append(EntryKind.REVIEW_ACTION, {"action": "x"}, actor="r", idempotency_key="k")


def test_a_damaged_head_file_is_a_clear_error(sqlite_backend: Backend) -> None:
    ledger = filled_ledger(sqlite_backend)
    (sqlite_backend.workspace / "ledger.head.json").write_text("{")
    with pytest.raises(WorkspaceError, match="ledger.head.json"):
        ledger.verify()
