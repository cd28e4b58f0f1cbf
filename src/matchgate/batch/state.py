"""Which stages of a batch are finished, recorded in the batch's own DuckDB file.

A stage is marked done in the same database that holds its results, after they are
written, so after a crash a stage is either done with its results or redone from the
start of its unfinished chunk. Running a batch again skips what is done.
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from typing import IO, Any

import duckdb

from matchgate import sql
from matchgate.errors import WorkspaceError

__all__ = ["BatchLock", "BatchStages"]

_CREATE_STAGES = "CREATE TABLE IF NOT EXISTS batch_stages (stage VARCHAR PRIMARY KEY, info VARCHAR)"
_STAGE_INFO = "SELECT info FROM batch_stages WHERE stage = ?"
_MARK_STAGE = "INSERT OR REPLACE INTO batch_stages VALUES (?, ?)"
_CLEAR_STAGE = "DELETE FROM batch_stages WHERE stage = ?"


class BatchStages:
    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con
        try:
            sql.run(con, _CREATE_STAGES, label="state.create")
        except duckdb.Error as exc:
            raise WorkspaceError(f"the batch database is unusable ({exc})") from exc

    def info(self, stage: str) -> dict[str, Any] | None:
        row = sql.fetch_one(self._con, _STAGE_INFO, [stage], label="state.info")
        return json.loads(row[0]) if row else None

    def done(self, stage: str) -> bool:
        return self.info(stage) is not None

    def mark(self, stage: str, info: dict[str, Any] | None = None) -> None:
        sql.run(
            self._con,
            _MARK_STAGE,
            [stage, json.dumps(info or {}, sort_keys=True)],
            label="state.mark",
        )
        sql.run(self._con, "CHECKPOINT", label="state.checkpoint")

    def clear(self, stage: str) -> None:
        sql.run(self._con, _CLEAR_STAGE, [stage], label="state.clear")


class BatchLock:
    """An exclusive lock on one batch folder; the OS releases it if the process dies."""

    def __init__(self, folder: Path) -> None:
        self._path = folder / "lock"
        self._stream: IO[str] | None = None

    def __enter__(self) -> BatchLock:
        stream = self._path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(stream.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            stream.close()
            raise WorkspaceError(
                "another matchgate process is running this batch", path=self._path.parent
            ) from exc
        stream.seek(0)
        stream.truncate()
        stream.write(str(os.getpid()))
        stream.flush()
        self._stream = stream
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._stream is not None:
            fcntl.flock(self._stream.fileno(), fcntl.LOCK_UN)
            self._stream.close()
            self._stream = None
