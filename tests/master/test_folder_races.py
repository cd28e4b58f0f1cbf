"""A prepared master's folder while a batch writes its predict recording into it.

A batch on the prepared master keeps Splink's recorded predict SQL beside the model
(``matchgate.match.predict_sql``: a hidden temporary file, then a rename). Re-preparing the
master (``remove_folder``) and ``master status`` (``size_on_disk``) may run meanwhile: a file
that appears or vanishes under them must not make either fail.
"""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from matchgate.master.store import PreparedMaster, remove_folder


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "147cd0ce-s7"
    folder.mkdir()
    (folder / "master.duckdb").write_bytes(b"x" * 100)
    (folder / "model.json").write_bytes(b"{}")
    return folder


def test_a_file_written_while_the_folder_is_removed_is_removed_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _folder(tmp_path)
    real_rmdir = Path.rmdir
    calls: list[Path] = []

    def rmdir_after_a_write(self: Path) -> None:
        calls.append(self)
        if len(calls) == 1:  # a batch's recording lands after the folder was emptied
            (self / ".predict-abc.json.0123.tmp").write_text("{}", encoding="utf-8")
        real_rmdir(self)

    monkeypatch.setattr(Path, "rmdir", rmdir_after_a_write)
    remove_folder(folder)
    assert not folder.exists()
    assert len(calls) == 2


def test_a_folder_that_never_empties_raises_after_a_few_attempts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _folder(tmp_path)
    real_rmdir = Path.rmdir
    calls: list[Path] = []

    def rmdir_always_refilled(self: Path) -> None:
        calls.append(self)
        (self / f".predict-{len(calls)}.tmp").write_text("{}", encoding="utf-8")
        real_rmdir(self)

    monkeypatch.setattr(Path, "rmdir", rmdir_always_refilled)
    with pytest.raises(OSError) as raised:
        remove_folder(folder)
    assert raised.value.errno == errno.ENOTEMPTY
    assert len(calls) == 5


def test_another_error_is_raised_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _folder(tmp_path)
    calls: list[Path] = []

    def rmdir_denied(self: Path) -> None:
        calls.append(self)
        raise PermissionError(errno.EACCES, "Permission denied", str(self))

    monkeypatch.setattr(Path, "rmdir", rmdir_denied)
    with pytest.raises(PermissionError):
        remove_folder(folder)
    assert len(calls) == 1


def test_a_missing_folder_is_nothing_to_remove(tmp_path: Path) -> None:
    remove_folder(tmp_path / "absent")


def test_the_size_leaves_out_a_file_that_vanishes_while_it_is_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _folder(tmp_path)
    passing = folder / ".predict-abc.json.0123.tmp"
    passing.write_bytes(b"y" * 7)
    real_is_file = Path.is_file

    def is_file_then_renamed(self: Path) -> bool:
        found = real_is_file(self)
        if self == passing and found:
            self.unlink()  # renamed away by the batch between the listing and the read
        return found

    monkeypatch.setattr(Path, "is_file", is_file_then_renamed)
    assert PreparedMaster(folder, {}).size_on_disk() == 102
