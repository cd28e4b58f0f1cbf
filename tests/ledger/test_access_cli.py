"""``matchgate ledger access`` and the access log's part of ``matchgate ledger verify``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner, Result

from matchgate.cli.ledger_commands import register
from matchgate.errors import LedgerIntegrityError
from matchgate.ledger import AccessLog, AccessUser

from .conftest import Backend, filled_ledger


@pytest.fixture
def app() -> typer.Typer:
    application = typer.Typer()
    register(application)
    return application


@pytest.fixture
def workspace(sqlite_backend: Backend) -> Path:
    filled_ledger(sqlite_backend).close()
    with AccessLog.open(sqlite_backend.workspace) as log:
        for number, (who, tin) in enumerate(
            [("Rev Reviewer", "123456789"), ("Sue Supervisor", "987654321")] * 2, start=1
        ):
            log.append(
                user=AccessUser(who, "reviewer", number),
                what="row_page",
                subject={"batch_id": "B1", "row_number": number, "tin": tin},
                outcome="allowed",
                status=200,
                route="GET /batches/{batch_id}/rows/{row_number}",
            )
    return sqlite_backend.workspace


def run(app: typer.Typer, *args: str | Path) -> Result:
    runner = CliRunner(env={"COLUMNS": "240"})
    return runner.invoke(app, [str(arg) for arg in args], catch_exceptions=True)


def test_verify_checks_the_access_log_too(app: typer.Typer, workspace: Path) -> None:
    result = run(app, "ledger", "verify", "--workspace", workspace)
    assert result.exit_code == 0, result.output
    assert "ok: 4 access-log records verify" in result.output


def test_verify_fails_on_a_tampered_access_log(
    app: typer.Typer, workspace: Path, sqlite_backend: Backend
) -> None:
    sqlite_backend.drop_triggers()
    sqlite_backend.execute("DELETE FROM ledger_access WHERE sequence = 2")
    result = run(app, "ledger", "verify", "--workspace", workspace)
    assert isinstance(result.exception, LedgerIntegrityError)
    assert "access log FAILED at record 2: record 2 is missing" in str(result.exception)


def test_access_by_tin_and_by_user(app: typer.Typer, workspace: Path) -> None:
    result = run(
        app, "ledger", "access", "--workspace", workspace, "--tin", "123-45-6789", "--json"
    )
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)
    assert found["total"] == 2
    assert [r["subject"]["row_number"] for r in found["records"]] == [3, 1]
    assert {r["user"]["name"] for r in found["records"]} == {"Rev Reviewer"}
    table = run(app, "ledger", "access", "--workspace", workspace, "--user", "Sue Supervisor")
    assert table.exit_code == 0, table.output
    assert "Reads recorded: 2" in table.output and "Rev Reviewer" not in table.output
    assert "123456789" not in table.output and "987654321" not in table.output


def test_access_refuses_a_bad_date(app: typer.Typer, workspace: Path) -> None:
    result = run(app, "ledger", "access", "--workspace", workspace, "--since", "yesterday")
    assert result.exit_code == 2
    assert "not a date" in result.output
