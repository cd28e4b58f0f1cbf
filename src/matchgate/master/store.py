"""Where a prepared master lives in the workspace, and how a batch finds and opens it.

WORKSPACE/master/
  <key>/master.duckdb     the prepared tables (written once, then only read)
  <key>/manifest.json     what was prepared: sources, counts, versions, when
  <key>/model.json        the match model trained against this prepared master
  <key>/predict-*.json    Splink's predict SQL as batches recorded it, one file per
                          settings and inputs (``matchgate.match.predict_sql``)
  current                 the key of the master prepared or extended last
  .lock                   held while a master is being prepared

``<key>`` is ``<sha256 of the master file, 16 hex>-s<STANDARDIZER_VERSION>-<fingerprint, 8
hex>``; a master extended by ``add-year`` hashes the hashes of all its files in order. A
batch's database ATTACHes ``master.duckdb`` READ_ONLY and reads it through temporary views of
the same names the matcher always used (``taxpayer_features``, ``mk_address``, ...), so
nothing of the master is copied into the batch.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from matchgate import sql
from matchgate.batch.workspace import file_sha256
from matchgate.errors import MasterFileError, WorkspaceError
from matchgate.master.version import (
    FEATURES_VERSION,
    STANDARDIZER_VERSION,
    standardizer_fingerprint,
)

__all__ = [
    "MANIFEST_FORMAT",
    "POINT_READ_INDEXES",
    "ROW_FETCHED_TABLES",
    "STORAGE_VERSION",
    "UNCOMPRESSED_STRING_METHODS",
    "PreparedMaster",
    "PreparedMasterError",
    "attach_prepared",
    "master_key",
    "master_root",
    "open_prepared",
    "prepared_masters",
]

logger = logging.getLogger(__name__)

MANIFEST_FORMAT = 1
# How the prepared tables are laid out on disk (part of the key, checked on opening):
# 1 unordered and unindexed; 2 every table a look-up reads by key stored in key order with
# an ART index on that key (:data:`POINT_READ_INDEXES`), so a look-up reads its own rows
# only; 3 the key tables of the rules that intersect two keys hold the two together
# (``mk_name``: first-name form and surname part; ``mk_zip_surname``: ZIP and surname part;
# instead of ``mk_first_form``, ``mk_zip`` and ``mk_surname_part``), so a look-up reads the
# intersection only, and the tables of :data:`ROW_FETCHED_TABLES` store their strings
# uncompressed. A master of an older layout is prepared again (its key differs).
STORAGE_VERSION = 3
# table -> the columns a look-up reads it by: one ART index each, the table stored ordered
# by the first. The blocking rules (matchgate.match.blocking) join the request's keys with
# these columns, Splink's pruned inputs select the candidates' rows by ``unique_id``, the
# candidates' namesakes and addresses are read by ``tin``.
POINT_READ_INDEXES: dict[str, tuple[str, ...]] = {
    "taxpayer_features": ("unique_id",),
    "taxpayer_addresses": ("tin",),
    "taxpayer_namesakes": ("tin",),
    "mk_person": ("tin", "tin_value", "dob"),
    **{
        table: ("key",)
        for table in (
            "mk_address",
            "mk_street",
            "mk_zip_surname",
            "mk_locator",
            "mk_city_locator",
            "mk_name",
            "mk_number_zip",
            "mk_dob_zip",
            "mk_number_city",
            "mk_name_edit",
            "mk_name_phonetic",
        )
    },
    "tf_master_first_name": ("first_name",),
    "tf_master_surname_joined": ("surname_joined",),
}
# The tables a look-up reads its candidates' rows from, row by row through the index (a
# few rows, each in another vector): stored with these compression methods off, strings
# uncompressed, since fetching one row of a compressed string column decodes its vector.
ROW_FETCHED_TABLES = ("taxpayer_features", "taxpayer_namesakes", "mk_person")
UNCOMPRESSED_STRING_METHODS = "fsst,dict_fsst,zstd,dictionary"
DATABASE_NAME = "master.duckdb"
MANIFEST_NAME = "manifest.json"
MODEL_NAME = "model.json"
ATTACHED_AS = "prepared_master"
# Tables of the prepared database that the batch does not read through a view.
_NOT_VIEWED_PREFIX = "tf_master_"


class PreparedMasterError(WorkspaceError):
    """A prepared master is missing, corrupt, or from another standardizer version."""


def master_root(workspace: Path) -> Path:
    return workspace / "master"


def version_suffix() -> str:
    """The part of a key that names the standardizer and feature versions."""
    return (
        f"s{STANDARDIZER_VERSION}.{FEATURES_VERSION}.{STORAGE_VERSION}"
        f"-{standardizer_fingerprint()[:8]}"
    )


def master_key(content_sha256: str) -> str:
    return f"{content_sha256[:16]}-{version_suffix()}"


def combined_sha256(source_hashes: list[str]) -> str:
    """The content hash of a master made of several files, in the order they were added."""
    if len(source_hashes) == 1:
        return source_hashes[0]
    return hashlib.sha256("|".join(source_hashes).encode()).hexdigest()


_HASHES: dict[tuple[str, int, int, int], str] = {}


def cached_file_sha256(path: Path) -> str:
    """SHA-256 of ``path`` (streamed), remembered in this process while the file's inode,
    size and modification time stay the same: a server answering look-ups hashes a large
    master once, not per look-up."""
    try:
        stat = path.stat()
    except OSError as exc:
        raise MasterFileError("file not found", path=path) from exc
    token = (str(path.resolve()), stat.st_ino, stat.st_size, stat.st_mtime_ns)
    if token not in _HASHES:
        _HASHES[token] = file_sha256(path)
    return _HASHES[token]


@dataclass(frozen=True)
class PreparedMaster:
    folder: Path
    manifest: dict[str, Any]

    @property
    def key(self) -> str:
        return str(self.manifest["key"])

    @property
    def database(self) -> Path:
        return self.folder / DATABASE_NAME

    @property
    def model_path(self) -> Path:
        return self.folder / MODEL_NAME

    @property
    def taxpayers(self) -> int:
        return int(self.manifest["taxpayers"])

    def report(self) -> dict[str, object]:
        """What the batch summary says of the master (as ``MasterReport.as_dict`` did)."""
        return {
            "path": ", ".join(str(s["path"]) for s in self.manifest["sources"]),
            "rows": int(self.manifest["rows"]),
            "taxpayers": self.taxpayers,
            "problems": dict(self.manifest["problems"]),
            "prepared": self.key,
        }

    def size_on_disk(self) -> int:
        """Bytes of the folder's files. A batch may be writing its predict recording here
        (a hidden temporary file, renamed or removed at any moment): a file gone between
        listing and reading counts for nothing rather than failing ``master status``."""
        total = 0
        try:
            paths = list(self.folder.iterdir())
        except FileNotFoundError:
            return 0  # the folder itself replaced by a re-preparation meanwhile
        for path in paths:
            try:
                if path.is_file():
                    total += path.stat().st_size
            except FileNotFoundError:
                continue
        return total


def _read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST_NAME
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PreparedMasterError(
            f"the prepared master's manifest cannot be read ({exc})", path=path
        ) from exc
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        raise PreparedMasterError("the prepared master's manifest is not one", path=path)
    return manifest


_OPENED: dict[tuple[object, ...], PreparedMaster] = {}


def _file_token(folder: Path) -> tuple[object, ...] | None:
    try:
        manifest = (folder / MANIFEST_NAME).stat()
        database = (folder / DATABASE_NAME).stat()
    except OSError:
        return None
    return (
        str(folder.resolve()),
        manifest.st_ino,
        manifest.st_mtime_ns,
        database.st_ino,
        database.st_size,
        database.st_mtime_ns,
    )


def open_prepared(folder: Path) -> PreparedMaster:
    """The prepared master in ``folder``, checked: manifest readable, built by this
    standardizer, database readable with every table holding the rows recorded.

    Checked once per process while its files stay as they were (a server's look-ups do not
    count the master's tables each time)."""
    token = _file_token(folder)
    if token is not None and token in _OPENED:
        return _OPENED[token]
    prepared = _checked(folder)
    if token is not None and token == _file_token(folder):
        _OPENED[token] = prepared
    return prepared


def _checked(folder: Path) -> PreparedMaster:
    manifest = _read_manifest(folder)
    expected = {
        "standardizer_version": STANDARDIZER_VERSION,
        "features_version": FEATURES_VERSION,
        "standardizer_fingerprint": standardizer_fingerprint(),
    }
    if manifest.get("storage_version", 1) != STORAGE_VERSION:
        raise PreparedMasterError(
            f"prepared in another storage layout (storage_version"
            f" {manifest.get('storage_version', 1)!r}, this matchgate reads"
            f" {STORAGE_VERSION!r}); prepare the master again",
            path=folder,
        )
    for name, value in expected.items():
        if manifest.get(name) != value:
            raise PreparedMasterError(
                f"prepared by another standardizer ({name} {manifest.get(name)!r}, this "
                f"matchgate has {value!r}); prepare the master again",
                path=folder,
            )
    database = folder / DATABASE_NAME
    if not database.is_file():
        raise PreparedMasterError("the prepared master's database is missing", path=database)
    try:
        con = duckdb.connect(str(database), read_only=True)
    except duckdb.Error as exc:
        raise PreparedMasterError(
            f"the prepared master's database is corrupt ({exc})", path=database
        ) from exc
    try:
        for table, rows in dict(manifest["tables"]).items():
            found = sql.fetch_int(con, f'SELECT count(*) FROM "{table}"', label="master.check")
            if found != int(rows):
                raise PreparedMasterError(
                    f"table {table} holds {found} rows, the manifest {rows}", path=database
                )
    except duckdb.Error as exc:
        raise PreparedMasterError(
            f"the prepared master's database is corrupt ({exc})", path=database
        ) from exc
    finally:
        con.close()
    return PreparedMaster(folder=folder, manifest=manifest)


def prepared_masters(workspace: Path) -> Iterator[tuple[Path, PreparedMaster | str]]:
    """Every prepared master's folder with the master, or why it cannot be used."""
    root = master_root(workspace)
    if not root.is_dir():
        return
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        try:
            yield folder, open_prepared(folder)
        except PreparedMasterError as exc:
            yield folder, exc.message


def current_key(workspace: Path) -> str | None:
    path = master_root(workspace) / "current"
    return path.read_text(encoding="utf-8").strip() or None if path.exists() else None


def set_current(workspace: Path, key: str) -> None:
    path = master_root(workspace) / "current"
    temporary = path.with_name(".current.tmp")
    temporary.write_text(key + "\n", encoding="utf-8")
    temporary.replace(path)


@contextmanager
def preparation_lock(workspace: Path) -> Iterator[None]:
    """One preparation at a time per workspace; a second process waits, then finds the
    master the first one prepared."""
    root = master_root(workspace)
    root.mkdir(parents=True, exist_ok=True)
    with (root / ".lock").open("a+", encoding="utf-8") as stream:
        fcntl.flock(stream.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(stream.fileno(), fcntl.LOCK_UN)


def _quoted(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def attach_prepared(con: duckdb.DuckDBPyConnection, prepared: PreparedMaster) -> None:
    """ATTACH the prepared master READ_ONLY to a batch's database and make each of its
    tables readable under its own name through a temporary view (nothing is copied; the
    views vanish with the connection)."""
    attached = sql.fetch_all(
        con,
        "SELECT path FROM duckdb_databases() WHERE database_name = ?",
        [ATTACHED_AS],
        label="master.attach",
    )
    if attached and Path(str(attached[0][0])) != prepared.database:
        sql.run(con, f"DETACH {ATTACHED_AS}", label="master.attach")
        attached = []
    if not attached:
        sql.run(
            con,
            f"ATTACH {_quoted(prepared.database)} AS {ATTACHED_AS} (READ_ONLY)",
            label="master.attach",
        )
    tables = sql.fetch_all(
        con,
        "SELECT table_name FROM duckdb_tables() WHERE database_name = ? ORDER BY table_name",
        [ATTACHED_AS],
        label="master.attach",
    )
    for (table,) in tables:
        if str(table).startswith(_NOT_VIEWED_PREFIX):
            continue
        sql.run(
            con,
            f'CREATE OR REPLACE TEMP VIEW "{table}" AS SELECT * FROM {ATTACHED_AS}."{table}"',
            label="master.attach",
        )


def folder_for(workspace: Path, key: str) -> Path:
    return master_root(workspace) / key


_REMOVE_ATTEMPTS = 5


def remove_folder(folder: Path) -> None:
    """Remove a prepared master's folder (files only: it holds no subfolders).

    A batch reading the master may write its predict recording into the folder meanwhile
    (``matchgate.match.predict_sql``: a temporary file, then a rename), so a file can appear
    after the folder was emptied or vanish before it is removed: the folder is emptied again
    until it can be removed, a few times, before the error is raised."""
    for attempt in range(_REMOVE_ATTEMPTS):
        try:
            for path in folder.iterdir():
                path.unlink(missing_ok=True)
            folder.rmdir()
            return
        except FileNotFoundError:
            return  # removed meanwhile (or never there): nothing left to remove
        except OSError as exc:
            if exc.errno != errno.ENOTEMPTY or attempt == _REMOVE_ATTEMPTS - 1:
                raise
        time.sleep(0.05 * (attempt + 1))


def new_build_folder(workspace: Path, key: str) -> Path:
    folder = master_root(workspace) / f".build-{key}-{os.getpid()}"
    remove_folder(folder)
    folder.mkdir(parents=True)
    return folder
