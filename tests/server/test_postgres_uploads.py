"""A batch uploaded to a server whose ledger is PostgreSQL is recorded there (its own module:
the PostgreSQL fixture gives each module a fresh database)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from matchgate.ledger import Ledger
from matchgate.server import ServerSettings, create_app

from .conftest import Served, add_users, bearer, upload

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from matchgate_cli import register_world_agency

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def test_an_uploaded_batch_is_recorded_in_the_postgres_ledger(
    served: Served, postgres_url: str, tmp_path: Path
) -> None:
    # The server's agency registry is in its database too.
    register_world_agency(served.world, tmp_path / "workspace", postgres_url)
    settings = ServerSettings(
        workspace=tmp_path / "workspace",
        master=served.world / "master.parquet",
        ledger_url=postgres_url,
    )
    # One URL: the users live in the ledger's PostgreSQL database too.
    tokens = add_users(tmp_path / "workspace", postgres_url)
    client = TestClient(create_app(settings))
    response = upload(client, served.world, bearer(tokens["requester"]))
    assert response.status_code == 200, response.text
    rows_in = response.json()["rows_in"]
    assert not (tmp_path / "workspace" / "ledger.sqlite").exists()
    assert not (tmp_path / "workspace" / "accounts.sqlite").exists()
    assert not (tmp_path / "workspace" / "agencies.sqlite").exists()
    # The letter passed review against the registry in PostgreSQL (its key is there).
    internal = tmp_path / "workspace" / "batches" / response.json()["batch_id"] / "output"
    decisions = (internal / "internal" / "decisions.csv").read_text(encoding="utf-8")
    assert "letter_signature_invalid" not in decisions and ",disclosed," in decisions
    with Ledger.open(tmp_path / "workspace", url=postgres_url, read_only=True) as ledger:
        report = ledger.verify()
    assert report.ok
    # the batch entry and one decision per row, at least
    assert report.entries_checked >= rows_in + 1
