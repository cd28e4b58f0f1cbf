"""``BatchStages``, ``BatchLock`` and the workspace: what is done, who runs, where it lives."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from matchgate.batch.state import BatchLock, BatchStages
from matchgate.batch.workspace import Workspace, connect_duckdb, file_sha256
from matchgate.errors import WorkspaceError


def test_stages_marked_done_survive_a_reopen(tmp_path: Path) -> None:
    path = tmp_path / "batch.duckdb"
    con = connect_duckdb(path)
    state = BatchStages(con)
    assert not state.done("intake") and state.info("intake") is None
    state.mark("intake", {"rows_in": 7})
    state.mark("review")
    con.close()
    state = BatchStages(connect_duckdb(path))
    assert state.info("intake") == {"rows_in": 7}
    assert state.info("review") == {}
    assert state.done("review") and not state.done("match")


def test_marking_again_replaces_and_clear_forgets(tmp_path: Path) -> None:
    state = BatchStages(connect_duckdb(tmp_path / "batch.duckdb"))
    state.mark("outputs", {"rows_out": 1})
    state.mark("outputs", {"rows_out": 2})
    assert state.info("outputs") == {"rows_out": 2}
    state.clear("outputs")
    assert not state.done("outputs")


def test_a_batch_database_that_is_not_one_is_a_workspace_error(tmp_path: Path) -> None:
    space = Workspace.open(tmp_path / "ws")
    database = space.batch_folder("abc") / "batch.duckdb"
    database.write_bytes(b"this is not a database" * 100)
    with pytest.raises(WorkspaceError) as caught:
        space.batch_database("abc")
    assert "remove the folder" in str(caught.value)
    assert caught.value.path == str(database)


def test_a_batch_database_that_cannot_be_written_is_a_workspace_error(tmp_path: Path) -> None:
    connect_duckdb(tmp_path / "batch.duckdb").close()
    con = duckdb.connect(str(tmp_path / "batch.duckdb"), read_only=True)
    with pytest.raises(WorkspaceError, match="unusable"):
        BatchStages(con)


def test_batch_lock_is_exclusive_and_released(tmp_path: Path) -> None:
    with BatchLock(tmp_path):
        assert (tmp_path / "lock").read_text().isdigit()
        with pytest.raises(WorkspaceError, match="another matchgate process"), BatchLock(tmp_path):
            pass
    with BatchLock(tmp_path):  # free again once the first holder left
        pass


def _file(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_batch_id_follows_the_content_of_the_files(tmp_path: Path) -> None:
    space = Workspace.open(tmp_path / "ws")
    requests = _file(tmp_path / "r.csv", "a\n1\n")
    letter = _file(tmp_path / "l.toml", "x = 1\n")
    policy = _file(tmp_path / "p.toml", "y = 2\n")
    first = space.batch_id(requests, letter, policy)
    assert len(first) == 20
    assert space.batch_id(_file(tmp_path / "copy.csv", "a\n1\n"), letter, policy) == first
    assert space.batch_id(requests, letter, None) != first
    assert space.batch_id(requests, None, None) != space.batch_id(requests, letter, None)
    _file(requests, "a\n2\n")
    assert space.batch_id(requests, letter, policy) != first


def test_the_column_mapping_is_part_of_the_batch_id(tmp_path: Path) -> None:
    space = Workspace.open(tmp_path / "ws")
    requests = _file(tmp_path / "r.csv", "a\n1\n")
    plain = space.batch_id(requests, None, None)
    assert space.batch_id(requests, None, None, mapping=None) == plain  # ids of old batches
    as_dob = space.batch_id(
        requests, None, None, mapping=_file(tmp_path / "m.toml", '[columns]\n"a" = "dob"\n')
    )
    ignored = space.batch_id(
        requests, None, None, mapping=_file(tmp_path / "n.toml", '[columns]\n"a" = "ignore"\n')
    )
    assert len({plain, as_dob, ignored}) == 3


def test_workspace_layout(tmp_path: Path) -> None:
    space = Workspace.open(tmp_path / "ws")
    assert (tmp_path / "ws" / "batches").is_dir()
    assert space.model_path == tmp_path / "ws" / "model.json"
    assert space.batch_folder("b1") == tmp_path / "ws" / "batches" / "b1"
    assert (tmp_path / "ws" / "batches" / "b1").is_dir()
    con = space.batch_database("b1")
    con.execute("CREATE TABLE t AS SELECT 1 AS x")
    con.close()
    assert (tmp_path / "ws" / "batches" / "b1" / "batch.duckdb").is_file()


def test_workspace_on_a_file_is_refused(tmp_path: Path) -> None:
    target = _file(tmp_path / "ws", "not a folder")
    with pytest.raises(WorkspaceError):
        Workspace.open(target)


def test_file_sha256(tmp_path: Path) -> None:
    assert file_sha256(_file(tmp_path / "a", "abc")) == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )


def test_the_output_record_finds_a_batch_run_elsewhere_and_keeps_its_letter(
    tmp_path: Path,
) -> None:
    space = Workspace.open(tmp_path / "ws")
    letter = tmp_path / "letter.toml"
    letter.write_text('agency = "X"\n', encoding="utf-8")
    assert space.output_dir("b1") is None  # nothing recorded: the server finds nothing
    space.record_output("b1", tmp_path / "office-out", letter)
    assert space.output_dir("b1") == (tmp_path / "office-out").resolve()
    kept = tmp_path / "ws" / "batches" / "b1" / "input" / "letter.toml"
    assert kept.read_text(encoding="utf-8") == 'agency = "X"\n'
    # A letter on file already (the server's upload) is not replaced.
    letter.write_text('agency = "Y"\n', encoding="utf-8")
    space.record_output("b1", tmp_path / "office-out", letter)
    assert kept.read_text(encoding="utf-8") == 'agency = "X"\n'


def test_an_output_folder_inside_the_batch_folder_is_recorded_relative(tmp_path: Path) -> None:
    space = Workspace.open(tmp_path / "ws")
    letter = tmp_path / "letter.toml"
    letter.write_text("", encoding="utf-8")
    space.record_output("b1", tmp_path / "ws" / "batches" / "b1" / "output", letter)
    moved = tmp_path / "moved"
    (tmp_path / "ws").rename(moved)
    assert Workspace.open(moved).output_dir("b1") == moved / "batches" / "b1" / "output"


def test_an_unreadable_output_record_is_a_workspace_error(tmp_path: Path) -> None:
    space = Workspace.open(tmp_path / "ws")
    space.batch_folder("b1")
    (tmp_path / "ws" / "batches" / "b1" / "output.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(WorkspaceError, match="output record cannot be read"):
        space.output_dir("b1")
