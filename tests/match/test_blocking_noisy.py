"""Blocking finds the person when a noisy request mangles the fields the older rules need
(issue 11): same house number and ZIP with the street name garbled, same date of birth and
ZIP with both names garbled."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import duckdb

from matcher_runs import write_master
from matchgate.match import MatchInput, load_requests_for_matching, prepare_master
from matchgate.match.blocking import build_candidate_pairs

# tests/match is not a package: the people of the adversarial table, loaded by path
_SPEC = importlib.util.spec_from_file_location(
    "_records", Path(__file__).with_name("test_adversarial_records.py")
)
assert _SPEC is not None and _SPEC.loader is not None
_RECORDS = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(_RECORDS)
PEOPLE, filler = _RECORDS.PEOPLE, _RECORDS.filler


def _rules_finding(tmp_path: Path, values: tuple[str, ...], tin: str) -> list[str]:
    write_master(tmp_path / "master.parquet", PEOPLE + filler())
    con = duckdb.connect()
    prepare_master(con, tmp_path / "master.parquet")
    load_requests_for_matching(con, [MatchInput(1, values)])
    build_candidate_pairs(con, block_cap=200)
    row = con.execute("SELECT rules FROM candidate_pairs WHERE rid = '1' AND tin = ?", [tin])
    found = row.fetchone()
    return list(found[0]) if found else []


# first, middle, last, suffix, dob, street, city, state, zip, tin
def test_house_number_and_zip_find_a_garbled_street(tmp_path: Path) -> None:
    values = ("RAUL", "", "RAMRIEZ", "", "", "31 BRICHCOURTT", "FRESNO", "CA", "93701", "")
    assert "number_zip" in _rules_finding(tmp_path, values, "123450009")


def test_dob_and_zip_find_garbled_names(tmp_path: Path) -> None:
    values = ("RAOUL", "", "AMMIRES", "", "1975-11-30", "PO BOX 9", "FRESNO", "CA", "93701", "")
    assert "dob_zip" in _rules_finding(tmp_path, values, "123450009")


def test_house_number_city_and_state_find_a_request_without_zip(tmp_path: Path) -> None:
    # the noisy mix: no ZIP, the street misspelt and the surname one letter short
    values = ("CHARLIS", "", "SITH", "", "", "31 BRCH CT", "FRESNO", "CA", "", "")
    found = _rules_finding(tmp_path, values, "123450009")
    assert "number_city" in found


def test_a_zip_in_the_request_keeps_number_city_out(tmp_path: Path) -> None:
    # with a ZIP given, the ZIP must agree: a house number in the same city is not enough
    values = ("CHARLIS", "", "SITH", "", "", "31 BRCH CT", "FRESNO", "CA", "93799", "")
    assert "number_city" not in _rules_finding(tmp_path, values, "123450009")


def test_dob_and_an_initial_find_swapped_names_with_typos(tmp_path: Path) -> None:
    # names swapped, a typo in each, no ZIP, the street elsewhere: DOB and the R of RAUL
    values = ("RAMIRZE", "", "RUAL", "", "1975-11-30", "PO BOX 9", "BOISE", "ID", "", "")
    assert "dob_initial" in _rules_finding(tmp_path, values, "123450009")


def test_a_phonetic_respelling_of_the_surname_is_found(tmp_path: Path) -> None:
    # RAMIREZ respelt RAMYRES (both Soundex R562), another ZIP, no DOB
    values = ("RAUL", "", "RAMYRES", "", "", "5 ELSEWHERE AVE", "RENO", "NV", "89501", "")
    assert "name_phonetic" in _rules_finding(tmp_path, values, "123450009")


def test_a_first_name_one_edit_off_with_the_surname_is_found(tmp_path: Path) -> None:
    # a first-name typo and another ZIP, nothing else: RAUIL is one insertion from RAUL
    values = ("RAUIL", "", "RAMIREZ", "", "", "5 ELSEWHERE AVE", "RENO", "NV", "89501", "")
    assert "name_one_edit" in _rules_finding(tmp_path, values, "123450009")
    # two edits are not one
    values = ("RIUIL", "", "RAMIREZ", "", "", "5 ELSEWHERE AVE", "RENO", "NV", "89501", "")
    assert "name_one_edit" not in _rules_finding(tmp_path, values, "123450009")


def test_a_surname_one_edit_off_with_a_first_name_form_is_found(tmp_path: Path) -> None:
    # the surname with two letters transposed: RAMIERZ
    values = ("RAUL", "", "RAMIERZ", "", "", "5 ELSEWHERE AVE", "RENO", "NV", "89501", "")
    assert "name_one_edit" in _rules_finding(tmp_path, values, "123450009")
