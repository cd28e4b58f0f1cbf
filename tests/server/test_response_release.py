"""The server hands out a response only once the ledger holds all of it.

A response file in a batch folder whose ledger stage is not done (a batch killed between
its files and its ledger under an earlier order of the stages, or a folder assembled by
hand) is refused: 26 U.S.C. 6103(p)(3)(A) asks for the accounting at the time of
disclosure. Each test works on its own copy of the shared served workspace.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import duckdb
import pytest

from matchgate.server import ServerSettings, create_app
from matchgate.server.batch_folders import BatchFolders
from matchgate.server.errors import NotFoundError
from workspace_copy import copy_workspace

from .conftest import Served, upload

# Seconds per test (worlds, subprocesses, a model): the full suite only, not `make check`.
pytestmark = pytest.mark.slow

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


def _copy(served: Served, tmp_path: Path) -> Path:
    copy = tmp_path / "workspace"
    copy_workspace(served.workspace, copy)
    return copy


def _forget_ledger_stage(workspace: Path, batch_id: str) -> None:
    with duckdb.connect(str(workspace / "batches" / batch_id / "batch.duckdb")) as con:
        con.execute("DELETE FROM batch_stages WHERE stage = 'ledger'")


def test_response_refused_until_the_ledger_holds_it(served: Served, tmp_path: Path) -> None:
    workspace = _copy(served, tmp_path)
    folders = BatchFolders(workspace=workspace, master=served.world / "master.parquet", policy=None)
    response = folders.response_path(served.batch_id)
    assert response.is_file()
    _forget_ledger_stage(workspace, served.batch_id)
    with pytest.raises(NotFoundError, match="ledger does not hold"):
        folders.response_path(served.batch_id)
    (workspace / "batches" / served.batch_id / "batch.duckdb").unlink()
    with pytest.raises(NotFoundError, match="ledger does not hold"):
        folders.response_path(served.batch_id)


def test_api_does_not_serve_an_unaccounted_response(served: Served, tmp_path: Path) -> None:
    workspace = _copy(served, tmp_path)
    _forget_ledger_stage(workspace, served.batch_id)
    # The copy holds the served workspace's account store, so its users sign in here too.
    settings = ServerSettings(workspace=workspace, master=served.world / "master.parquet")
    url = f"/api/batches/{served.batch_id}/response.csv"
    with TestClient(create_app(settings)) as client:
        refused = client.get(url, headers=served.auth())
        assert refused.status_code == 404
        assert "ledger" in refused.text
        assert "disclosed" not in refused.text
        # The same upload again finishes the batch: the ledger stage runs, then it is served
        # once no row waits for review (the world's batch has rows pending review).
        assert upload(client, served.world, served.auth("requester")).status_code == 200
        pending = client.get(f"/api/batches/{served.batch_id}", headers=served.auth()).json()
        served_now = client.get(url, headers=served.auth())
        assert pending["outcomes"]["needs_review"] > 0
        assert served_now.status_code == 409
        assert served_now.json()["message"].endswith("wait for a person's review")
    # The same batch with its pending rows settled is final and is handed out whole.
    summary = workspace / "batches" / served.batch_id / "output" / "summary.json"
    settled = json.loads(summary.read_text(encoding="utf-8"))
    settled["outcomes"]["no_match"] += settled["outcomes"].pop("needs_review")
    settled["outcomes"]["needs_review"] = 0
    summary.write_text(json.dumps(settled), encoding="utf-8")
    with TestClient(create_app(settings)) as client:
        final = client.get(url, headers=served.auth())
        assert final.status_code == 200
        response = workspace / "batches" / served.batch_id / "output" / "response.csv"
        assert final.content == response.read_bytes()
