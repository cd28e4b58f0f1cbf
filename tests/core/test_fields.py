"""One definition of the request fields: everything that lists them is made from it."""

from __future__ import annotations

import dataclasses

import pytest
from pydantic import ValidationError

from matchgate import fields
from matchgate.intake import REQUEST_FIELDS, RequestRecord
from matchgate.match import MASTER_IDENTITY_COLUMNS, MatchInput
from matchgate.server.schemas import LookupCreate

# The file order is the staging table's and the look-up's column order: pinned on purpose.
EXPECTED_REQUEST_FIELDS = (
    "request_id",
    "first_name",
    "middle_name",
    "last_name",
    "suffix",
    "dob",
    "street",
    "city",
    "state",
    "zip",
    "tin",
    "tax_periods",
    "statute",
    "case_number",
    "reason",
)


def test_request_fields_keep_their_order_and_intake_exports_the_same_tuple() -> None:
    assert fields.REQUEST_FIELDS == EXPECTED_REQUEST_FIELDS
    assert REQUEST_FIELDS is fields.REQUEST_FIELDS
    assert len(set(fields.REQUEST_FIELDS)) == len(fields.REQUEST_FIELDS)


def test_match_fields_are_the_identity_and_never_the_letter() -> None:
    assert set(fields.MATCH_FIELDS) < set(fields.REQUEST_FIELDS)
    assert not set(fields.MATCH_FIELDS) & set(fields.LETTER_FIELDS)
    assert "request_id" not in fields.MATCH_FIELDS
    assert set(fields.NAME_FIELDS) | set(fields.ADDRESS_FIELDS) | {"dob", "tin"} == set(
        fields.MATCH_FIELDS
    )


def test_request_record_has_every_request_field_as_text_defaulting_to_empty() -> None:
    names = tuple(f.name for f in dataclasses.fields(RequestRecord))
    assert names == ("row_number", *EXPECTED_REQUEST_FIELDS, "problems", "duplicate_of")
    record = RequestRecord(row_number=3, first_name="Ana")
    assert record.first_name == "Ana"
    assert all(getattr(record, name) == "" for name in EXPECTED_REQUEST_FIELDS[2:])
    assert record.problems == () and record.duplicate_of is None
    assert not record.is_invalid and record.duplicate_reason is None
    assert RequestRecord.__module__ == "matchgate.intake.record"


def test_request_record_is_frozen_slotted_and_refuses_unknown_fields() -> None:
    record = RequestRecord(row_number=1)
    assert not hasattr(record, "__dict__")
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.first_name = "Bo"  # type: ignore[misc]
    with pytest.raises(TypeError, match="employer"):
        RequestRecord(row_number=1, employer="ACME")
    assert RequestRecord(row_number=1, duplicate_of=1).duplicate_reason is not None


def test_lookup_body_is_the_letter_reference_then_every_request_field() -> None:
    assert tuple(LookupCreate.model_fields) == (
        "letter_id",
        "letter",
        *EXPECTED_REQUEST_FIELDS,
    )
    body = LookupCreate(letter_id="0123456789abcdef", first_name="Ana", zip="11241")
    assert body.request_fields() == {
        name: {"first_name": "Ana", "zip": "11241"}.get(name, "")
        for name in EXPECTED_REQUEST_FIELDS
    }
    assert LookupCreate.__doc__ and "letter_id" in LookupCreate.__doc__


def test_lookup_body_still_validates_the_letter_reference() -> None:
    with pytest.raises(ValidationError, match="letter_id"):
        LookupCreate(letter_id="../etc")


@pytest.mark.parametrize("field", ["submitted_by", "reviewer", "employer"])
def test_lookup_body_refuses_an_actor_and_unknown_fields(field: str) -> None:
    # The ledger's actor is the authenticated user, never text in the body.
    with pytest.raises(ValidationError, match=field if field == "employer" else "actor"):
        LookupCreate.model_validate({"letter_batch_id": "batch-1", field: "x"})


def test_match_input_takes_the_match_fields_of_a_record() -> None:
    record = RequestRecord(
        row_number=7, first_name="Ana", tin="123456789", zip="11241", statute="x", reason="y"
    )
    match_input = MatchInput.from_record(record)
    assert match_input.row_number == 7
    assert match_input.as_dict() == {name: getattr(record, name) for name in fields.MATCH_FIELDS}
    with pytest.raises(ValueError, match="values"):
        MatchInput(1, ("Ana",))


def test_master_identity_columns_are_the_tin_the_year_and_the_identity() -> None:
    assert MASTER_IDENTITY_COLUMNS == (
        "tin",
        "tin_type",
        "tax_year",
        *fields.NAME_FIELDS,
        "dob",
        *fields.ADDRESS_FIELDS,
    )
    assert "employer" not in MASTER_IDENTITY_COLUMNS
