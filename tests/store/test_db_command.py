"""``matchgate db upgrade|status``: a workspace made before migrations (by the matchgate of
commit b6ee77f: ``pre_migration_workspace/``), a new one, and the server's database."""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from matchgate.accounts import AccountStore
from matchgate.cli import app
from matchgate.cli.exit_codes import exit_code_for
from matchgate.errors import MatchgateError
from matchgate.ledger import Ledger
from matchgate.lookups.store import LetterStore
from matchgate.review.registry import AgencyRegistryStore
from matchgate.store import StoreVersionError

from .conftest import Database

HERE = Path(__file__).resolve().parent
OLD_WORKSPACE = HERE / "pre_migration_workspace"
OLD_TOKENS = json.loads((HERE / "pre_migration_workspace.tokens.json").read_text())


def _matchgate(*args: object, env: dict[str, str] | None = None) -> Result:
    runner = CliRunner(env={"COLUMNS": "240", "MATCHGATE_LEDGER_URL": None, **(env or {})})
    return runner.invoke(app, [str(a) for a in args])


def _old_workspace(tmp_path: Path) -> Path:
    workspace = tmp_path / "workspace"
    shutil.copytree(OLD_WORKSPACE, workspace)
    return workspace


def _count(path: Path, table: str) -> int:
    with sqlite3.connect(path) as conn:
        (count,) = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(count)


def test_a_workspace_from_before_migrations_is_refused_until_upgraded(tmp_path: Path) -> None:
    workspace = _old_workspace(tmp_path)
    status = _matchgate("db", "status", "--workspace", workspace)
    assert status.exit_code == 4, status.output
    assert "ledger:" in status.output and "accounts:" in status.output
    assert status.output.count("unversioned") == 3 and "registry:" in status.output
    with pytest.raises(StoreVersionError, match=f"matchgate db upgrade --workspace {workspace}"):
        AccountStore.open(workspace)
    with pytest.raises(StoreVersionError, match="ledger tables are from before migrations"):
        Ledger.open(workspace, read_only=True)
    with pytest.raises(StoreVersionError, match="registry tables are from before migrations"):
        AgencyRegistryStore.open(workspace)


def test_a_workspace_from_before_migrations_upgrades_with_everything_in_it(
    tmp_path: Path,
) -> None:
    workspace = _old_workspace(tmp_path)
    entries = _count(workspace / "ledger.sqlite", "ledger_entries")
    assert entries > 10
    upgraded = _matchgate("db", "upgrade", "--workspace", workspace)
    assert upgraded.exit_code == 0, upgraded.output
    assert "ledger: " in upgraded.output and "before migrations -> ledger_0002" in upgraded.output
    assert "before migrations -> accounts_0002" in upgraded.output
    assert "before migrations -> registry_0001" in upgraded.output
    status = _matchgate("db", "status", "--workspace", workspace)
    # The look-up store is made on first use (its rows are the letters' files till then).
    assert status.exit_code == 0 and status.output.count(": current") == 3, status.output
    assert status.output.count(": empty") == 1

    with Ledger.open(workspace, read_only=True) as ledger:
        report = ledger.verify()
    assert report.ok and report.entries_checked == entries
    # The old workspace's web session was made at 13:38 on 2026-12-01 for 8 hours: read it
    # at a moment inside that window (on the wall clock the test failed once it had passed).
    inside_the_session = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
    with AccountStore.open(workspace, clock=lambda: inside_the_session) as store:
        found = store.authenticate(OLD_TOKENS["Rev Reviewer"], name="Rev Reviewer")
        assert found is not None and found[0].role.value == "reviewer"
        assert store.authenticate(OLD_TOKENS["Ada Admin"]) is not None
        session = store.session_user(OLD_TOKENS["session_cookie"])
        assert session is not None and session[0].name == "Rev Reviewer"
        users = {u.name: u for u in store.users()}
        assert set(users) == {"Ada Admin", "Rev Reviewer", "Gone User"}
        assert not users["Gone User"].active
        assert [e.action for e in store.events()].count("user_added") == 3

    with AgencyRegistryStore.open(workspace) as registry:
        dhs = registry.registry().by_code("DHS")
        assert dhs is not None and [k.revoked_by for k in dhs.keys] == ["office lead", ""]
        assert [e.action for e in registry.events("DHS")] == [
            "seeded",
            "key_registered",
            "key_revoked",
            "key_registered",
        ]
    folder = workspace / "lookups" / "00c0ffee00c0ffee"
    with LetterStore(folder) as lookups:  # the letter's file is copied in on first use
        assert [(s.number, s.recorded, s.actor) for s in lookups.all()] == [
            (1, True, "desk officer"),
            (2, True, "desk officer"),
        ]
        assert lookups.next_number() == 3
    assert not (folder / "lookups.sqlite").exists()
    assert (folder / "lookups.sqlite.imported").is_file()

    again = _matchgate("db", "upgrade", "--workspace", workspace)
    assert again.exit_code == 0 and again.output.count("unchanged") == 4, again.output


def test_a_new_workspace_has_nothing_to_upgrade(tmp_path: Path) -> None:
    workspace = tmp_path / "new"
    workspace.mkdir()
    upgraded = _matchgate("db", "upgrade", "--workspace", workspace)
    assert upgraded.exit_code == 0 and "made at its head on first use" in upgraded.output
    assert list(workspace.iterdir()) == []
    status = _matchgate("db", "status", "--workspace", workspace)
    assert status.exit_code == 0 and status.output.count(": empty") == 4
    assert "registry:" in status.output and "lookups:" in status.output
    assert list(workspace.iterdir()) == []  # reading the status made no file


def test_db_needs_a_workspace_or_a_database(tmp_path: Path) -> None:
    result = _matchgate("db", "upgrade", env={"MATCHGATE_WORKSPACE": ""})
    assert isinstance(result.exception, MatchgateError)
    assert exit_code_for(result.exception) == 2 and "--workspace" in str(result.exception)
    missing = _matchgate("db", "status", "--workspace", tmp_path / "nowhere")
    assert isinstance(missing.exception, MatchgateError)
    assert exit_code_for(missing.exception) == 4
    assert "no such workspace folder" in str(missing.exception)


def test_db_upgrade_prepares_the_servers_database_for_users(database: Database) -> None:
    upgraded = _matchgate("db", "upgrade", "--database-url", database.url)
    assert upgraded.exit_code == 0, upgraded.output
    assert "none -> ledger_0002" in upgraded.output
    assert "none -> accounts_0002" in upgraded.output
    assert "none -> registry_0001" in upgraded.output
    assert "none -> lookups_0001" in upgraded.output
    # The users' command finds the same database through the server's setting.
    added = _matchgate(
        "user", "add", "Ada Admin", "--role", "admin", "--workspace", database.workspace,
        env={"MATCHGATE_LEDGER_URL": database.url, "MATCHGATE_ACCOUNTS_URL": None},
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert not (database.workspace / "accounts.sqlite").exists()
    status = _matchgate("db", "status", env={"MATCHGATE_LEDGER_URL": database.url})
    assert status.exit_code == 0 and status.output.count(": current") == 4, status.output
    assert database.scalar("SELECT name FROM account_users") == "Ada Admin"
    # ``user add`` checked the agency codes in the server's registry, not the workspace's.
    assert not (database.workspace / "agencies.sqlite").exists()


def test_agency_commands_reach_the_servers_database(database: Database, tmp_path: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from matchgate.review.agencies import agency_registry
    from matchgate.review.registry import AgencyRegistryStore, render_agency_toml
    from matchgate.review.signing import public_key_pem

    dhs = agency_registry().by_code("DHS")
    assert dhs is not None
    key = Ed25519PrivateKey.generate()
    agency_file = tmp_path / "dhs.toml"
    agency_file.write_text(
        render_agency_toml(dhs, public_key_pem=public_key_pem(key.public_key())), encoding="utf-8"
    )
    env = {"MATCHGATE_LEDGER_URL": database.url, "MATCHGATE_WORKSPACE": ""}
    added = _matchgate("agency", "add", agency_file, "--actor", "office clerk", env=env)
    assert added.exit_code == 0, added.output
    assert "registered DHS" in added.output
    shown = _matchgate("agency", "show", "DHS", "--database-url", database.url)
    assert shown.exit_code == 0 and "key_registered" in shown.output, shown.output
    listed = _matchgate("agency", "list", env=env)
    assert listed.exit_code == 0 and "DHS" in listed.output
    revoked = _matchgate("agency", "revoke", "DHS", "--reason", "lost", "--actor", "lead", env=env)
    assert revoked.exit_code == 0, revoked.output
    with AgencyRegistryStore.open(database.workspace, url=database.url) as store:
        agency = store.registry().by_code("DHS")
        assert agency is not None and agency.keys[0].revoked_by == "lead"
    assert list(database.workspace.iterdir()) == []  # nothing in any workspace
    # Without a URL the command still needs a workspace, and says so.
    nowhere = _matchgate("agency", "list", env={"MATCHGATE_WORKSPACE": ""})
    assert isinstance(nowhere.exception, MatchgateError) and "--workspace" in str(nowhere.exception)


def test_agency_commands_on_an_unreachable_database_say_so(tmp_path: Path) -> None:
    url = "postgresql+psycopg://matchgate@127.0.0.1:1/matchgate"
    result = _matchgate("agency", "list", "--database-url", url)
    assert isinstance(result.exception, MatchgateError)
    assert exit_code_for(result.exception) == 4
    assert "cannot open the agency registry" in str(result.exception)
    assert "127.0.0.1:1" in str(result.exception)
