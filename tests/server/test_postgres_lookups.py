"""A server whose database is PostgreSQL keeps its agency registry and its look-up records
there too: a requester's look-up is decided against the registry in PostgreSQL, its record
is a ``lookup_records`` row there, and the workspace holds no registry or look-up file (its
own module: the PostgreSQL fixture gives each module a fresh database)."""

from __future__ import annotations

import csv
import warnings
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from matchgate.ledger import Ledger
from matchgate.review.registry import AgencyRegistryStore
from matchgate.server import ServerSettings, create_app

from .conftest import Served, add_users, bearer, upload

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def _rows(url: str, sql: str) -> list[tuple[object, ...]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(sql))]
    finally:
        engine.dispose()


def test_a_lookup_on_a_postgres_server_is_recorded_there(
    served: Served, postgres_url: str, tmp_path: Path
) -> None:
    workspace = tmp_path / "workspace"
    # The office registers the agency in the server's database (matchgate agency add
    # --database-url), not in the workspace.
    with AgencyRegistryStore.open(workspace, url=postgres_url) as registry:
        registry.add_file(served.world / "agency.toml", actor="test office")
    settings = ServerSettings(
        workspace=workspace, master=served.world / "master.parquet", ledger_url=postgres_url
    )
    tokens = add_users(workspace, postgres_url)
    requester = bearer(tokens["requester"])
    client = TestClient(create_app(settings))
    uploaded = upload(client, served.world, requester)  # trains the workspace's model
    assert uploaded.status_code == 200, uploaded.text
    decisions = workspace / "batches" / uploaded.json()["batch_id"] / "output" / "internal"
    with (decisions / "decisions.csv").open(encoding="utf-8", newline="") as stream:
        wanted = next(r for r in csv.DictReader(stream) if r["outcome"] == "disclosed")
    with (served.world / "requests.csv").open(encoding="utf-8", newline="") as stream:
        request = next(r for r in csv.DictReader(stream) if r["request_id"] == wanted["request_id"])
    letter = (served.world / "lookup_letter.toml").read_text(encoding="utf-8")

    response = client.post("/api/lookups", json={**request, "letter": letter}, headers=requester)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["response"]["outcome"] == "disclosed", answer["response"]
    again = client.post(
        "/api/lookups", json={**request, "letter_id": answer["letter_id"]}, headers=requester
    )
    assert again.status_code == 200, again.text
    assert again.json()["batch_id"] == answer["batch_id"]  # the recorded answer, once

    records = _rows(postgres_url, "SELECT letter_id, number, recorded, actor FROM lookup_records")
    assert records == [(answer["letter_id"], 1, 1, "Rita Requester")]
    for name in ("agencies.sqlite", "lookups.sqlite", "ledger.sqlite", "accounts.sqlite"):
        assert not (workspace / name).exists(), name
    folder = workspace / "lookups" / answer["letter_id"]
    assert (folder / "letter.toml").is_file() and not (folder / "lock").exists()
    with Ledger.open(workspace, url=postgres_url, read_only=True) as ledger:
        mine = [
            e for e in ledger.entries() if e.payload_dict().get("batch_id") == answer["batch_id"]
        ]
        assert [e.kind for e in mine][:2] == ["batch_received", "row_decision"]
        assert ledger.verify().ok
