"""Copy a workspace that a live app (or ``matchgate serve``) still has open.

``shutil.copytree`` opens and closes each file. For a SQLite database that this process
has open, closing any other descriptor of the file drops every POSIX lock the process holds
on it (SQLite's "How To Corrupt An SQLite Database File", 2.2). Another process (a
``matchgate serve`` started by a test) then believes it is the database's last user and, on
closing, checkpoints and removes the WAL under this process's open connections: later
statements fail with "disk I/O error". So SQLite files (and their -wal and -shm) are never
copied as files here: each database is copied through SQLite's backup API, which sees
the committed data, WAL included, and keeps the locks.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

_SQLITE_SUFFIXES = (".sqlite", ".sqlite-wal", ".sqlite-shm", ".sqlite-journal")

Ignore = Callable[[str, list[str]], set[str]]


def copy_workspace(source: Path, target: Path, *, ignore: Ignore | None = None) -> None:
    """``shutil.copytree(source, target, ignore=ignore)`` with every ``*.sqlite`` database
    copied by SQLite's backup API instead of as bytes."""
    databases: list[Path] = []

    def skip(folder: str, names: list[str]) -> set[str]:
        skipped = set(ignore(folder, names)) if ignore is not None else set()
        for name in names:
            if name in skipped:
                continue
            if name.endswith(_SQLITE_SUFFIXES):
                skipped.add(name)
                if name.endswith(".sqlite"):
                    databases.append(Path(folder) / name)
        return skipped

    shutil.copytree(source, target, ignore=skip)
    for database in databases:
        copied = target / database.relative_to(source)
        with sqlite3.connect(database) as origin, sqlite3.connect(copied) as copy:
            origin.backup(copy)
        origin.close()
        copy.close()
