"""The workspace folder: batch databases, the ledger, the ledger's public key, the model.

WORKSPACE/
  batches/<batch_id>/batch.duckdb   staging tables of one batch
  batches/<batch_id>/output.json    where ``run`` wrote the batch's output files (so the
                                    server finds a batch run from the command line)
  batches/<batch_id>/input/letter.toml  the batch's letter (its agency: the agency wall)
  ledger.sqlite                     the ledger (unless a database URL is configured)
  ledger.pub                        the ledger's Ed25519 public key
The ledger's private key is NOT here: it is --key-file / MATCHGATE_LEDGER_KEY, else
~/.config/matchgate/keys/ledger-<sha256 of ledger.pub>.key (matchgate.ledger.key_directory).
  master/<key>/                     the prepared master (matchgate.master) and the match
                                    model trained against it, shared by every batch
  model.json                        a match model given with --model (older workspaces)
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from matchgate import sql
from matchgate.errors import WorkspaceError

__all__ = ["OUTPUT_RECORD", "Workspace", "connect_duckdb", "file_sha256"]

OUTPUT_RECORD = "output.json"


def connect_duckdb(path: Path | str = ":memory:") -> duckdb.DuckDBPyConnection:
    """A DuckDB connection as matchgate uses it: no progress bar of DuckDB's own on the
    terminal (matchgate draws its own), temporary files beside the database."""
    con = duckdb.connect(str(path))
    sql.run(con, "SET enable_progress_bar = false", label="workspace.connect")
    return con


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class Workspace:
    root: Path

    @classmethod
    def open(cls, root: Path) -> Workspace:
        try:
            root.mkdir(parents=True, exist_ok=True)
            (root / "batches").mkdir(exist_ok=True)
        except OSError as exc:
            raise WorkspaceError(f"cannot create the workspace ({exc})", path=root) from exc
        if not root.is_dir():
            raise WorkspaceError("the workspace is not a folder", path=root)
        return cls(root=root)

    @property
    def model_path(self) -> Path:
        return self.root / "model.json"

    def batch_id(
        self,
        requests: Path,
        letter: Path | None,
        policy: Path | None,
        *,
        mapping: Path | None = None,
        master: Path | None = None,
    ) -> str:
        """The same files give the same batch id, so running a batch again is recognised.

        With ``master`` (a master file or a prepared master's folder) the prepared master's
        key is part of the id: the same request file against a changed master, or one
        prepared by another standardizer, is a new batch, not the old answers again."""
        digest = hashlib.sha256()
        for path in (requests, letter, policy):
            digest.update(file_sha256(path).encode() if path else b"-")
            digest.update(b"|")
        # The column mapping decides what each column means: the same file read with another
        # mapping is another batch. Without one the id is what it always was.
        if mapping is not None:
            digest.update(b"mapping:" + file_sha256(mapping).encode() + b"|")
        if master is not None:
            from matchgate.master import locate

            key, _ = locate(master, self.root)
            digest.update(f"master:{key}".encode())
        return digest.hexdigest()[:20]

    def batch_folder(self, batch_id: str) -> Path:
        folder = self.root / "batches" / batch_id
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def batch_database(self, batch_id: str) -> duckdb.DuckDBPyConnection:
        path = self.batch_folder(batch_id) / "batch.duckdb"
        try:
            return connect_duckdb(path)
        except duckdb.Error as exc:
            raise WorkspaceError(
                f"the batch database is corrupted or locked ({exc}); remove the folder "
                f"{path.parent} to start this batch over",
                path=path,
            ) from exc

    def record_output(self, batch_id: str, out_dir: Path, letter: Path) -> None:
        """Record where a finished batch's output files are, and keep its letter with it, so
        the server lists a batch run from the command line (``run --workspace WS --out OUT``)
        like an uploaded one, behind its letter's agency's wall."""
        folder = self.batch_folder(batch_id)
        inputs = folder / "input"
        try:
            inputs.mkdir(exist_ok=True)
            if not (inputs / "letter.toml").exists():
                shutil.copyfile(letter, inputs / "letter.toml")
            record = folder / OUTPUT_RECORD
            temporary = record.with_suffix(".json.tmp")
            # Within the batch's folder (a server's upload) the record is relative, so a
            # workspace moved or copied whole still finds its batches' files.
            where = out_dir.resolve()
            if where.is_relative_to(folder.resolve()):
                where = where.relative_to(folder.resolve())
            text = json.dumps({"out_dir": str(where)}, indent=2)
            temporary.write_text(text + "\n", encoding="utf-8")
            temporary.replace(record)
        except OSError as exc:
            raise WorkspaceError(
                f"cannot record the batch's output folder ({exc})", path=folder
            ) from exc

    def output_dir(self, batch_id: str) -> Path | None:
        """The output folder recorded for a finished batch (None: none recorded)."""
        record = self.root / "batches" / batch_id / OUTPUT_RECORD
        if not record.is_file():
            return None
        try:
            data = json.loads(record.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise WorkspaceError(
                f"the batch's output record cannot be read ({exc})", path=record
            ) from exc
        out_dir = data.get("out_dir") if isinstance(data, dict) else None
        if not isinstance(out_dir, str) or not out_dir:
            return None
        return record.parent / out_dir  # an absolute path stays itself
