"""The job record of an upload (``job.json``): its states, its counts, its errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from matchgate.errors import InputError, WorkspaceError
from matchgate.server.batch_jobs import JOB_FILE, JobProgress, JobRunner, read_job


def _record(folder: Path, **values: object) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / JOB_FILE).write_text(json.dumps(values), encoding="utf-8")


def _dead_pid() -> int:
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(child.stdout)


def test_a_running_job_whose_process_is_gone_is_interrupted(tmp_path: Path) -> None:
    folder = tmp_path / "b1"
    _record(folder, state="running", pid=_dead_pid())
    assert read_job(folder)["state"] == "interrupted"  # type: ignore[index]
    # Restarted under the same process id (pid 1 in a container), without the job's thread.
    _record(folder, state="running", pid=os.getpid())
    assert read_job(folder)["state"] == "interrupted"  # type: ignore[index]
    # Another process that still exists (a second server process) is running it.
    _record(folder, state="queued", pid=os.getppid())
    assert read_job(folder)["state"] == "queued"  # type: ignore[index]
    _record(folder, state="failed", pid=_dead_pid())
    assert read_job(folder)["state"] == "failed"  # type: ignore[index]
    assert read_job(tmp_path / "none") is None
    (folder / JOB_FILE).write_text("{half", encoding="utf-8")
    assert read_job(folder) is None


def test_progress_keeps_the_pipelines_counts_by_stage(tmp_path: Path) -> None:
    path = tmp_path / JOB_FILE
    progress = JobProgress(path, {"state": "running"})
    progress("intake", 500, None)
    progress("master: reading the file", 0, None)
    progress("review", 500, 500)
    progress("matching", 120, 480)
    record = json.loads(path.read_text(encoding="utf-8"))
    assert record["rows_read"] == record["rows_reviewed"] == 500
    assert (record["rows_matched"], record["rows_to_match"]) == (120, 480)
    assert record["stage"] == "matching"


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            InputError("row 3: bad date", path="upload 'requests' (mine.csv)", field="dob"),
            ("InputError", "upload 'requests' (mine.csv)", 422),
        ),
        (
            WorkspaceError("locked", path="/srv/secret/workspace"),
            ("WorkspaceError", "the workspace cannot serve this request", 409),
        ),
        (RuntimeError("/srv/secret/boom"), ("InternalError", "internal error", 500)),
    ],
)
def test_a_failed_job_records_the_error_as_the_api_answers_it(
    tmp_path: Path, error: Exception, expected: tuple[str, str, int]
) -> None:
    folder = tmp_path / "b2"
    folder.mkdir()

    def run(progress: JobProgress) -> dict[str, int]:
        progress("intake", 7, None)
        raise error

    assert JobRunner(folder).start(run, submitted_by="Rita", uploads={})
    JobRunner.wait("b2", 30)
    record = read_job(folder)
    assert record is not None and record["state"] == "failed"
    kind, text, status = expected
    assert record["error"]["error"] == kind and text in record["error"]["message"]
    assert "/srv/secret" not in json.dumps(record["error"])
    assert record["status"] == status and record["rows_read"] == 7
    assert record["submitted_by"] == "Rita"


def test_a_job_running_in_this_process_is_not_started_twice(tmp_path: Path) -> None:
    import threading

    folder = tmp_path / "b3"
    folder.mkdir()
    release = threading.Event()

    def run(progress: JobProgress) -> dict[str, int]:
        release.wait(30)
        return {"rows_read": 1}

    runner = JobRunner(folder)
    assert runner.start(run, submitted_by="Rita", uploads={})
    assert not runner.start(run, submitted_by="Rita", uploads={})
    release.set()
    JobRunner.wait("b3", 30)
    record = read_job(folder)
    assert record is not None and record["state"] == "finished" and record["rows_read"] == 1
