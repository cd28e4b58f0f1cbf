"""The server package exports exactly its public names; the CLI command registers."""

from __future__ import annotations

import warnings

import typer
from typer.testing import CliRunner

import matchgate.server
from matchgate.cli import serve_commands

with warnings.catch_warnings():
    warnings.simplefilter("ignore")


def test_exports() -> None:
    assert matchgate.server.__all__ == ["ServerSettings", "create_app"]
    assert sorted(matchgate.server.__all__) == matchgate.server.__all__


def test_register_adds_serve_with_every_option() -> None:
    app = typer.Typer()
    serve_commands.register(app)

    @app.callback()
    def _group() -> None:
        """test group"""

    result = CliRunner().invoke(app, ["serve", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for option in ("--master", "--workspace", "--policy", "--host", "--port", "--database-url"):
        assert option in result.output
    assert "--accounts-url" in result.output
    assert "MATCHGATE_REVIEWER_TOKEN" not in result.output
