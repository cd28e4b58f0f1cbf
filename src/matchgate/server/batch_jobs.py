"""Uploads as background jobs: the pipeline runs in a thread, its progress in the batch folder.

    WORKSPACE/batches/<batch_id>/job.json   state, the pipeline's own counts, the error

The counts are the pipeline's progress callback (:data:`matchgate.batch.stages.Progress`,
the one the CLI's progress bar draws), written to ``job.json`` at most a few times a second
and at every change of stage. Nothing counts rows a second time.

A job is ``queued`` (waiting for one of :data:`MAX_RUNNING` slots), ``running``,
``finished`` or ``failed`` (with ``{"error", "message"}`` as the API answers errors: no
server path, no engine message). A job recorded as running whose process is gone, or is
this process without the job's thread, was cut off (the server stopped mid-job): it shows
as ``interrupted`` and :func:`resume_interrupted` (run when the server starts) runs it
again. The pipeline is resumable, so the run goes on after the last durable chunk and
records nothing twice (the ledger's idempotency keys).

One server process runs a batch's job; several server processes on one workspace would
each resume a cut-off job at start (the batch lock lets one run it, the other's record
says it failed) - run one.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from matchgate.errors import MatchgateError
from matchgate.server.error_handlers import public_message, status_code_for

__all__ = [
    "JOB_FILE",
    "MAX_RUNNING",
    "JobProgress",
    "JobRunner",
    "read_job",
    "resume_interrupted",
]

logger = logging.getLogger("matchgate.server")

JOB_FILE = "job.json"
MAX_RUNNING = 1  # batches at once; more wait as "queued" (a batch already uses the cores)
_WRITE_EVERY = 0.25  # seconds between progress writes within one stage
_UNEXPECTED = "internal error: the server log has the details (please report it)"

_SLOTS = threading.BoundedSemaphore(MAX_RUNNING)
_RUNNING: dict[str, threading.Event] = {}
_RUNNING_GUARD = threading.Lock()

# The pipeline's stage names (matchgate.batch.stages) -> the count they report.
_COUNTS = {
    "intake": "rows_read",
    "review": "rows_reviewed",
    "matching": "rows_matched",
    "writing files": "rows_written",
}


_COUNT_FIELDS = (*_COUNTS.values(), "rows_to_match")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _write(path: Path, record: dict[str, Any]) -> None:
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(record, indent=2, sort_keys=True), encoding="utf-8")
    temporary.replace(path)


def _alive(record: dict[str, Any], batch_id: str) -> bool:
    """Whether the process that runs the job is still running it: this process when its
    thread is registered; another one (a second server process) while it exists. A server
    restarted under its old process id (pid 1 in a container) is this process, without the
    thread: the job was cut off."""
    pid = record.get("pid")
    if pid == os.getpid() or not isinstance(pid, int) or pid <= 0:
        with _RUNNING_GUARD:
            return batch_id in _RUNNING
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_job(folder: Path) -> dict[str, Any] | None:
    """The batch's job record (None for a batch no upload started: one run by ``matchgate
    run``), with ``interrupted`` for a running job that nobody runs any more."""
    path = folder / JOB_FILE
    if not path.is_file():
        return None
    try:
        record: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # half written by a process that died: the next write replaces it
    if record.get("state") in {"queued", "running"} and not _alive(record, folder.name):
        record["state"] = "interrupted"
    return record


class JobProgress:
    """The pipeline's progress callback for one job: its counts into ``job.json``."""

    def __init__(self, path: Path, record: dict[str, Any]) -> None:
        self._path = path
        self._record = record
        self._written = 0.0

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        record = self._record
        changed = record.get("stage") != stage
        record["stage"] = stage
        count = _COUNTS.get(stage)
        if count is not None:
            record[count] = done
            if stage == "matching" and total is not None:
                record["rows_to_match"] = total
        now = time.monotonic()
        # Written at every change of stage, at a stage's last count, else a few times a second.
        last = total is not None and done >= total
        if changed or last or now - self._written >= _WRITE_EVERY:
            self.save()
            self._written = now

    def update(self, **values: Any) -> None:
        self._record.update(values)
        self.save()

    def save(self) -> None:
        self._record["updated_at"] = _now()
        _write(self._path, self._record)


def _error_body(error: BaseException) -> tuple[dict[str, str], int]:
    """A failure as the API answers it: the kind and a sentence with no server path, and
    the status the API gives it."""
    if isinstance(error, MatchgateError):
        message = public_message(error)
        if message is not None:
            return {"error": type(error).__name__, "message": message}, status_code_for(error)
    return {"error": "InternalError", "message": _UNEXPECTED}, 500


@dataclass(frozen=True)
class JobRunner:
    """Starts a batch's job in a thread: ``run(progress)`` is the pipeline run itself; it
    returns the finished batch's row counts (``rows_read``, ``rows_written``)."""

    folder: Path

    def start(
        self,
        run: Callable[[JobProgress], dict[str, int]],
        *,
        submitted_by: str,
        uploads: dict[str, str],
    ) -> bool:
        """Start the job unless this process runs it already (then False)."""
        batch_id = self.folder.name
        done = threading.Event()
        with _RUNNING_GUARD:
            if batch_id in _RUNNING:
                return False
            _RUNNING[batch_id] = done
        # A job run again (cut off, failed, or the same files uploaded again) starts from
        # the counts it had: the stages already done are skipped and report nothing anew.
        before = read_job(self.folder) or {}
        record: dict[str, Any] = {
            **{name: before[name] for name in _COUNT_FIELDS if isinstance(before.get(name), int)},
            "state": "queued",
            "stage": "",
            "submitted_by": submitted_by,
            "pid": os.getpid(),
            "uploads": uploads,
            "started_at": _now(),
            "error": None,
        }
        progress = JobProgress(self.folder / JOB_FILE, record)
        try:
            progress.save()
        except OSError:
            with _RUNNING_GUARD:
                _RUNNING.pop(batch_id, None)
            raise
        thread = threading.Thread(
            target=_run_job, args=(batch_id, run, progress, done), name=f"batch-{batch_id}"
        )
        thread.daemon = True
        thread.start()
        return True

    @staticmethod
    def wait(batch_id: str, seconds: float) -> None:
        """Wait up to ``seconds`` for this process's job of the batch to end."""
        with _RUNNING_GUARD:
            done = _RUNNING.get(batch_id)
        if done is not None and seconds > 0:
            done.wait(seconds)


def _run_job(
    batch_id: str,
    run: Callable[[JobProgress], dict[str, int]],
    progress: JobProgress,
    done: threading.Event,
) -> None:
    try:
        with _SLOTS:
            progress.update(state="running")
            try:
                counts = run(progress)
            except Exception as exc:  # every failure becomes the job's recorded error
                logger.warning("batch %s failed", batch_id, exc_info=True)
                body, status = _error_body(exc)
                progress.update(state="failed", error=body, status=status)
            else:
                progress.update(state="finished", stage="done", **counts)
    except OSError:
        logger.exception("batch %s: the job record cannot be written", batch_id)
    finally:
        with _RUNNING_GUARD:
            _RUNNING.pop(batch_id, None)
        done.set()


def resume_interrupted(root: Path, start: Callable[[str, dict[str, Any]], None]) -> list[str]:
    """Start again every job of ``root`` (the workspace's ``batches`` folder) that was cut
    off; ``start(batch_id, record)`` starts one. Returns the batch ids started."""
    if not root.is_dir():
        return []
    started = []
    for folder in sorted(root.iterdir()):
        record = read_job(folder) if folder.is_dir() else None
        if record is not None and record.get("state") == "interrupted":
            start(folder.name, record)
            started.append(folder.name)
    return started
