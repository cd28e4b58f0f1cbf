from __future__ import annotations

from pathlib import Path

import pytest

from matchgate.errors import InputError
from matchgate.evaluate import evaluate


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_counts_wrong_person_and_recall(tmp_path: Path) -> None:
    truth = write(
        tmp_path / "truth.csv",
        "request_id,tin,hazards,legally_sufficient\n"
        "r1,111,jr_sr,true\nr2,222,,true\nr3,,not_in_file,true\nr4,444,,false\n",
    )
    decisions = write(
        tmp_path / "d.csv",
        "request_id,outcome,tin,best_probability\n"
        "r1,disclosed,999,0.999\nr2,disclosed,222,0.9999\n"
        "r3,no_match,,\nr4,legally_deficient,,\n",
    )
    result = evaluate(truth=truth, decisions=decisions)
    assert result["disclosures"] == 2
    assert result["wrong_person_disclosures"] == 1
    assert result["precision"] == 0.5
    assert result["in_file_requests"] == 2
    assert result["recall"] == 0.5
    assert result["per_hazard"]["jr_sr"]["wrong_person_disclosures"] == 1
    assert result["model_expected_wrong_disclosures"] == pytest.approx(0.0011)
    # no filed_in_periods column: every in-file request counts as answerable
    assert result["answerable_requests"] == 2
    assert result["recall_of_answerable"] == 0.5


def test_recall_of_answerable_leaves_out_requests_for_years_never_filed(
    tmp_path: Path,
) -> None:
    truth = write(
        tmp_path / "truth.csv",
        "request_id,tin,hazards,legally_sufficient,filed_in_periods\n"
        "r1,111,mover,true,true\nr2,222,mover,true,false\nr3,333,,true,true\n"
        "r4,,not_in_file,true,\nr5,555,,false,true\n",
    )
    decisions = write(
        tmp_path / "d.csv",
        "request_id,outcome,tin\n"
        "r1,disclosed,111\nr2,no_match,222\nr3,ambiguous,\nr4,no_match,\n"
        "r5,legally_deficient,\n",
    )
    result = evaluate(truth=truth, decisions=decisions)
    assert result["in_file_requests"] == 3
    assert result["recall"] == pytest.approx(1 / 3, abs=1e-6)
    assert result["answerable_requests"] == 2
    assert result["recall_of_answerable"] == 0.5
    assert result["per_hazard"]["mover"]["answerable_requests"] == 1
    assert result["per_hazard"]["mover"]["recall_of_answerable"] == 1.0


def test_missing_column_is_a_clear_error(tmp_path: Path) -> None:
    truth = write(tmp_path / "truth.csv", "request_id\nr1\n")
    decisions = write(tmp_path / "d.csv", "request_id,outcome,tin\n")
    with pytest.raises(InputError, match="truth.csv: missing column"):
        evaluate(truth=truth, decisions=decisions)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        evaluate(truth=tmp_path / "nope.csv", decisions=tmp_path / "d.csv")


def test_right_answers_include_the_right_person_found_with_no_return(tmp_path: Path) -> None:
    truth = write(
        tmp_path / "truth.csv",
        "request_id,tin,hazards,legally_sufficient,filed_in_periods\n"
        "r1,111,,true,true\nr2,222,,true,false\nr3,333,,true,false\nr4,,not_in_file,true,\n",
    )
    decisions = write(
        tmp_path / "d.csv",
        "request_id,outcome,reason_codes,tin\n"
        "r1,disclosed,,111\n"
        "r2,no_match,no_filing_in_periods;dob_missing,222\n"
        "r3,no_match,no_filing_in_periods,999\n"
        "r4,no_match,no_filing_in_periods,444\n",
    )
    result = evaluate(truth=truth, decisions=decisions)
    assert result["in_file_requests"] == 3
    assert result["recall"] == pytest.approx(1 / 3, abs=1e-6)
    assert result["recall_of_right_answers"] == pytest.approx(2 / 3, abs=1e-6)
    # r3 found someone else, r4 found someone for a person not in the file
    assert result["wrong_identifications_without_disclosure"] == 2
    assert result["wrong_person_disclosures"] == 0
