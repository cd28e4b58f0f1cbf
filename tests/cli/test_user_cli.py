"""``matchgate user add|list|revoke|token`` as a user runs them (the real command)."""

from __future__ import annotations

from pathlib import Path

import pytest

from matchgate.accounts import AccountStore
from matchgate_cli import run_matchgate

# Seconds per test (worlds, subprocesses, a model): the full suite only, not `make check`.
pytestmark = pytest.mark.slow


def test_user_add_prints_the_token_alone_on_its_last_line(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    added = run_matchgate(
        "user", "add", "Rita Requester", "--role", "requester", "--agency", "DHS",
        "--expires", "30", "--workspace", workspace, "--actor", "office admin",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    token = added.stdout.rstrip("\n").splitlines()[-1]
    assert token.startswith("mg_") and " " not in token
    with AccountStore.open(workspace) as store:
        found = store.authenticate(token)
        assert found is not None
        assert found[0].name == "Rita Requester" and found[0].agency_code == "DHS"
        assert found[0].token_expires_at is not None
        [event] = store.events()
    assert event.actor == "office admin" and event.action == "user_added"
    assert token not in (workspace / "accounts.sqlite").read_bytes().decode("latin-1")

    listed = run_matchgate("user", "list", "--workspace", workspace, env={"COLUMNS": "200"})
    assert listed.returncode == 0, listed.stderr
    assert "Rita Requester" in listed.stdout and "DHS" in listed.stdout
    assert token not in listed.stdout

    another = run_matchgate("user", "token", "Rita Requester", "--workspace", workspace)
    assert another.returncode == 0, another.stderr
    second = another.stdout.splitlines()[-1]
    assert second.startswith("mg_") and second != token

    revoked = run_matchgate("user", "revoke", "Rita Requester", "--workspace", workspace)
    assert revoked.returncode == 0, revoked.stderr
    with AccountStore.open(workspace) as store:
        assert store.authenticate(token) is None
        assert store.authenticate(second) is None
    again = run_matchgate("user", "list", "--workspace", workspace, env={"COLUMNS": "200"})
    assert "revoked" in again.stdout


def test_user_add_refuses_an_agency_not_in_the_registry(tmp_path: Path) -> None:
    result = run_matchgate(
        "user", "add", "Otto", "--role", "requester", "--agency", "NOPE",
        "--workspace", tmp_path / "ws",
    )  # fmt: skip
    assert result.returncode != 0
    assert "no agency 'NOPE'" in result.stderr
    assert "mg_" not in result.stdout


def test_user_add_refuses_a_requester_without_agency(tmp_path: Path) -> None:
    result = run_matchgate(
        "user", "add", "Otto", "--role", "requester", "--workspace", tmp_path / "ws"
    )
    assert result.returncode != 0
    assert "--agency" in result.stderr
