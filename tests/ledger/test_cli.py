"""The ledger commands, driven through Typer as a user would."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner, Result

from matchgate.cli.ledger_commands import register
from matchgate.errors import LedgerError, LedgerIntegrityError, WorkspaceError

from .conftest import Backend, filled_ledger


@pytest.fixture
def app() -> typer.Typer:
    application = typer.Typer()
    register(application)
    return application


@pytest.fixture
def workspace(sqlite_backend: Backend) -> Path:
    filled_ledger(sqlite_backend).close()
    return sqlite_backend.workspace


def run(app: typer.Typer, *args: str | Path) -> Result:
    runner = CliRunner(env={"COLUMNS": "240"})
    return runner.invoke(app, [str(arg) for arg in args], catch_exceptions=True)


def test_verify_a_sound_workspace(app: typer.Typer, workspace: Path) -> None:
    result = run(app, "ledger", "verify", "--workspace", workspace)
    assert result.exit_code == 0, result.output
    assert "ok: 26 entries and 5 signed checkpoints verify" in result.output


def test_verify_names_the_first_bad_entry(
    app: typer.Typer, workspace: Path, sqlite_backend: Backend
) -> None:
    sqlite_backend.drop_triggers()
    sqlite_backend.execute("UPDATE ledger_entries SET actor = 'x' WHERE sequence = 8")
    result = run(app, "ledger", "verify", "--workspace", workspace)
    assert isinstance(result.exception, LedgerIntegrityError)  # matchgate.cli maps it to 3
    assert "sequence 8" in str(result.exception)
    assert "FAILED" in result.output


def test_export_then_verify_the_file_elsewhere(
    app: typer.Typer, workspace: Path, tmp_path: Path
) -> None:
    out = tmp_path / "audit.jsonl"
    result = run(app, "ledger", "export", "--out", out, "--workspace", workspace)
    assert result.exit_code == 0, result.output
    assert "wrote 26 entries" in result.output
    public_key = tmp_path / "copy.pub"
    public_key.write_bytes((workspace / "ledger.pub").read_bytes())
    result = run(app, "ledger", "verify", "--file", out, "--public-key", public_key)
    assert result.exit_code == 0, result.output
    lines = out.read_bytes().splitlines(keepends=True)
    lines[9] = lines[9].replace(b"no_match", b"disclosed")
    out.write_bytes(b"".join(lines))
    result = run(app, "ledger", "verify", "--file", out, "--public-key", public_key)
    assert isinstance(result.exception, LedgerIntegrityError)
    assert "line 10" in str(result.exception)


def test_verify_file_needs_a_public_key(app: typer.Typer, tmp_path: Path) -> None:
    result = run(app, "ledger", "verify", "--file", tmp_path / "x.jsonl")
    assert result.exit_code == 2
    assert "--public-key" in result.output


def test_accounting_by_tin_and_by_agency(app: typer.Typer, workspace: Path) -> None:
    result = run(app, "accounting", "--tin", "900000005", "--workspace", workspace)
    assert result.exit_code == 0, result.output
    assert "D-B1-5" in result.output and "Agency A" in result.output
    result = run(app, "accounting", "--tin", "900000005", "--workspace", workspace, "--json")
    [record] = json.loads(result.output)
    assert record["disclosure_id"] == "D-B1-5" and record["recipients"][0] == "Officer Lane"
    year = record["disclosed_at"][:4]
    result = run(
        app,
        "accounting",
        "--agency",
        "agency a",
        "--year",
        year,
        "--workspace",
        workspace,
        "--json",
    )
    assert [r["disclosure_id"] for r in json.loads(result.output)] == [
        "D-B1-2",
        "D-B1-5",
        "D-B1-9",
        "D-B2-1",
    ]


@pytest.mark.parametrize(
    "args",
    [[], ["--tin", "1", "--agency", "A", "--year", "2025"], ["--agency", "Agency A"]],
)
def test_accounting_needs_one_question(app: typer.Typer, workspace: Path, args: list[str]) -> None:
    result = run(app, "accounting", "--workspace", workspace, *args)
    assert result.exit_code == 2


def test_retract_writes_the_notice_and_refuses_twice(
    app: typer.Typer, workspace: Path, tmp_path: Path
) -> None:
    args = ["retract", "--disclosure", "D-B1-9", "--reason", "wrong person", "--actor", "auditor"]
    result = run(app, *args, "--workspace", workspace, "--out", tmp_path / "notices")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "notices" / "disposal-notice-D-B1-9.csv").is_file()
    assert (tmp_path / "notices" / "disposal-notice-D-B1-9.md").is_file()
    result = run(app, *args, "--workspace", workspace)
    assert isinstance(result.exception, LedgerError)
    assert "already retracted" in str(result.exception)
    result = run(app, "accounting", "--tin", "900000009", "--workspace", workspace, "--json")
    assert json.loads(result.output)[0]["retracted_at"]


def test_oversight_report(app: typer.Typer, workspace: Path, tmp_path: Path) -> None:
    year = json.loads(
        run(app, "accounting", "--tin", "900000005", "--workspace", workspace, "--json").output
    )[0]["disclosed_at"][:4]
    out = tmp_path / "oversight.json"
    result = run(app, "report", "oversight", "--year", year, "--workspace", workspace, "--out", out)
    assert result.exit_code == 0, result.output
    assert "Agency A" in result.output
    [line] = json.loads(out.read_text())["agencies"]
    assert (line["requests"], line["disclosures"], line["taxpayers_affected"]) == (14, 4, 4)


def test_the_workspace_can_come_from_the_environment(
    app: typer.Typer, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MATCHGATE_WORKSPACE", str(workspace))
    assert run(app, "ledger", "verify").exit_code == 0
    monkeypatch.delenv("MATCHGATE_WORKSPACE")
    result = run(app, "ledger", "verify")
    assert "--workspace" in str(result.exception)


def test_report_oversight_can_join_an_existing_report_group() -> None:
    app, report_app = typer.Typer(), typer.Typer()
    app.add_typer(report_app, name="report")
    register(app, report_app=report_app)
    assert "oversight" in run(app, "report", "--help").output


@pytest.mark.parametrize(
    "command",
    [
        ["ledger", "verify"],
        ["ledger", "export"],
        ["accounting"],
        ["retract"],
        ["report", "oversight"],
    ],
)
def test_every_command_and_option_is_documented(app: typer.Typer, command: list[str]) -> None:
    result = run(app, *command, "--help")
    assert result.exit_code == 0
    assert "--workspace" in result.output
    assert "Usage" in result.output


def test_retract_can_rewrite_a_lost_notice(
    app: typer.Typer, workspace: Path, tmp_path: Path
) -> None:
    base = ["retract", "--disclosure", "D-B1-2", "--workspace", workspace]
    assert run(app, *base, "--reason", "wrong person", "--out", tmp_path / "a").exit_code == 0
    result = run(app, *base, "--rewrite-notice", "--out", tmp_path / "b")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "b" / "disposal-notice-D-B1-2.md").is_file()
    assert run(app, "retract", "--disclosure", "D-B1-5", "--workspace", workspace).exit_code == 2


@pytest.mark.parametrize(
    "command",
    [
        ["ledger", "export", "--out", "x.jsonl"],
        ["retract", "--disclosure", "D-1", "--reason", "x"],
        ["ledger", "verify"],
        ["accounting", "--tin", "1"],
    ],
)
def test_a_mistyped_workspace_never_creates_a_ledger(
    app: typer.Typer, tmp_path: Path, command: list[str]
) -> None:
    result = run(app, *command, "--workspace", tmp_path / "typo")
    assert isinstance(result.exception, LedgerError | WorkspaceError)
    assert not (tmp_path / "typo" / "ledger.sqlite").exists()
