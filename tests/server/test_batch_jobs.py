"""Uploads as background jobs: progress, failure, a restart mid-job, the page's download, and
batches run with ``matchgate run`` into the server's workspace.

Each test works on its own copy of the shared served workspace (its users, agency and
prepared master included), so what it uploads or breaks stays there.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import pytest

from matchgate.batch.pipeline import run_batch
from matchgate.batch.workspace import Workspace
from matchgate.ledger import AccessLog, EntryKind, Ledger
from matchgate.server import ServerSettings, create_app
from matchgate.server.batch_folders import batch_lock
from matchgate.server.batch_jobs import read_job
from workspace_copy import copy_workspace

from .conftest import REQUESTS, Served

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.slow  # the served fixture runs a whole batch through the server


def _copy(served: Served, tmp_path: Path) -> Path:
    copy = tmp_path / "workspace"
    copy_workspace(served.workspace, copy)
    return copy


def _mapping(served: Served, tmp_path: Path) -> Path:
    """Every column mapped to itself: the world's batch read as before, but another batch
    (the mapping is part of a batch's id), which the served workspace has not run."""
    header = next(csv.reader(io.StringIO((served.world / "requests.csv").read_text())))
    path = tmp_path / "mapping.toml"
    lines = ["[columns]"] + [f'"{name}" = "{name}"' for name in header]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _client(served: Served, workspace: Path) -> TestClient:
    settings = ServerSettings(
        workspace=workspace, master=served.world / "master.parquet", rate_limit_requests=0
    )
    return TestClient(create_app(settings))


def _post(
    client: TestClient, served: Served, requests: bytes, mapping: Path | None = None, **headers: str
) -> Any:
    files = {
        "requests": ("mine.csv", requests, "text/csv"),
        "letter": ("letter.toml", (served.world / "letter.toml").read_bytes(), "text/plain"),
    }
    if mapping is not None:
        files["mapping"] = ("mapping.toml", mapping.read_bytes(), "text/plain")
    auth = {**served.auth("requester"), **headers}
    return client.post("/api/batches", headers=auth, files=files)


def _until(client: TestClient, served: Served, batch_id: str, states: set[str]) -> dict[str, Any]:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        batch: dict[str, Any] = client.get(f"/api/batches/{batch_id}", headers=served.auth()).json()
        if (batch.get("progress") or {}).get("state") in states:
            return batch
        time.sleep(0.2)
    raise AssertionError(f"batch {batch_id} never reached {states}: {batch}")


def _batch_id(served: Served, mapping: Path) -> str:
    space = Workspace(served.workspace)
    return space.batch_id(
        served.world / "requests.csv",
        served.world / "letter.toml",
        None,
        mapping=mapping,
        master=served.world / "master.parquet",
    )


def test_an_upload_answers_at_once_and_its_job_reports_the_pipelines_counts(
    served: Served, tmp_path: Path
) -> None:
    workspace = _copy(served, tmp_path)
    requests = served.world / "requests.csv"
    mapping = _mapping(served, tmp_path)
    batch_id = _batch_id(served, mapping)
    with _client(served, workspace) as client:
        # The job waits on the batch's lock, which the test holds: it is seen running.
        lock = batch_lock(batch_id)
        with lock:
            started = _post(client, served, requests.read_bytes(), mapping)
            assert started.status_code == 202, started.text
            body = started.json()
            assert body["batch_id"] == batch_id
            assert body["complete"] is False and body["response_url"] == ""
            running = _until(client, served, batch_id, {"running"})
            assert running["progress"]["error"] is None
            page = client.get(f"/batches/{batch_id}", headers=served.auth())
            assert page.status_code == 200
            assert 'http-equiv="refresh"' in page.text
            assert '<strong id="job-state">running</strong>' in page.text
            early = client.get(f"/api/batches/{batch_id}/response.csv", headers=served.auth())
            assert early.status_code == 409
            assert "not finished" in early.json()["message"]
        done = _until(client, served, batch_id, {"finished", "failed"})
        progress = done["progress"]
        assert progress["state"] == "finished", progress
        assert done["complete"] is True
        assert progress["rows_read"] == progress["rows_reviewed"] == REQUESTS
        assert progress["rows_written"] == done["rows_out"] == REQUESTS
        assert 0 < progress["rows_matched"] == progress["rows_to_match"] <= REQUESTS
        assert sum(done["outcomes"].values()) == REQUESTS
        page = client.get(f"/batches/{batch_id}", headers=served.auth()).text
        assert 'http-equiv="refresh"' not in page
        assert f'<td class="num">{REQUESTS}</td>' in page
        # Another agency's requester sees neither the batch nor its job.
        other = client.get(f"/api/batches/{batch_id}", headers=served.auth("other_requester"))
        assert other.status_code == 404


def test_a_failed_job_shows_its_error_and_releases_nothing(served: Served, tmp_path: Path) -> None:
    workspace = _copy(served, tmp_path)
    with _client(served, workspace) as client:
        started = _post(client, served, b"")
        assert started.status_code == 202
        batch_id = started.json()["batch_id"]
        failed = _until(client, served, batch_id, {"failed", "finished"})
        assert failed["progress"]["state"] == "failed"
        assert failed["progress"]["error"] == {
            "error": "IntakeError",
            "message": "upload 'requests' (mine.csv): the file is empty",
        }
        assert failed["complete"] is False
        assert str(workspace) not in json.dumps(failed)
        page = client.get(f"/batches/{batch_id}", headers=served.auth("requester")).text
        assert "The batch failed: IntakeError: upload &#39;requests&#39; (mine.csv)" in page
        assert 'http-equiv="refresh"' not in page and "download-response" not in page
        refused = client.get(f"/api/batches/{batch_id}/response.csv", headers=served.auth())
        assert refused.status_code == 409
        # A client that waits gets the job's error as the upload's answer.
        waited = _post(client, served, b"", Prefer="wait=60")
        assert waited.status_code == 422
        assert waited.json() == failed["progress"]["error"]


_CUT_OFF = """
import sys
from pathlib import Path
from matchgate.server.batch_folders import BatchFolders, Upload
from matchgate.server.batch_jobs import JobRunner
workspace, master, requests, letter, mapping = map(Path, sys.argv[1:])
batches = BatchFolders(workspace=workspace, master=master, policy=None)
with requests.open("rb") as r, letter.open("rb") as l, mapping.open("rb") as m:
    staged = batches.stage_upload(
        requests=Upload("mine.csv", r),
        letter=Upload("letter.toml", l),
        mapping=Upload("mapping.toml", m),
    )
batches.start_job(staged, actor="Rita Requester")
JobRunner.wait(staged.batch_id, 600)
"""


def test_a_server_stopped_mid_job_runs_it_again_when_it_starts(
    served: Served, tmp_path: Path
) -> None:
    """A server killed (SIGKILL) after the review stage: the batch is kept, shows as
    interrupted, and the next server start finishes it with the answers of an uninterrupted
    run, nothing recorded twice."""
    workspace = _copy(served, tmp_path)
    requests = served.world / "requests.csv"
    mapping = _mapping(served, tmp_path)
    env = {**os.environ, "MATCHGATE_KILL_AT": "after_review", "PYTHONPATH": "src"}
    killed = subprocess.run(
        [
            sys.executable,
            "-c",
            _CUT_OFF,
            str(workspace),
            str(served.world / "master.parquet"),
            str(requests),
            str(served.world / "letter.toml"),
            str(mapping),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert killed.returncode == -9, killed.stderr
    batch_id = _batch_id(served, mapping)
    record = read_job(workspace / "batches" / batch_id)
    assert record is not None and record["state"] == "interrupted"
    assert record["rows_reviewed"] == REQUESTS
    assert not (workspace / "batches" / batch_id / "output" / "summary.json").exists()
    with _client(served, workspace) as client:  # starting the server resumes the job
        done = _until(client, served, batch_id, {"finished", "failed"})
    assert done["progress"]["state"] == "finished", done["progress"]
    assert done["progress"]["rows_read"] == REQUESTS
    # The same file run without interruption in a third workspace gives the same answers.
    fresh = _copy(served, tmp_path / "fresh")
    uninterrupted = run_batch(
        master=served.world / "master.parquet",
        requests=requests,
        letter=served.world / "letter.toml",
        out_dir=tmp_path / "fresh-out",
        workspace=fresh,
        mapping=mapping,
    )
    assert done["outcomes"] == uninterrupted.summary()["outcomes"]
    response = workspace / "batches" / batch_id / "output" / "response.csv"
    assert response.read_bytes() == (tmp_path / "fresh-out" / "response.csv").read_bytes()
    with Ledger.open(workspace, read_only=True) as ledger:
        assert ledger.verify().ok
        received = [
            entry
            for entry in ledger.entries()
            if entry.kind == EntryKind.BATCH_RECEIVED
            and json.loads(entry.payload)["batch_id"] == batch_id
        ]
    assert [entry.actor for entry in received] == ["Rita Requester"]


def _settle(workspace: Path, batch_id: str) -> None:
    """The batch's pending rows settled (as the review would), so its response is final."""
    summary = workspace / "batches" / batch_id / "output" / "summary.json"
    settled = json.loads(summary.read_text(encoding="utf-8"))
    settled["outcomes"]["no_match"] += settled["outcomes"].pop("needs_review")
    settled["outcomes"]["needs_review"] = 0
    summary.write_text(json.dumps(settled), encoding="utf-8")


def test_the_page_offers_the_response_once_final_to_its_agency_only(
    served: Served, tmp_path: Path
) -> None:
    workspace = _copy(served, tmp_path)
    # The copy's access log holds what earlier tests read in the served workspace.
    earlier = len(_downloads(workspace))
    page_url = f"/batches/{served.batch_id}"
    with _client(served, workspace) as client:
        pending = client.get(page_url, headers=served.auth("requester")).text
        assert "download-response" not in pending
        assert 'id="response-not-final"' in pending
    _settle(workspace, served.batch_id)
    with _client(served, workspace) as client:
        page = client.get(page_url, headers=served.auth("requester")).text
        link = f'href="/api/batches/{served.batch_id}/response.csv"'
        assert 'id="download-response"' in page and link in page
        fetched = client.get(
            f"/api/batches/{served.batch_id}/response.csv", headers=served.auth("requester")
        )
        assert fetched.status_code == 200
        assert len(fetched.text.splitlines()) == REQUESTS + 1
        assert _downloads(workspace)[earlier:] == [
            (served.name("requester"), "allowed", served.batch_id)
        ]
        # Another agency's requester: no page, no file; the admin: no link, no file.
        other = served.auth("other_requester")
        assert client.get(page_url, headers=other).status_code == 404
        assert (
            client.get(f"/api/batches/{served.batch_id}/response.csv", headers=other).status_code
            == 404
        )
        admin = client.get(page_url, headers=served.auth("admin")).text
        assert "download-response" not in admin
        admin_file = client.get(
            f"/api/batches/{served.batch_id}/response.csv", headers=served.auth("admin")
        )
        assert admin_file.status_code == 403
    # One download shown; the other agency's and the admin's tries are on record as denied.
    downloads = _downloads(workspace)[earlier:]
    assert [d for d in downloads if d[1] == "allowed"] == [
        (served.name("requester"), "allowed", served.batch_id)
    ]
    assert {(d[0], d[1]) for d in downloads if d[1] != "allowed"} == {
        (served.name("other_requester"), "denied"),
        (served.name("admin"), "denied"),
    }


def _downloads(workspace: Path) -> list[tuple[str, str, str | None]]:
    with AccessLog.open(workspace, read_only=True) as log:
        return [
            (r.user_name, r.outcome, r.batch_id)
            for r in log.records()
            if r.what == "response_download"
        ]


def test_a_batch_run_from_the_command_line_is_listed_and_reviewable(
    served: Served, tmp_path: Path
) -> None:
    workspace = _copy(served, tmp_path)
    out = tmp_path / "office-out"
    result = run_batch(
        master=served.world / "master.parquet",
        requests=served.world / "requests.csv",
        mapping=_mapping(served, tmp_path),
        letter=served.world / "letter.toml",
        out_dir=out,
        workspace=workspace,
        actor="office clerk",
    )
    assert result.rows_pending_review > 0
    assert not (workspace / "batches" / result.batch_id / "output").exists()
    with _client(served, workspace) as client:
        listed = {
            b["batch_id"]: b for b in client.get("/api/batches", headers=served.auth()).json()
        }
        batch = listed[result.batch_id]
        assert batch["complete"] is True and batch["progress"] is None
        assert batch["agency"] == "Department of Homeland Security"
        assert batch["outcomes"] == result.summary()["outcomes"]
        # Its letter's agency's requester sees it; another agency's does not.
        own = client.get("/api/batches", headers=served.auth("requester")).json()
        assert result.batch_id in {b["batch_id"] for b in own}
        other = client.get("/api/batches", headers=served.auth("other_requester")).json()
        assert result.batch_id not in {b["batch_id"] for b in other}
        assert (
            client.get(
                f"/batches/{result.batch_id}", headers=served.auth("other_requester")
            ).status_code
            == 404
        )
        # Its page shows its rows to review, and they are in the review queue.
        with (out / "internal" / "decisions.csv").open(encoding="utf-8", newline="") as stream:
            rows = list(csv.DictReader(stream))
        flagged = [r for r in rows if r["outcome"] in {"needs_review", "ambiguous"}]
        pending_rows = [r for r in rows if r["outcome"] == "needs_review"]
        page = client.get(f"/batches/{result.batch_id}", headers=served.auth()).text
        assert "no finished output" not in page
        assert f"Rows to review ({len(flagged)})" in page
        assert f'href="/batches/{result.batch_id}/rows/{flagged[0]["row_number"]}"' in page
        queue = client.get(
            "/api/review/queue",
            params={"batch_id": result.batch_id, "page_size": 200},
            headers=served.auth(),
        ).json()
        queued = {item["row_number"] for item in queue["items"]}
        assert queued == {int(r["row_number"]) for r in pending_rows}
        review = client.get("/review", headers=served.auth()).text
        assert result.batch_id in review
        # Not final: no file for anybody yet.
        pending = client.get(
            f"/api/batches/{result.batch_id}/response.csv", headers=served.auth("requester")
        )
        assert pending.status_code == 409
