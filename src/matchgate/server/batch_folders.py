"""Batches of the workspace, as folders: uploaded ones and ones run with ``matchgate run``.

    WORKSPACE/batches/<batch_id>/
      batch.duckdb, lock           the pipeline's own files
      input/                       the uploaded request file, letter (and mapping); for a
                                   batch run from the command line, its letter
      job.json                     an upload's background job (:mod:`.batch_jobs`)
      output.json                  where the batch's output folder is (``run`` records it)
      output/response.csv          what goes back to the requester (an upload's output
      output/internal/decisions.csv, output/summary.json      folder; a CLI run's is its --out)

An upload runs as a background job (:mod:`matchgate.server.batch_jobs`); its files are kept
in ``input/`` first, so a job cut off by a restart runs again from them. The pipeline is
idempotent, so uploading the same files again returns the recorded batch without recording
it twice.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import duckdb

from matchgate import sql
from matchgate.batch.pipeline import BatchResult, run_batch
from matchgate.batch.stages import Progress
from matchgate.batch.workspace import Workspace
from matchgate.decisions import Outcome
from matchgate.errors import InputError, LetterError, WorkspaceError
from matchgate.review import load_letter
from matchgate.server.batch_jobs import JobProgress, JobRunner, read_job, resume_interrupted
from matchgate.server.errors import NotFoundError
from matchgate.server.settings import ServerSettings

__all__ = [
    "BatchFolders",
    "BatchSummary",
    "StagedUpload",
    "Upload",
    "resume_interrupted_jobs",
]

_BATCH_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,63}$")
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
_REQUEST_SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".parquet", ".pq", ".jsonl"}
_REQUEST_SUFFIXES |= {".ndjson", ".json"}
_LEDGER_DONE = "SELECT count(*) FROM batch_stages WHERE stage = 'ledger'"

# One lock per batch id in this process: a page never opens a batch database while the
# pipeline writes it (DuckDB refuses a second, differently configured connection).
_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def batch_lock(batch_id: str) -> threading.Lock:
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(batch_id, threading.Lock())


@dataclass(frozen=True, slots=True)
class Upload:
    """One uploaded file: the name the client gave and its content."""

    filename: str
    stream: BinaryIO


@dataclass(frozen=True, slots=True)
class StagedUpload:
    """An upload kept in its batch's ``input/`` folder, ready for its job."""

    batch_id: str
    requests: Path
    letter: Path
    mapping: Path | None
    client_names: dict[str, str]


@dataclass(frozen=True, slots=True)
class BatchSummary:
    """A batch folder as the API and the pages list it."""

    batch_id: str
    complete: bool
    agency: str = ""
    rows_in: int = 0
    rows_out: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    letter_outcome: str = ""
    letter_reason_codes: str = ""
    completed_at: str = ""
    job: dict[str, Any] | None = None  # an upload's job record (batch_jobs.read_job)

    @property
    def job_state(self) -> str:
        """``finished`` for any batch with output; else the upload job's state, or
        ``unknown`` (a batch run from the command line that has not finished)."""
        if self.complete:
            return "finished"
        return str(self.job.get("state", "unknown")) if self.job else "unknown"

    @property
    def response_final(self) -> bool:
        """Final when no row waits for a person's review; only a final response is released
        to the requester."""
        return self.outcomes.get("needs_review", 0) == 0

    @property
    def flagged(self) -> int:
        return self.outcomes.get("needs_review", 0) + self.outcomes.get("ambiguous", 0)


def _safe_request_name(filename: str) -> str:
    name = _UNSAFE_NAME.sub("_", Path(filename or "").name).strip("._") or "requests.csv"
    if Path(name).suffix.lower() not in _REQUEST_SUFFIXES:
        name += ".csv"
    return name[-120:]


@contextmanager
def _named_as_uploaded(paths: dict[str, Path], client_names: dict[str, str]) -> Iterator[None]:
    """Errors name the file as the client sent it, not the server's staging path."""
    try:
        yield
    except InputError as exc:
        for key, path in paths.items():
            if exc.path == str(path):
                shown = f"upload '{key}' ({Path(client_names[key]).name or key})"
                raise type(exc)(exc.message, path=shown, row=exc.row, field=exc.field) from exc
        raise


def _quiet(stage: str, done: int, total: int | None) -> None:
    return None


def _save(folder: Path, name: str, stream: BinaryIO) -> Path:
    path = folder / name
    with path.open("wb") as target:
        shutil.copyfileobj(stream, target, 1 << 20)
    return path


def resume_interrupted_jobs(settings: ServerSettings) -> list[str]:
    """Run again, in the background, every upload whose job the server was stopped in (when
    the server starts). The pipeline resumes after its last durable chunk; the ledger's
    idempotency keys keep what was recorded from being recorded twice."""
    batches = BatchFolders(
        workspace=settings.workspace,
        master=settings.master,
        policy=settings.policy,
        database_url=settings.ledger_url,
    )

    def start(batch_id: str, record: dict[str, Any]) -> None:
        batches.resume_job(
            batch_id, record, ledger_url=settings.ledger_url, ledger_key=settings.ledger_key
        )

    return resume_interrupted(settings.workspace / "batches", start)


class BatchFolders:
    """The batches of one workspace: run an upload, list them, find their files."""

    def __init__(
        self,
        *,
        workspace: Path,
        master: Path,
        policy: Path | None,
        database_url: str | None = None,
    ) -> None:
        self.workspace = workspace
        self.master = master
        self.policy = policy
        # The server's database (its agency registry); None: the workspace's files.
        self.database_url = database_url

    # -- finding ---------------------------------------------------------------------

    def folder(self, batch_id: str) -> Path:
        if not _BATCH_ID.match(batch_id):
            raise NotFoundError(f"no batch {batch_id!r} in this workspace")
        folder = self.workspace / "batches" / batch_id
        if not folder.is_dir():
            raise NotFoundError(f"no batch {batch_id!r} in this workspace")
        return folder

    def output_dir(self, batch_id: str) -> Path:
        """The batch's output folder: the one its run recorded (``matchgate run --workspace
        WS --out OUT`` records OUT), else the folder's own ``output/``."""
        folder = self.folder(batch_id)
        return Workspace(self.workspace).output_dir(batch_id) or folder / "output"

    def output_file(self, batch_id: str, relative: str) -> Path:
        path = self.output_dir(batch_id) / relative
        if not path.is_file():
            raise NotFoundError(
                f"batch {batch_id!r} has no {relative} here (not finished, or its output"
                " folder was moved)"
            )
        return path

    def response_path(self, batch_id: str) -> Path:
        """The requester's file, only once the ledger holds every entry of the batch."""
        path = self.output_file(batch_id, "response.csv")
        if not self._ledger_holds(batch_id):
            raise NotFoundError(
                f"batch {batch_id!r} has no response to hand out: the ledger does not hold"
                " all of its disclosures yet (run the batch again to finish it)"
            )
        return path

    def _ledger_holds(self, batch_id: str) -> bool:
        """Whether the batch's ledger stage is done: every entry committed
        (26 U.S.C. 6103(p)(3)(A): the accounting comes before the release)."""
        lock = batch_lock(batch_id)
        # A job running the batch holds the lock for minutes: not finished, so no answer.
        if not lock.acquire(timeout=2):
            return False
        try:
            with duckdb.connect(str(self.database_path(batch_id)), read_only=True) as con:
                done = sql.fetch_int(con, _LEDGER_DONE, label="batch_folders.ledger_done")
        except duckdb.Error:
            return False
        finally:
            lock.release()
        return bool(done)

    def decisions_path(self, batch_id: str) -> Path:
        return self.output_file(batch_id, "internal/decisions.csv")

    def database_path(self, batch_id: str) -> Path:
        return self.folder(batch_id) / "batch.duckdb"

    def summary(self, batch_id: str) -> BatchSummary:
        return self._read_summary(self.folder(batch_id))

    def list(self) -> list[BatchSummary]:
        """Every batch folder, newest finished first, unfinished ones last."""
        root = self.workspace / "batches"
        if not root.is_dir():
            return []
        summaries = [
            self._read_summary(folder)
            for folder in root.iterdir()
            if folder.is_dir() and _BATCH_ID.match(folder.name)
        ]
        return sorted(summaries, key=lambda s: (s.complete, s.completed_at), reverse=True)

    def _read_summary(self, folder: Path) -> BatchSummary:
        out_dir = Workspace(self.workspace).output_dir(folder.name) or folder / "output"
        path = out_dir / "summary.json"
        job = read_job(folder)
        # An upload is finished when its job is; a batch run from the command line when its
        # summary is written (its last file).
        if not path.is_file() or (job is not None and job.get("state") != "finished"):
            return BatchSummary(
                batch_id=folder.name, complete=False, agency=self._agency(folder), job=job
            )
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise WorkspaceError(f"the batch summary cannot be read ({exc})", path=path) from exc
        letter = data.get("letter") or {}
        completed = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        return BatchSummary(
            batch_id=folder.name,
            complete=True,
            agency=self._agency(folder),
            rows_in=int(data.get("rows_in", 0)),
            rows_out=int(data.get("rows_out", 0)),
            outcomes={o.value: int((data.get("outcomes") or {}).get(o.value, 0)) for o in Outcome},
            letter_outcome=str(letter.get("outcome", "")),
            letter_reason_codes=str(letter.get("reason_codes", "")),
            completed_at=completed.strftime("%Y-%m-%dT%H:%M:%SZ"),
            job=job,
        )

    @staticmethod
    def _agency(folder: Path) -> str:
        letter = folder / "input" / "letter.toml"
        if not letter.is_file():
            return ""
        try:
            return load_letter(letter).agency
        except LetterError:
            return ""

    # -- running ---------------------------------------------------------------------

    @contextmanager
    def _staged(self, uploads: dict[str, tuple[str, BinaryIO]]) -> Iterator[dict[str, Path]]:
        staging = self.workspace / "uploads" / uuid.uuid4().hex
        try:
            staging.mkdir(parents=True)
        except OSError as exc:
            raise WorkspaceError(f"cannot store the upload ({exc})", path=staging) from exc
        try:
            yield {key: _save(staging, name, stream) for key, (name, stream) in uploads.items()}
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def stage_upload(
        self, *, requests: Upload, letter: Upload, mapping: Upload | None = None
    ) -> StagedUpload:
        """Keep the uploaded files in their batch's ``input/`` folder (unless a first upload
        of the same files put them there already) and name the batch.

        A file whose batch id cannot even be computed leaves nothing behind."""
        uploads = {
            "requests": (_safe_request_name(requests.filename), requests.stream),
            "letter": ("letter.toml", letter.stream),
        }
        client_names = {"requests": requests.filename, "letter": letter.filename}
        if mapping is not None:
            uploads["mapping"] = ("mapping.toml", mapping.stream)
            client_names["mapping"] = mapping.filename
        with self._staged(uploads) as paths, _named_as_uploaded(paths, client_names):
            space = Workspace.open(self.workspace)
            batch_id = space.batch_id(
                paths["requests"],
                paths["letter"],
                self.policy,
                mapping=paths.get("mapping"),
                master=self.master,
            )
            inputs = space.batch_folder(batch_id) / "input"
            if not (inputs / paths["requests"].name).is_file():
                inputs.mkdir(exist_ok=True)
                for path in paths.values():
                    shutil.copy2(path, inputs / path.name)
        return StagedUpload(
            batch_id=batch_id,
            requests=inputs / paths["requests"].name,
            letter=inputs / "letter.toml",
            mapping=inputs / "mapping.toml" if mapping is not None else None,
            client_names=client_names,
        )

    def start_job(
        self,
        staged: StagedUpload,
        *,
        actor: str,
        ledger_url: str | None = None,
        ledger_key: Path | None = None,
    ) -> bool:
        """Run the staged batch in the background (False: this process runs it already)."""
        folder = self.folder(staged.batch_id)

        def run(progress: JobProgress) -> dict[str, int]:
            result = self.run_staged(
                staged, actor=actor, ledger_url=ledger_url, ledger_key=ledger_key, progress=progress
            )
            return {"rows_read": result.rows_in, "rows_written": result.rows_out}

        uploads = {key: Path(name).name for key, name in staged.client_names.items()}
        uploads["requests_file"] = staged.requests.name
        return JobRunner(folder).start(run, submitted_by=actor, uploads=uploads)

    def resume_job(
        self,
        batch_id: str,
        record: dict[str, Any],
        *,
        ledger_url: str | None = None,
        ledger_key: Path | None = None,
    ) -> bool:
        """Start again a job the server was stopped in, from its kept inputs, as the user
        who uploaded it."""
        inputs = self.folder(batch_id) / "input"
        uploads = dict(record.get("uploads") or {})
        requests = inputs / str(uploads.pop("requests_file", ""))
        if not requests.is_file() or not (inputs / "letter.toml").is_file():
            return False
        mapping = inputs / "mapping.toml"
        staged = StagedUpload(
            batch_id=batch_id,
            requests=requests,
            letter=inputs / "letter.toml",
            mapping=mapping if mapping.is_file() else None,
            client_names={str(k): str(v) for k, v in uploads.items()},
        )
        actor = str(record.get("submitted_by") or "matchgate-server")
        return self.start_job(staged, actor=actor, ledger_url=ledger_url, ledger_key=ledger_key)

    def run_staged(
        self,
        staged: StagedUpload,
        *,
        actor: str = "matchgate-server",
        ledger_url: str | None = None,
        ledger_key: Path | None = None,
        progress: Progress | None = None,
    ) -> BatchResult:
        """Run a staged batch through every stage (resuming where a cut-off run stopped)."""
        paths = {"requests": staged.requests, "letter": staged.letter}
        if staged.mapping is not None:
            paths["mapping"] = staged.mapping
        folder = self.workspace / "batches" / staged.batch_id
        with batch_lock(staged.batch_id), _named_as_uploaded(paths, staged.client_names):
            try:
                return self._run(staged, actor, ledger_url, ledger_key, progress or _quiet)
            except InputError:
                # A refused file keeps nothing of what was read from it: the failed job's
                # record and the files as uploaded stay (the batch page says why).
                for name in ("batch.duckdb", "batch.duckdb.wal"):
                    (folder / name).unlink(missing_ok=True)
                raise

    def _run(
        self,
        staged: StagedUpload,
        actor: str,
        ledger_url: str | None,
        ledger_key: Path | None,
        progress: Progress,
    ) -> BatchResult:
        folder = self.workspace / "batches" / staged.batch_id
        return run_batch(
            master=self.master,
            requests=staged.requests,
            letter=staged.letter,
            out_dir=folder / "output",
            workspace=self.workspace,
            policy_path=self.policy,
            mapping=staged.mapping,
            actor=actor,
            ledger_url=ledger_url,
            ledger_key=ledger_key,
            progress=progress,
            registry_url=ledger_url,  # the server's database holds its agency registry too
        )

    @contextmanager
    def staged_letter(self, text: str) -> Iterator[Path | None]:
        """A look-up letter sent as TOML text, as a file while the look-up runs (None when
        no text was sent: the letter is then named by its id)."""
        if not text:
            yield None
            return
        upload: dict[str, tuple[str, BinaryIO]] = {
            "letter": ("letter.toml", io.BytesIO(text.encode("utf-8")))
        }
        with self._staged(upload) as paths, _named_as_uploaded(paths, {"letter": "letter"}):
            yield paths["letter"]
