"""``$MATCHGATE_MASTER_CACHE``: a master prepared before from the same content under the same
key is copied into a new workspace instead of being prepared again; an entry filed under
another key, made from other content, or failing the workspace's own integrity check is
not used (the master is prepared as if there were no cache)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest

import matchgate.master.build as build_module
from matchgate.batch.workspace import file_sha256
from matchgate.master import open_prepared, prepare
from matchgate.master.cache import MASTER_CACHE_ENV
from matchgate.master.store import DATABASE_NAME, MANIFEST_NAME, current_key, master_key
from matchgate.synth import generate_world

Rows = Callable[[duckdb.DuckDBPyConnection, str], list[tuple[object, ...]]]


@pytest.fixture(scope="module")
def other_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    world = tmp_path_factory.mktemp("master-cache-other")
    generate_world(world, people=120, requests=10, seed=5)
    return world


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(MASTER_CACHE_ENV, str(folder))
    return folder


@pytest.fixture
def preparations(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The master files really prepared (not copied from the cache) during the test."""
    prepared: list[Path] = []
    original = build_module._prepare_into

    def counted(build: Path, workspace: Path, master_file: Path, **kwargs: Any) -> Any:
        prepared.append(master_file)
        return original(build, workspace, master_file, **kwargs)

    monkeypatch.setattr(build_module, "_prepare_into", counted)
    return prepared


def _tables(database: Path, rows_of: Rows) -> dict[str, list[tuple[object, ...]]]:
    con = duckdb.connect(str(database), read_only=True)
    try:
        names = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
        return {name: rows_of(con, name) for name in sorted(names)}
    finally:
        con.close()


def test_a_second_workspace_copies_the_cached_master(
    small_world: Path, tmp_path: Path, cache: Path, preparations: list[Path], rows_of: Rows
) -> None:
    master = small_world / "master.parquet"
    first = prepare(master, tmp_path / "ws-1")
    assert preparations == [master]
    assert (cache / first.key / DATABASE_NAME).is_file()
    # The same content at another path, in a fresh workspace.
    moved = tmp_path / "elsewhere" / "master.parquet"
    moved.parent.mkdir()
    shutil.copyfile(master, moved)
    second = prepare(moved, tmp_path / "ws-2")
    assert preparations == [master], "the second workspace prepared again"
    assert second.key == first.key
    assert second.folder == tmp_path / "ws-2" / "master" / first.key
    assert current_key(tmp_path / "ws-2") == first.key
    assert second.report()["path"] == str(moved)
    assert second.taxpayers == first.taxpayers == 300
    assert _tables(second.database, rows_of) == _tables(first.database, rows_of)
    # A copy, not a link: the workspace's database is its own file.
    assert second.database.stat().st_ino != (cache / first.key / DATABASE_NAME).stat().st_ino
    assert not (second.folder / "model.json").exists()


def _file_under_other_key(cache: Path, source_key: str, key: str) -> None:
    shutil.copytree(cache / source_key, cache / key)


def test_a_cached_master_filed_under_another_key_is_not_used(
    small_world: Path,
    other_world: Path,
    tmp_path: Path,
    cache: Path,
    preparations: list[Path],
    rows_of: Rows,
) -> None:
    small = prepare(small_world / "master.parquet", tmp_path / "ws-small")
    other_master = other_world / "master.parquet"
    other_key = master_key(file_sha256(other_master))
    # The small world's master, filed where the other world's would be.
    _file_under_other_key(cache, small.key, other_key)
    other = prepare(other_master, tmp_path / "ws-other")
    assert preparations == [small_world / "master.parquet", other_master]
    assert other.key == other_key
    assert other.taxpayers != small.taxpayers
    assert not any((tmp_path / "ws-other" / "master").glob(".build-*"))
    # ... even when its manifest is made to name that key: its content hash is another's.
    shutil.rmtree(cache / other_key)
    _file_under_other_key(cache, small.key, other_key)
    manifest_path = cache / other_key / MANIFEST_NAME
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["key"] = other_key
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    again = prepare(other_master, tmp_path / "ws-other-2")
    assert preparations[-1] == other_master and len(preparations) == 3
    assert _tables(again.database, rows_of) == _tables(other.database, rows_of)


def test_a_cached_master_failing_its_check_is_not_used(
    small_world: Path, tmp_path: Path, cache: Path, preparations: list[Path]
) -> None:
    master = small_world / "master.parquet"
    first = prepare(master, tmp_path / "ws-1")
    # A row lost from the cached database: its manifest's counts no longer hold.
    con = duckdb.connect(str(cache / first.key / DATABASE_NAME))
    con.execute(
        "DELETE FROM taxpayer_features WHERE rowid = (SELECT min(rowid) FROM taxpayer_features)"
    )
    con.close()
    second = prepare(master, tmp_path / "ws-2")
    assert preparations == [master, master]
    assert open_prepared(second.folder).taxpayers == 300
    con = duckdb.connect(str(second.database), read_only=True)
    assert con.execute("SELECT count(*) FROM taxpayer_features").fetchone() == (300,)
    con.close()
    # A database that is not one at all.
    (cache / first.key / DATABASE_NAME).write_bytes(b"not a database")
    prepare(master, tmp_path / "ws-3")
    assert preparations == [master, master, master]


def test_force_prepares_and_no_cache_keeps_nothing(
    small_world: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, preparations: list[Path]
) -> None:
    master = small_world / "master.parquet"
    monkeypatch.setenv(MASTER_CACHE_ENV, str(tmp_path / "cache"))
    prepare(master, tmp_path / "ws-1")
    prepare(master, tmp_path / "ws-2", force=True)
    assert preparations == [master, master]
    monkeypatch.delenv(MASTER_CACHE_ENV)
    prepare(master, tmp_path / "ws-3")
    assert preparations == [master, master, master]
    monkeypatch.setenv(MASTER_CACHE_ENV, "")
    prepare(master, tmp_path / "ws-4")
    assert len(preparations) == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "cache", "ws-1", "ws-2", "ws-3", "ws-4"
    ]  # fmt: skip
