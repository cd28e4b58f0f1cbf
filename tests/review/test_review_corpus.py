"""The corpus: bad rows and bad letters, each with the outcome and reason codes it must get.

``corpus/bad_rows.csv`` is a request file (read by the real intake) whose extra columns
``expected_outcome``, ``expected_codes`` and ``note`` say what the row must produce; they are
unknown columns to intake, so they are never read as request data. ``corpus/letters.csv``
lists the letters in ``corpus/letters/`` with the batch size to review them at.
The expected outcome of a row is ``invalid`` when intake finds a problem, else the review's.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from matchgate.decisions import Reason
from matchgate.intake import RequestRecord, read_requests
from matchgate.review import (
    BatchFacts,
    Policy,
    ReviewOutcome,
    load_letter,
    review_letter,
    review_row,
)

CORPUS = Path(__file__).parent / "corpus"
ROWS_FILE = CORPUS / "bad_rows.csv"


def _expectations(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


ROW_CASES = _expectations(ROWS_FILE)
LETTER_CASES = _expectations(CORPUS / "letters.csv")


@pytest.fixture(scope="module")
def reviewed_rows() -> dict[int, tuple[RequestRecord, str, tuple[Reason, ...], str]]:
    letter = load_letter(CORPUS / "letters" / "good.toml")
    policy = Policy.defaults()
    request_file = read_requests(ROWS_FILE)
    assert {"expected_outcome", "expected_codes", "note"} <= set(request_file.unknown_columns)
    records = list(request_file.records)
    facts = BatchFacts()
    for record in records:
        facts.observe(record)
    letter_decision = review_letter(letter, facts=facts, policy=policy)
    assert letter_decision.outcome is ReviewOutcome.ACCEPTED, letter_decision
    results = {}
    for record in records:
        decision = review_row(
            record, letter=letter, letter_decision=letter_decision, facts=facts, policy=policy
        )
        outcome = "invalid" if record.problems else decision.outcome.value
        reasons = record.problems + decision.reasons
        results[record.row_number] = (record, outcome, reasons, decision.explanation)
    return results


def test_corpus_is_big_enough() -> None:
    assert sum(case["expected_outcome"] != "accepted" for case in ROW_CASES) >= 60
    assert sum(case["expected_outcome"] != "accepted" for case in LETTER_CASES) >= 15


@pytest.mark.parametrize(
    ("row_number", "case"),
    list(enumerate(ROW_CASES, start=1)),
    ids=[f"row{n}-{case['note']}" for n, case in enumerate(ROW_CASES, start=1)],
)
def test_corpus_row(
    row_number: int,
    case: dict[str, str],
    reviewed_rows: dict[int, tuple[RequestRecord, str, tuple[Reason, ...], str]],
) -> None:
    record, outcome, reasons, explanation = reviewed_rows[row_number]
    codes = [reason.code for reason in reasons]
    assert record.request_id == case["request_id"]
    expected = set(filter(None, case["expected_codes"].split(";")))
    assert (outcome, set(codes)) == (case["expected_outcome"], expected), explanation
    # Readable: every reason is a sentence naming its field; legal reasons carry a citation.
    assert explanation.startswith(outcome if outcome != "invalid" else "")
    for reason in reasons:
        assert reason.message[0].isupper() and reason.message.endswith("."), reason
        assert len(reason.message.split()) >= 4, reason
        if reason.code != "duplicate":
            assert reason.field, reason
        if reason not in record.problems and reason.code != "duplicate":
            assert reason.citation.startswith("26 U.S.C. 6103"), reason


@pytest.mark.parametrize("case", LETTER_CASES, ids=[case["file"] for case in LETTER_CASES])
def test_corpus_letter(case: dict[str, str]) -> None:
    letter = load_letter(CORPUS / "letters" / case["file"])
    facts = BatchFacts()
    facts.row_count = int(case["rows"])
    decision = review_letter(letter, facts=facts, policy=Policy.defaults())
    expected = set(filter(None, case["expected_codes"].split(";")))
    assert decision.outcome.value == case["expected_outcome"], decision.reasons
    assert {reason.code for reason in decision.reasons} == expected
    for reason in decision.reasons:
        assert reason.citation.startswith(("26 U.S.C. 6103", "matchgate review policy"))
        assert len(reason.message.split()) >= 5 and reason.message.endswith(".")
