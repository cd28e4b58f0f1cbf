"""The server against a PostgreSQL ledger: review actions, verify and accounting go there."""

from __future__ import annotations

import csv
import shutil
import uuid
import warnings
from pathlib import Path

import pytest

from matchgate.ledger import Ledger
from matchgate.server import ServerSettings, create_app

from .conftest import Served, add_users, bearer

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def test_review_actions_are_recorded_in_the_postgres_ledger(
    served: Served, postgres_url: str, tmp_path: Path
) -> None:
    workspace = tmp_path / "workspace"
    shutil.copytree(served.workspace / "batches", workspace / "batches")
    settings = ServerSettings(
        workspace=workspace,
        master=served.world / "master.parquet",
        ledger_url=postgres_url,
        accounts_url=postgres_url,
    )
    tokens = add_users(workspace, postgres_url)  # the users live in PostgreSQL too
    client = TestClient(create_app(settings), headers=bearer(tokens["reviewer"]))
    with served.decisions.open(encoding="utf-8", newline="") as stream:
        row = next(r for r in csv.DictReader(stream) if r["outcome"] == "ambiguous")
    response = client.post(
        f"/api/batches/{served.batch_id}/rows/{row['row_number']}/review-actions",
        json={
            "action": "note",
            "reason": "Checked on PostgreSQL.",
            "idempotency_key": uuid.uuid4().hex,
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["sequence"] == 1  # a new ledger: the first entry
    assert response.json()["actor"] == "Rev Reviewer"
    assert not (workspace / "accounts.sqlite").exists()
    report = client.get("/api/ledger/verify").json()
    assert report["ok"] is True and report["last_sequence"] == 1
    assert "postgresql" not in str(report) and "ledger.sqlite" not in str(report)
    assert not (workspace / "ledger.sqlite").exists()
    with Ledger.open(workspace, url=postgres_url, read_only=True) as ledger:
        assert ledger.verify().entries_checked == 1
