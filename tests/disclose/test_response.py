from __future__ import annotations

import dataclasses

import pytest

from matchgate.decisions import Outcome
from matchgate.disclose import RESPONSE_COLUMNS, DisclosedAddress, ResponseRow

ADDRESS = DisclosedAddress(
    street="1 MAIN ST", city="AUSTIN", state="TX", zip="78701", tax_year=2024
)


def test_response_type_holds_only_the_permitted_fields() -> None:
    assert {f.name for f in dataclasses.fields(DisclosedAddress)} == {
        "street",
        "city",
        "state",
        "zip",
        "tax_year",
    }
    assert {f.name for f in dataclasses.fields(ResponseRow)} == {
        "row_number",
        "request_id",
        "outcome",
        "reason_codes",
        "explanation",
        "match_probability",
        "address",
    }
    forbidden = {"tin", "employer_name", "income", "dependents", "dob"}
    assert not forbidden & set(RESPONSE_COLUMNS)


def test_address_only_with_disclosed() -> None:
    with pytest.raises(ValueError):
        ResponseRow(1, "r1", Outcome.NO_MATCH, "", "", address=ADDRESS)
    with pytest.raises(ValueError):
        ResponseRow(1, "r1", Outcome.DISCLOSED, "", "", address=None)


def test_probability_hidden_on_refused_rows() -> None:
    refused = ResponseRow(
        1, "r1", Outcome.AMBIGUOUS, "household_conflict", "x", match_probability=0.98
    ).as_csv_row()
    assert refused["match_probability"] == ""
    assert all(refused[c] == "" for c in RESPONSE_COLUMNS if c.startswith("disclosed_"))
    shown = ResponseRow(
        2, "r2", Outcome.DISCLOSED, "", "ok", match_probability=0.9999, address=ADDRESS
    ).as_csv_row()
    assert shown["match_probability"] == 0.9999
    assert shown["disclosed_tax_year"] == 2024
