"""build_tables on hand-made entries: the rules a generated world does not reach."""

from __future__ import annotations

from typing import Any

from matchgate.report import Entry, build_tables


def entry(sequence: int, kind: str, when: str, actor: str = "matchgate", **payload: Any) -> Entry:
    return Entry(sequence, kind, actor, f"2026-{when}Z", payload, f"{sequence:064x}")


def row(
    sequence: int, batch: str, number: int, outcome: str, codes: str = "", **extra: Any
) -> Entry:
    return entry(
        sequence, "row_decision", "03-01T10:00:00.000000", batch_id=batch, row_number=number,
        outcome=outcome, reason_codes=codes, **extra,
    )  # fmt: skip


def batch(
    sequence: int, batch_id: str, rows_in: int, when: str = "03-01T09:00:00.000000", **extra: Any
) -> Entry:
    return entry(
        sequence, "batch_received", when, batch_id=batch_id, agency="Agency A", rows_in=rows_in,
        **extra,
    )  # fmt: skip


def test_a_batch_of_one_row_is_a_look_up_and_a_letter_needing_review_is_held() -> None:
    entries = [
        batch(1, "B1", 2, officers=["O. One", "T. Two"], officer_case_counts=[3, 1]),
        row(2, "B1", 1, "needs_review", "batch_too_large;dob_missing", statute="18 U.S.C. 1001"),
        row(3, "B1", 2, "needs_review", "batch_too_large"),
        batch(4, "L1", 1),
        row(5, "L1", 1, "no_match", "no_candidate"),
    ]
    report = build_tables(entries, year=2026, as_of="2026-03-02T10:00:00.000000Z")
    [agency] = report.table("agencies").rows
    columns = report.table("agencies").columns
    line = dict(zip(columns, agency, strict=True))
    assert (line["batches"], line["bulk_batches"], line["lookups"]) == ("2", "1", "1")
    assert (line["letters_refused"], line["letters_held_for_review"]) == ("0", "1")
    assert line["officers_named"] == "2" and line["entries"] == "1..5 (5 entries)"
    [answered] = report.table("agency_outcomes").rows
    assert answered[1:4] == ("0", "1", "0")  # the look-up's no_match is not matched
    kinds = {r[1]: (r[3], r[5], r[6]) for r in report.table("batches").rows}
    assert kinds == {
        "B1": ("bulk", "held for review", "batch_too_large"),
        "L1": ("look-up", "accepted", ""),
    }
    statutes = {r[1]: r[2] for r in report.table("statutes").rows}
    assert statutes == {"18 U.S.C. 1001": "1", "(not recorded)": "2"}
    steps = {r[3]: r[1] for r in report.table("refusal_reasons").rows}
    assert steps == {
        "batch_too_large": "legal review",
        "dob_missing": "evidence note",
        "no_candidate": "matching",
    }
    officers = {r[1]: r[3] for r in report.table("officers").rows}
    assert officers == {"O. One": "3", "T. Two": "1"}


def test_queue_ages_run_to_the_first_review_action_or_the_last_entry() -> None:
    entries = [
        batch(1, "B1", 2),
        row(2, "B1", 1, "ambiguous", "runner_up_close"),
        row(3, "B1", 2, "needs_review", "dob_conflict"),
        entry(4, "review_action", "03-03T10:00:00.000000", actor="R. Viewer",
              action="note", batch_id="B1", row_number=1),
        entry(5, "review_action", "03-05T10:00:00.000000", actor="R. Viewer",
              action="confirm_not_disclosed", batch_id="B1", row_number=1),
    ]  # fmt: skip
    report = build_tables(entries, year=2026, as_of="2026-03-11T10:00:00.000000Z")
    [queue] = report.table("review_queue").rows
    # Row 1 waited two days for its first action; row 2 waits ten days and counting.
    assert queue[1:6] == ("2", "1", "1", "2.000000", "10.000000")
    assert report.review_ages_days == (2.0,) and report.pending_ages_days == (10.0,)
    reviews = {(r[1], r[2]): r[3] for r in report.table("review_actions").rows}
    assert reviews == {("confirm_not_disclosed", "R. Viewer"): "1", ("note", "R. Viewer"): "1"}


def test_probabilities_are_binned_by_one_minus_p_and_other_years_are_left_out() -> None:
    def disclosure(sequence: int, p: object, when: str = "04-01T00:00:00.000000") -> Entry:
        return entry(
            sequence, "disclosure", when, batch_id="B1", disclosure_id=f"D-{sequence}",
            tin=f"90000000{sequence}", agency="Agency A", statute="18 U.S.C. 1001",
            recipients=["O. One"], match_probability=p,
        )  # fmt: skip

    entries = [
        batch(1, "B1", 4),
        disclosure(2, 1.0),
        disclosure(3, 0.99995),
        disclosure(4, None),
        disclosure(5, 0.5, when="04-02T00:00:00.000000"),
        entry(6, "retraction", "05-01T00:00:00.000000", disclosure_id="D-5", reason="wrong",
              agency="Agency A"),
        Entry(  # a disclosure of 2025: not in the 2026 report
            7, "disclosure", "matchgate", "2025-04-02T00:00:00.000000Z",
            {"batch_id": "B1", "disclosure_id": "D-7", "tin": "1", "agency": "Agency A"}, "",
        ),
    ]  # fmt: skip
    report = build_tables(entries, year=2026, as_of="")
    bins = {r[0]: (r[2], r[3]) for r in report.table("disclosure_probabilities").rows}
    assert bins["0"] == ("1", "0.000000")
    assert bins["1e-05"] == ("1", "0.000050")
    assert bins["0.1"] == ("1", "0.500000")
    assert bins["not recorded"] == ("1", "")
    april = next(r for r in report.table("wrong_disclosures_by_month").rows if r[0] == "2026-04")
    assert april[1:5] == ("4", "0.500050", "1", "0")
    may = next(r for r in report.table("wrong_disclosures_by_month").rows if r[0] == "2026-05")
    assert may[4] == "1"
