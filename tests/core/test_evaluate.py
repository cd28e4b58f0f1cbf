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


def test_missing_column_is_a_clear_error(tmp_path: Path) -> None:
    truth = write(tmp_path / "truth.csv", "request_id\nr1\n")
    decisions = write(tmp_path / "d.csv", "request_id,outcome,tin\n")
    with pytest.raises(InputError, match="truth.csv: missing column"):
        evaluate(truth=truth, decisions=decisions)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        evaluate(truth=tmp_path / "nope.csv", decisions=tmp_path / "d.csv")
