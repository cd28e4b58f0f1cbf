"""Where the ledger's private key lives: outside the workspace, refused inside it by the server."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest

import matchgate
from matchgate.errors import LedgerError
from matchgate.ledger import Ledger, LedgerKeyWarning, check_key_location, key_directory
from matchgate.server import ServerSettings, create_app
from matchgate_cli import run_matchgate

from .conftest import Backend, filled_ledger
from .test_open import key_of


def older_workspace(backend: Backend) -> Path:
    """A workspace as matchgate made them before: its key in WORKSPACE/keys/ledger.key."""
    filled_ledger(backend).close()
    legacy = backend.workspace / "keys" / "ledger.key"
    legacy.parent.mkdir(mode=0o700)
    shutil.move(key_of(backend.workspace), legacy)
    return legacy


def test_the_real_default_is_under_the_users_config_folder(
    sqlite_backend: Backend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("XDG_CONFIG_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert key_directory() == tmp_path / "home" / ".config" / "matchgate" / "keys"
    filled_ledger(sqlite_backend).close()
    key = key_of(sqlite_backend.workspace)
    assert key.parent == tmp_path / "home" / ".config" / "matchgate" / "keys"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert not (sqlite_backend.workspace / "keys").exists()
    assert sqlite_backend.open().verify().ok  # found again by the ledger's public key


def test_two_workspaces_never_share_a_key(tmp_path: Path) -> None:
    Ledger.open(tmp_path / "a").close()
    Ledger.open(tmp_path / "b").close()
    assert key_of(tmp_path / "a") != key_of(tmp_path / "b")
    assert key_of(tmp_path / "a").read_bytes() != key_of(tmp_path / "b").read_bytes()


def test_a_copy_of_a_workspace_finds_the_same_key(sqlite_backend: Backend, tmp_path: Path) -> None:
    filled_ledger(sqlite_backend).close()
    shutil.copytree(sqlite_backend.workspace, tmp_path / "restored")
    with Ledger.open(tmp_path / "restored") as ledger:
        assert ledger.checkpoint() is None and ledger.verify().ok


def test_a_new_key_is_never_made_inside_the_workspace(sqlite_backend: Backend) -> None:
    inside = sqlite_backend.workspace / "keys" / "ledger.key"
    with pytest.raises(LedgerError, match="refusing to create the ledger signing key inside"):
        sqlite_backend.open(key_path=inside)
    assert not inside.exists()


def test_an_older_workspaces_key_is_read_with_a_warning(sqlite_backend: Backend) -> None:
    legacy = older_workspace(sqlite_backend)
    with pytest.warns(LedgerKeyWarning, match="inside the workspace") as caught:
        ledger = sqlite_backend.open()
    assert f"mv {legacy} {key_of(sqlite_backend.workspace)}" in str(caught[0].message)
    assert ledger.checkpoint() is None and ledger.verify().ok


def test_the_warning_tells_how_to_move_it_and_moving_it_silences_it(
    sqlite_backend: Backend, tmp_path: Path
) -> None:
    legacy = older_workspace(sqlite_backend)
    out = tmp_path / "audit.jsonl"
    done = run_matchgate("ledger", "export", "--workspace", sqlite_backend.workspace, "--out", out)
    assert done.returncode == 0, done.stderr
    assert "warning:" in done.stderr and "inside the workspace" in done.stderr
    assert "Traceback" not in done.stderr and out.is_file()
    legacy.rename(key_of(sqlite_backend.workspace))
    done = run_matchgate("ledger", "export", "--workspace", sqlite_backend.workspace, "--out", out)
    assert done.returncode == 0 and "warning" not in done.stderr


def test_the_server_refuses_a_key_inside_the_workspace(
    sqlite_backend: Backend, tmp_path: Path
) -> None:
    legacy = older_workspace(sqlite_backend)
    with pytest.raises(LedgerError, match="the server refuses to run with it") as raised:
        sqlite_backend.open(server=True)
    assert str(legacy) in str(raised.value)
    master = tmp_path / "master.csv"
    master.write_text("tin\n", encoding="utf-8")
    settings = ServerSettings(workspace=sqlite_backend.workspace, master=master)
    with pytest.raises(LedgerError, match="inside the workspace"):
        create_app(settings)
    # Named explicitly (--key-file / $MATCHGATE_LEDGER_KEY) it is refused all the same.
    with pytest.raises(LedgerError, match="inside the workspace"):
        check_key_location(sqlite_backend.workspace, legacy, server=True)
    outside = tmp_path / "secret" / "ledger.key"
    outside.parent.mkdir(mode=0o700)
    legacy.rename(outside)
    create_app(settings.model_copy(update={"ledger_key": outside}))  # starts
    assert sqlite_backend.open(key_path=outside, server=True).verify().ok


def test_serve_on_the_command_line_refuses_it(sqlite_backend: Backend, tmp_path: Path) -> None:
    older_workspace(sqlite_backend)
    master = tmp_path / "master.csv"
    master.write_text("tin\n", encoding="utf-8")
    done = run_matchgate(
        "serve", "--master", master, "--workspace", sqlite_backend.workspace, "--port", "1",
        timeout=60,
    )  # fmt: skip
    assert done.returncode == 6, done.stderr
    assert "inside the workspace" in done.stderr and "Traceback" not in done.stderr


def test_no_private_key_ships_in_the_package() -> None:
    package = Path(matchgate.__file__).parent
    for path in package.rglob("*"):
        if path.is_file() and path.suffix != ".pyc":
            assert b"PRIVATE KEY-----" not in path.read_bytes(), path
