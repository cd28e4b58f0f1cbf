"""A server given one database URL (``--database-url``, ``$MATCHGATE_LEDGER_URL``) keeps
its users and web sessions there, next to the ledger: nothing in the workspace's SQLite."""

from __future__ import annotations

import logging
import re
import warnings
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher

from matchgate.accounts import AccountStore
from matchgate.server import ServerSettings, create_app
from matchgate.store import StoreVersionError

from .conftest import Database

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def _hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert match, name
    return match.group(1)


def _sign_in(client: TestClient, name: str, token: str) -> httpx.Response:
    form = client.get("/sign-in")
    data = {"name": name, "token": token, "csrf_token": _hidden(form.text, "csrf_token")}
    return client.post("/sign-in", data=data, follow_redirects=False)


def _app(database: Database) -> TestClient:
    settings = ServerSettings(
        workspace=database.workspace,
        master=database.workspace.parent / "master.parquet",
        ledger_url=database.url,
    )
    assert settings.store_url == database.url
    return TestClient(create_app(settings))


def test_users_and_sessions_live_in_the_servers_database(database: Database) -> None:
    with AccountStore.open(database.workspace, url=database.url, hasher=CHEAP) as store:
        issued = store.add_user("Aud Auditor", role="auditor", actor="office")
    browser = _app(database)
    signed_in = _sign_in(browser, "Aud Auditor", issued.token)
    assert signed_in.status_code == 303, signed_in.text
    page = browser.get("/")
    assert page.status_code == 200 and "Aud Auditor" in page.text
    assert database.scalar("SELECT count(*) FROM account_sessions WHERE ended_at IS NULL") == 1
    signed_out = browser.post(
        "/sign-out", data={"csrf_token": _hidden(page.text, "csrf_token")}, follow_redirects=False
    )
    assert signed_out.status_code == 303
    assert database.scalar("SELECT count(*) FROM account_sessions WHERE ended_at IS NULL") == 0
    assert sorted(p.name for p in database.workspace.iterdir() if p.suffix == ".sqlite") == []


def test_a_server_whose_database_is_behind_refuses_to_sign_anyone_in(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    from alembic import command

    from matchgate.store import migrate

    with migrate._locked(database.url) as conn:
        command.upgrade(migrate._config(conn), "accounts_0001")
    browser = _app(database)
    with caplog.at_level(logging.WARNING, logger="matchgate.server"):
        refused = _sign_in(browser, "Aud Auditor", "mg_0123456789abcdef_" + "x" * 43)
    # The client reads that the server cannot serve; the operator's log says what to run.
    assert refused.status_code == 409
    assert "matchgate db upgrade" not in refused.text
    assert "accounts tables are at accounts_0001" in caplog.text
    assert "run `matchgate db upgrade --database-url" in caplog.text
    # matchgate serve opens the store before it listens: it stops with the same message.
    with pytest.raises(StoreVersionError, match="matchgate db upgrade"):
        AccountStore.open(database.workspace, url=database.url)


def test_the_accounts_url_still_puts_the_accounts_elsewhere(
    database: Database, tmp_path: Path
) -> None:
    elsewhere = f"sqlite:///{tmp_path / 'elsewhere.sqlite'}"
    settings = ServerSettings(
        workspace=database.workspace,
        master=tmp_path / "master.parquet",
        ledger_url=database.url,
        accounts_url=elsewhere,
    )
    assert settings.store_url == elsewhere
    without = ServerSettings(workspace=database.workspace, master=tmp_path / "m.parquet")
    assert without.store_url is None


def test_serve_stops_before_listening_on_a_workspace_from_before_migrations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    import uvicorn

    from matchgate.cli.serve_commands import serve

    started: list[object] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: started.append(app))
    workspace = tmp_path / "workspace"
    shutil.copytree(Path(__file__).parent / "pre_migration_workspace", workspace)
    master = tmp_path / "m.parquet"
    master.write_bytes(b"")
    with pytest.raises(StoreVersionError, match="ledger tables are from before migrations"):
        serve(master=master, workspace=workspace, host="127.0.0.1", port=8000)
    assert started == []
