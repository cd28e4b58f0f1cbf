"""The server package exports exactly its public names; the CLI command registers."""

from __future__ import annotations

import warnings
from pathlib import Path

import typer
from typer.testing import CliRunner

import matchgate.server
from matchgate.cli import serve_commands
from matchgate.server import ServerSettings, create_app

from .conftest import TOKEN, Served, upload

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


def test_exports() -> None:
    assert matchgate.server.__all__ == ["DEFAULT_REVIEWER_TOKEN", "ServerSettings", "create_app"]
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
    assert "MATCHGATE_REVIEWER_TOKEN" in result.output


def test_uploads_are_refused_while_the_pipeline_cannot_use_a_ledger_url(
    served: Served, tmp_path: Path
) -> None:
    settings = ServerSettings(
        workspace=tmp_path,
        master=served.world / "master.parquet",
        reviewer_token=TOKEN,
        ledger_url="postgresql+psycopg://nobody@127.0.0.1:1/none",
    )
    client = TestClient(create_app(settings))
    response = upload(client, served.world)
    assert response.status_code == 409
    assert "ledger URL" in response.json()["message"]
    assert not (tmp_path / "batches").exists() or not any((tmp_path / "batches").iterdir())
