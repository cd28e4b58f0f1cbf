"""Every command has a one-line help and is documented in the README."""

from __future__ import annotations

import re
from pathlib import Path

import typer.main
from typer.testing import CliRunner

from matchgate.cli import app

README = Path(__file__).resolve().parents[2] / "README.md"


def command_paths() -> list[str]:
    group = typer.main.get_command(app)
    paths = []
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        sub = getattr(command, "commands", None)
        if sub:
            paths.extend(f"{name} {child}" for child in sub)
        else:
            paths.append(name)
    return sorted(paths)


def test_help_lists_every_command_with_a_line() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    group = typer.main.get_command(app)
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        assert name in result.output
        assert (command.help or command.short_help or "").strip(), name


def test_every_command_is_in_the_readme() -> None:
    text = README.read_text(encoding="utf-8")
    missing = [p for p in command_paths() if not re.search(rf"matchgate {p}\b", text)]
    assert not missing, f"README does not show: {missing}"


def test_readme_has_the_two_setup_commands() -> None:
    text = README.read_text(encoding="utf-8")
    assert "make demo" in text and "make test" in text


def test_a_usage_error_is_a_message_and_exit_2_never_a_traceback() -> None:
    from matchgate_cli import run_matchgate

    for args in (["no-such-command"], ["run", "--no-such-option"]):
        done = run_matchgate(*args)
        assert done.returncode == 2, done.stderr
        assert "Traceback" not in done.stderr
        assert "Error: No such" in done.stderr and "--help' for help" in done.stderr
