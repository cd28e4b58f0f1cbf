from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from matchgate.safe_csv import FORMULA_PREFIXES, SafeCsvWriter, neutralize_cell


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("MAIN ST", "MAIN ST"),
        (-0.5, "-0.5"),
        (3, "3"),
        (None, ""),
        (True, "true"),
    ],
)
def test_neutralize_cell(value, expected) -> None:
    assert neutralize_cell(value) == expected


@given(st.text())
def test_no_written_text_cell_starts_a_formula(text: str) -> None:
    stream = io.StringIO(newline="")
    SafeCsvWriter(stream, ["a"]).write_row({"a": text})
    rows = list(csv.reader(io.StringIO(stream.getvalue(), newline="")))
    assert not rows[1][0].startswith(FORMULA_PREFIXES)
