from __future__ import annotations

import dataclasses

import pytest

from matchgate.decisions import Outcome, Reason
from matchgate.disclose import (
    RESPONSE_COLUMNS,
    DisclosedAddress,
    RequestShape,
    ResponseOutcome,
    ResponseRow,
    requester_view,
)
from matchgate.reasons import Audience, registry

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
        ResponseRow(1, "r1", ResponseOutcome.NOT_DISCLOSED, "", "", address=ADDRESS)
    with pytest.raises(ValueError):
        ResponseRow(1, "r1", ResponseOutcome.DISCLOSED, "", "", address=None)


@pytest.mark.parametrize("internal", ["no_match", "ambiguous", "needs_review"])
def test_internal_outcomes_never_reach_the_response(internal: str) -> None:
    with pytest.raises(ValueError):
        ResponseRow(1, "r1", internal, "", "")  # type: ignore[arg-type]


def test_probability_hidden_on_refused_rows() -> None:
    refused = ResponseRow(
        1, "r1", ResponseOutcome.NOT_DISCLOSED, "", "x", match_probability=0.98
    ).as_csv_row()
    assert refused["match_probability"] == ""
    assert all(refused[c] == "" for c in RESPONSE_COLUMNS if c.startswith("disclosed_"))
    shown = ResponseRow(
        2, "r2", ResponseOutcome.DISCLOSED, "", "ok", match_probability=0.9999, address=ADDRESS
    ).as_csv_row()
    assert shown["match_probability"] == 0.9999
    assert shown["disclosed_tax_year"] == 2024


# Reasons a match can carry that are facts from the taxpayer file (who else lives at the
# address, whether the person filed, whose the TIN is): none may reach the requester.
FILE_FACTS = (
    Reason("household_conflict", "1 other taxpayer(s) at the requested address could be..."),
    Reason("no_filing_in_periods", "The taxpayer filed no return in the requested periods."),
    Reason("tin_matches", "The TIN given matches."),
    Reason("tin_differs", "The TIN given belongs to someone else."),
    Reason("dob_differs", "Dates of birth differ."),
    Reason("address_not_in_history", "not in the taxpayer's filing history"),
)
BARE = RequestShape()
FULL = RequestShape(has_dob=True, has_tin=True, has_middle_name=True, has_zip=True)


@pytest.mark.parametrize("outcome", [Outcome.NO_MATCH, Outcome.AMBIGUOUS])
@pytest.mark.parametrize("shape", [BARE, FULL])
def test_a_refusal_depends_on_the_request_alone(outcome: Outcome, shape: RequestShape) -> None:
    plain = requester_view(outcome, (), shape)
    for count in range(1, len(FILE_FACTS) + 1):
        assert requester_view(outcome, FILE_FACTS[:count], shape) == plain
    answer, reasons, explanation = plain
    assert answer is ResponseOutcome.NOT_DISCLOSED
    assert all(registry()[r.code].audience is Audience.REQUESTER for r in reasons)
    for fact in ("filed", "other taxpayer", "belongs", "history", "differ"):
        assert fact not in explanation


def test_a_refusal_names_what_the_request_lacked() -> None:
    _, reasons, explanation = requester_view(Outcome.NO_MATCH, FILE_FACTS, BARE)
    assert [r.code for r in reasons] == [
        "identity_not_established",
        "request_without_dob",
        "request_without_tin",
        "request_without_middle_name",
        "request_without_zip",
    ]
    assert "no date of birth" in explanation
    _, reasons, _ = requester_view(Outcome.NO_MATCH, FILE_FACTS, FULL)
    assert [r.code for r in reasons] == ["identity_not_established"]


def test_request_shape_reads_only_the_request_fields() -> None:
    assert RequestShape.of(dob="", tin="", middle_name="J.", zip_code="") == BARE
    assert RequestShape.of(dob="1970-01-02", tin="123456789", middle_name="JAMES", zip_code="1")
    assert RequestShape.of(dob=" ", tin="", middle_name="J", zip_code="").has_dob is False


def test_legal_findings_and_intake_problems_are_shown() -> None:
    deficient = (Reason("statute_civil", "A civil statute.", "26 U.S.C. 6103(i)(2)(A)"),)
    answer, reasons, explanation = requester_view(Outcome.LEGALLY_DEFICIENT, deficient, BARE)
    assert answer is ResponseOutcome.LEGALLY_DEFICIENT
    assert reasons == deficient and explanation == "A civil statute."
    invalid = (Reason("dob_invalid", "The date of birth is not a date."),)
    assert requester_view(Outcome.INVALID, invalid, FULL)[:2] == (ResponseOutcome.INVALID, invalid)


def test_a_row_under_review_is_pending_and_says_nothing_of_the_match() -> None:
    answer, reasons, explanation = requester_view(
        Outcome.NEEDS_REVIEW, (Reason("probability_grey_zone", "p=0.97"), *FILE_FACTS), BARE
    )
    assert answer is ResponseOutcome.PENDING_REVIEW
    assert [r.code for r in reasons] == ["pending_review"]
    assert "0.97" not in explanation


def test_a_disclosure_carries_no_evidence_codes() -> None:
    answer, reasons, explanation = requester_view(
        Outcome.DISCLOSED,
        (Reason("first_name_nickname", "First names agree as a nickname."),),
        FULL,
    )
    assert answer is ResponseOutcome.DISCLOSED and reasons == ()
    assert explanation == "Identity confirmed; latest address in the requested periods."
