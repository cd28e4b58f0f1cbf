"""Look-ups parse a letter file once per content (``matchgate.lookups.run._load_letter``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from matchgate.lookups import run


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []

    def fake_load_letter(path: Path) -> str:
        text = Path(path).read_text(encoding="utf-8")
        seen.append(text)
        return text

    monkeypatch.setattr(run, "load_letter", fake_load_letter)
    monkeypatch.setattr(run, "_LETTERS", {})
    return seen


def test_the_same_content_is_parsed_once(tmp_path: Path, parses: list[str]) -> None:
    letter = tmp_path / "letter.toml"
    letter.write_text("max_lookups = 2", encoding="utf-8")
    assert run._load_letter(letter) == run._load_letter(letter) == "max_lookups = 2"
    assert parses == ["max_lookups = 2"]


def test_a_rewrite_of_the_same_size_and_times_is_parsed_again(
    tmp_path: Path, parses: list[str]
) -> None:
    letter = tmp_path / "letter.toml"
    letter.write_text("max_lookups = 2", encoding="utf-8")
    status = letter.stat()
    assert run._load_letter(letter) == "max_lookups = 2"
    letter.write_text("max_lookups = 9", encoding="utf-8")  # same size
    os.utime(letter, ns=(status.st_atime_ns, status.st_mtime_ns))  # and the same times
    assert run._load_letter(letter) == "max_lookups = 9"


def test_a_missing_letter_is_the_parser_s_own_error(tmp_path: Path) -> None:
    from matchgate.errors import LetterError

    with pytest.raises(LetterError, match="cannot read the letter"):
        run._load_letter(tmp_path / "none.toml")
