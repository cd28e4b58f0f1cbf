"""The shipped data files are well formed and say what the brief says they say."""

from __future__ import annotations

import csv
import io
from importlib import resources

import pytest

from matchgate.standardize import clean_name_text, first_name_forms


def _text(name: str) -> str:
    return resources.files("matchgate.standardize").joinpath("data").joinpath(name).read_text()


def _rows(name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(_text(name))))


def test_hypocorisms_table() -> None:
    rows = _rows("hypocorisms.csv")
    assert list(rows[0]) == ["nickname", "formal_name", "language", "note"]
    assert len(rows) >= 120
    pairs = [(row["nickname"], row["formal_name"]) for row in rows]
    assert len(pairs) == len(set(pairs))
    assert {row["language"] for row in rows} <= {"es", "pt", "tl", "it", "en", "es-en"}
    for row in rows:
        assert row["nickname"] and row["formal_name"]
        assert clean_name_text(row["formal_name"]) in first_name_forms(row["nickname"])


def test_a_nickname_may_stand_for_several_formal_names() -> None:
    assert {"ALBERTO", "ROBERTO", "HUMBERTO"} <= set(first_name_forms("BETO"))


def test_institutions_table() -> None:
    rows = _rows("institutions.csv")
    assert list(rows[0]) == ["match", "pattern", "category", "note"]
    assert {row["match"] for row in rows} == {"keyword", "address"}
    assert {row["category"] for row in rows} == {"correctional", "detention", "shelter"}
    patterns = [row["pattern"] for row in rows]
    assert len(patterns) == len(set(patterns))
    for row in rows:
        assert row["pattern"] == row["pattern"].upper().strip()
        if row["match"] == "address":
            key, _, zip5 = row["pattern"].partition("|")
            assert key and len(zip5) == 5 and zip5.isdigit()
            assert "synthetic" in row["note"]
    assert not {"HOSPITAL", "SHELTER", "MISSION", "ICE"} & set(patterns)


def test_states_table() -> None:
    rows = _rows("states.csv")
    codes = {row["code"] for row in rows if row["kind"] == "state"}
    assert len(codes) == 50
    for row in rows:
        assert row["kind"] in {"state", "district", "territory", "military", "alias", "foreign"}
        if row["kind"] != "foreign" or row["code"]:
            assert len(row["code"]) == 2
    us_codes = {row["code"] for row in rows if row["kind"] != "foreign"}
    foreign_codes = {row["code"] for row in rows if row["kind"] == "foreign" and row["code"]}
    assert not us_codes & foreign_codes


@pytest.mark.parametrize(
    ("variant", "standard"),
    [("STREET", "ST"), ("AVENUE", "AVE"), ("AV", "AVE"), ("BOULEVARD", "BLVD"), ("ROAD", "RD")],
)
def test_street_suffixes(variant: str, standard: str) -> None:
    table = {row["variant"]: row["standard"] for row in _rows("street_suffixes.csv")}
    assert table[variant] == standard
    assert len(table) > 400


def test_surname_and_placeholder_lists_are_clean() -> None:
    for name in ("hispanic_surnames.txt", "formal_given_names.txt"):
        words = [line for line in _text(name).splitlines() if line and not line.startswith("#")]
        assert len(words) == len(set(words))
        assert all(word == clean_name_text(word) for word in words)
    sections = [line for line in _text("placeholders.txt").splitlines() if line.startswith("[")]
    assert sections == ["[phrases]", "[words]", "[fillers]"]
