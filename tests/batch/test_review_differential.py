"""The batch review answers every row exactly as the rules run one row at a time do.

The stage reads only readable rows after the last reviewed one, takes the batch's facts
from four staged columns, and answers rows with the same field values from one run of
each rule (``RULE_FIELDS``). Here a generated world's requests, with many rows repeating
another's statute, periods, case number, reason or address and some unreadable ones, are
reviewed by the stage and by every rule on every row (``RULE_FIELDS`` emptied, facts
observed from whole records, as before): the stored outcomes, reasons and tax years must
be identical, with the cache tiny (cleared again and again) and with no cache at all.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

import matchgate.batch.stages as stages_module
import matchgate.review.engine as engine
from matchgate.batch import stages
from matchgate.batch.staging import read_staged_rows
from matchgate.batch.state import BatchStages
from matchgate.batch.workspace import connect_duckdb
from matchgate.review import BatchFacts, Policy, load_letter
from matchgate.synth import generate_world

_RESULTS = "SELECT * FROM review_results ORDER BY row_number"


def _no_progress(stage: str, done: int, total: int | None) -> None:
    return None


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("review-diff")
    generate_world(root, people=600, requests=500, seed=23, legal_deficiency_rate=0.2)
    path = root / "requests.csv"
    with path.open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    extra = []
    for i, row in enumerate(rows[:120]):
        other = rows[(i * 7 + 3) % len(rows)]
        field = ("statute", "tax_periods", "case_number", "reason", "street")[i % 5]
        extra.append({**row, "request_id": f"MIX-{i}", field: other[field]})
    extra.append({**rows[2], "request_id": "BAD-DOB", "dob": "1970-02-31"})
    extra.append({**rows[3], "request_id": "AGAIN"})  # a repeated row
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows([*rows, *extra])
    return root


def _review(world: Path, folder: Path) -> list[tuple[object, ...]]:
    folder.mkdir()
    con = connect_duckdb(folder / "batch.duckdb")
    state = BatchStages(con)
    rows_in = stages.intake(
        con, state, requests=world / "requests.csv", mapping=None, progress=_no_progress
    )
    stages.review(
        con,
        state,
        letter=load_letter(world / "letter.toml"),
        policy=Policy.load(None),
        rows_in=rows_in,
        progress=_no_progress,
    )
    results = con.execute(_RESULTS).fetchall()
    con.close()
    return results


def _observed_facts(con: object) -> BatchFacts:
    facts = BatchFacts()
    for staged in read_staged_rows(con):  # type: ignore[arg-type]
        facts.observe(staged.record)
    return facts


def test_the_batch_review_equals_every_rule_on_every_row(
    world: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    batch = _review(world, tmp_path / "batch")
    monkeypatch.setattr(engine, "_CACHE_LIMIT", 3)
    tiny_cache = _review(world, tmp_path / "tiny")
    monkeypatch.setattr(engine, "RULE_FIELDS", {})
    monkeypatch.setattr(stages_module, "_batch_facts", _observed_facts)
    reference = _review(world, tmp_path / "reference")
    assert len(reference) == 500 + 120 + 1  # every readable row reviewed; the bad DOB not
    outcomes = {row[1] for row in reference}
    assert {"accepted", "legally_deficient"} <= outcomes  # the world exercises the rules
    assert batch == reference
    assert tiny_cache == reference


def test_the_facts_from_staged_columns_equal_those_of_whole_records(
    world: Path, tmp_path: Path
) -> None:
    con = connect_duckdb(tmp_path / "batch.duckdb")
    stages.intake(
        con,
        BatchStages(con),
        requests=world / "requests.csv",
        mapping=None,
        progress=_no_progress,
    )
    observed, staged = _observed_facts(con), stages_module._batch_facts(con)
    assert (staged.row_count, staged.invalid_count, staged.duplicate_count) == (
        observed.row_count,
        observed.invalid_count,
        observed.duplicate_count,
    )
    assert staged.invalid_count >= 1 and staged.duplicate_count >= 1
    assert staged.most_common_reasons(50) == observed.most_common_reasons(50)
    assert staged.distinct_reasons == observed.distinct_reasons
    assert staged.distinct_case_numbers == observed.distinct_case_numbers


def test_a_reviewer_whose_facts_grow_judges_with_the_new_counts() -> None:
    """Cached findings never outlive the facts they were judged with."""
    from matchgate.intake import RequestRecord

    letter = load_letter(Path(__file__).parents[1] / "review" / "corpus" / "letters" / "good.toml")
    policy = Policy(reason_boilerplate_min_rows=4, reason_boilerplate_share=0.5)
    text = "Subject is wanted on a federal warrant for wire fraud in Ohio."
    record = RequestRecord(row_number=1, reason=text, case_number="X")
    facts = BatchFacts()
    for _ in range(4):
        facts.observe_fields(reason=f"{text} {_}", case_number="X", invalid=False, duplicate=False)
    decision = engine.review_letter(letter, facts=facts, policy=policy)
    reviewer = engine.RowReviewer(
        letter=letter, letter_decision=decision, facts=facts, policy=policy
    )
    codes = {r.code for r in reviewer.review(record).reasons}
    assert "reason_boilerplate" not in codes
    for _ in range(6):
        facts.observe_fields(reason=text, case_number="X", invalid=False, duplicate=False)
    assert "reason_boilerplate" in {r.code for r in reviewer.review(record).reasons}
