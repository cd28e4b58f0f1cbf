"""Each stage of ``matchgate.batch.stages`` on its own copy of the small staged batch."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pytest

from matchgate.batch import stages
from matchgate.batch.rows import read_final_rows
from matchgate.batch.state import BatchStages
from matchgate.match import MatchPolicy
from matchgate.review import Policy

if TYPE_CHECKING:
    from conftest import StagedBatch

ROWS = 42
DUPLICATE_ROW = 41
INVALID_ROW = 42


def _no_progress(stage: str, done: int, total: int | None) -> None:
    return None


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_intake_stages_every_row_and_records_the_count(staged: StagedBatch, tmp_path) -> None:
    assert (staged.rows, staged.duplicate_row, staged.invalid_row) == (
        ROWS,
        DUPLICATE_ROW,
        INVALID_ROW,
    )
    con = staged.open("intake", tmp_path)
    state = BatchStages(con)
    assert staged.results["rows_in"] == ROWS == _count(con, "request_rows")
    info = state.info("intake")
    assert info is not None
    assert info["rows_in"] == ROWS and info["unknown_columns"] == []
    assert info["columns_mapped"]["dob"] == "dob" and len(info["columns_mapped"]) == 15
    problems = dict(con.execute("SELECT row_number, problems FROM request_rows").fetchall())
    assert [row for row, text in problems.items() if text != "[]"] == [INVALID_ROW]
    assert json.loads(problems[INVALID_ROW])[0]["field"] == "dob"
    (duplicate_of,) = con.execute(
        "SELECT duplicate_of FROM request_rows WHERE row_number = ?", [DUPLICATE_ROW]
    ).fetchone()
    assert duplicate_of == 1


def test_intake_done_is_not_read_again(staged: StagedBatch, tmp_path: Path) -> None:
    con = staged.open("intake", tmp_path)
    missing = tmp_path / "gone.csv"  # a re-run never opens the request file again
    rows = stages.intake(
        con, BatchStages(con), requests=missing, mapping=None, progress=_no_progress
    )
    assert rows == ROWS


def test_intake_of_a_missing_file_is_an_input_error(staged: StagedBatch, tmp_path) -> None:
    from matchgate.errors import InputError

    con = staged.open("review", tmp_path)
    state = BatchStages(con)
    state.clear("intake")
    with pytest.raises(InputError):
        stages.intake(
            con, state, requests=tmp_path / "gone.csv", mapping=None, progress=_no_progress
        )
    assert not state.done("intake")


def _review(con, staged: StagedBatch) -> dict[str, object]:
    return stages.review(
        con,
        BatchStages(con),
        letter=staged.letter,
        policy=Policy.load(None),
        rows_in=ROWS,
        progress=_no_progress,
    )


def test_review_reviews_every_readable_row(staged: StagedBatch, tmp_path: Path) -> None:
    con = staged.open("review", tmp_path)
    assert BatchStages(con).done("review")
    assert staged.results["letter"] == {"outcome": "accepted", "reason_codes": ""}
    reviewed = {r for (r,) in con.execute("SELECT row_number FROM review_results").fetchall()}
    assert reviewed == set(range(1, ROWS + 1)) - {INVALID_ROW}
    outcomes = dict(
        con.execute("SELECT outcome, count(*) FROM review_results GROUP BY 1").fetchall()
    )
    assert outcomes.get("legally_deficient") == staged.results["outcomes"]["legally_deficient"]
    # The repeated row is reviewed but not matched again.
    (to_match,) = con.execute(
        "SELECT to_match FROM review_results WHERE row_number = ?", [DUPLICATE_ROW]
    ).fetchone()
    assert to_match is False


def test_review_resumes_after_the_last_stored_chunk(staged: StagedBatch, tmp_path: Path) -> None:
    con = staged.open("review", tmp_path)
    before = con.execute("SELECT * FROM review_results ORDER BY row_number").fetchall()
    con.execute("DELETE FROM review_results WHERE row_number > 15")
    BatchStages(con).clear("review")
    _review(con, staged)
    after = con.execute("SELECT * FROM review_results ORDER BY row_number").fetchall()
    assert after == before
    assert BatchStages(con).done("review")


def test_review_done_changes_nothing(staged: StagedBatch, tmp_path: Path) -> None:
    con = staged.open("review", tmp_path)
    con.execute("DELETE FROM review_results WHERE row_number > 15")
    summary = _review(con, staged)
    assert summary == staged.results["letter"]
    assert _count(con, "review_results") == 15  # done: nothing reviewed again


def test_rows_to_match(staged: StagedBatch, tmp_path: Path) -> None:
    con = staged.open("review", tmp_path)
    reviewed = stages.rows_to_match(con, reviewed=True)
    deficient = {
        r
        for (r,) in con.execute(
            "SELECT row_number FROM review_results WHERE outcome = 'legally_deficient'"
        ).fetchall()
    }
    assert deficient and not deficient & reviewed
    assert reviewed == set(range(1, ROWS + 1)) - {INVALID_ROW, DUPLICATE_ROW} - deficient
    assert stages.rows_to_match(con, reviewed=False) == set(range(1, ROWS + 1)) - {INVALID_ROW}


def test_match_decides_every_row_sent_to_it(staged: StagedBatch, tmp_path: Path) -> None:
    con = staged.open("match", tmp_path)
    state = BatchStages(con)
    decided = {r for (r,) in con.execute("SELECT row_number FROM match_decisions").fetchall()}
    assert decided == stages.rows_to_match(con, reviewed=True)
    master, matching = staged.results["match"]
    assert master["taxpayers"] == 500 and master["rows"] > 500
    assert matching["pairs"] > 0 and matching["model_trained"] == ""
    assert state.info("match") == {"master": master, "matching": matching}
    assert state.done("master")


def _match(con, staged: StagedBatch, to_match: set[int], model: Path):
    return stages.match(
        con,
        BatchStages(con),
        master=staged.world / "master.parquet",
        to_match=to_match,
        model_path=model,
        policy=MatchPolicy(),
        progress=_no_progress,
        watch=stages.Stopwatch(),
    )


def test_match_done_returns_what_it_recorded(staged: StagedBatch, tmp_path: Path) -> None:
    con = staged.open("match", tmp_path)
    missing_model = tmp_path / "no-model.json"
    assert _match(con, staged, {1, 2, 3}, missing_model) == staged.results["match"]
    assert not missing_model.exists()  # nothing trained, nothing scored


def test_stopwatch_adds_up_a_stage_that_laps_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = iter([0.0, 1.0, 3.0, 3.5, 7.5])
    monkeypatch.setattr(stages.time, "perf_counter", lambda: next(clock))
    watch = stages.Stopwatch()
    for name in ("master", "match", "train", "match"):
        watch.lap(name)
    assert watch.timings == {"master": 1.0, "match": 6.0, "train": 0.5}


def test_match_laps_training_apart_and_says_whether_it_trained(
    staged: StagedBatch, tmp_path: Path
) -> None:
    con = staged.open("review", tmp_path)
    watch = stages.Stopwatch()
    _, matching = stages.match(
        con,
        BatchStages(con),
        master=staged.world / "master.parquet",
        to_match=stages.rows_to_match(con, reviewed=True),
        model_path=staged.model,  # saved before: read, not trained
        policy=MatchPolicy(),
        progress=_no_progress,
        watch=watch,
    )
    assert list(watch.timings) == ["master", "match", "train"]
    assert matching["model_trained_in_this_batch"] is False
    assert matching == staged.results["match"][1] | {"model_trained_in_this_batch": False}


def test_match_says_when_this_batch_trained_the_model(
    staged: StagedBatch, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from matchgate.match.model import MatchModel

    def train_instead(con, *, taxpayers: int, model_path: Path) -> MatchModel:  # type: ignore[no-untyped-def]
        model = MatchModel.from_priors()  # as training would, saved where asked
        model.save(model_path)
        return model

    monkeypatch.setattr(stages, "ensure_model", train_instead)
    con = staged.open("review", tmp_path)
    new_model = tmp_path / "new-model.json"
    _, matching = _match(con, staged, stages.rows_to_match(con, reviewed=True), new_model)
    assert new_model.exists() and matching["model_trained_in_this_batch"] is True


def test_match_with_nothing_to_match(staged: StagedBatch, tmp_path: Path) -> None:
    con = staged.open("review", tmp_path)
    assert _match(con, staged, set(), tmp_path / "no-model.json") == ({}, {})
    assert _count(con, "match_decisions") == 0
    assert not BatchStages(con).done("match")


def test_final_rows_one_per_input_row(staged: StagedBatch, tmp_path: Path) -> None:
    con = staged.open("final_rows", tmp_path)
    outcomes = staged.results["outcomes"]
    assert sum(outcomes.values()) == ROWS == _count(con, "final_rows")
    assert outcomes["invalid"] == 1 and outcomes["disclosed"] > 0
    assert BatchStages(con).info("final_rows") == {"outcomes": outcomes}
    rows = {row.row_number: row for row in read_final_rows(con)}
    assert rows[INVALID_ROW].outcome.value == "invalid"
    assert rows[DUPLICATE_ROW].outcome is rows[1].outcome
    assert rows[DUPLICATE_ROW].address == rows[1].address
    for row in rows.values():
        assert (row.address is not None) == (row.outcome.value == "disclosed")
    disclosed = stages.disclosed_addresses(con, all_years=False)
    assert set(disclosed) == {
        r for r, row in rows.items() if row.outcome.value == "disclosed" and r != DUPLICATE_ROW
    }


def test_final_rows_done_is_not_rebuilt(staged: StagedBatch, tmp_path: Path) -> None:
    con = staged.open("final_rows", tmp_path)
    con.execute("DELETE FROM final_rows WHERE row_number = 1")
    outcomes = stages.final_rows(con, BatchStages(con), all_years=False)
    assert outcomes == staged.results["outcomes"]
    assert _count(con, "final_rows") == ROWS - 1


def test_final_rows_rebuilt_when_not_done(staged: StagedBatch, tmp_path: Path) -> None:
    con = staged.open("match", tmp_path)
    assert stages.final_rows(con, BatchStages(con), all_years=False) == staged.results["outcomes"]
    assert _count(con, "final_rows") == ROWS


def _outputs(con, out: Path, *, with_response: bool = True) -> int:
    return stages.outputs(
        con, BatchStages(con), out_dir=out, with_response=with_response, progress=_no_progress
    )


def test_outputs_writes_both_files(staged: StagedBatch, tmp_path: Path) -> None:
    con = staged.open("ledger", tmp_path)
    out = tmp_path / "out"
    assert _outputs(con, out) == ROWS
    response = (out / "response.csv").read_text(encoding="utf-8").splitlines()
    decisions = (out / "internal" / "decisions.csv").read_text(encoding="utf-8").splitlines()
    assert len(response) == len(decisions) == ROWS + 1
    assert response[0].startswith("row_number,request_id,outcome")
    assert (
        sum(",disclosed," in line for line in response[1:])
        == staged.results["outcomes"]["disclosed"]
    )
    assert sorted(p.name for p in out.rglob("*")) == ["decisions.csv", "internal", "response.csv"]
    info = BatchStages(con).info("outputs")
    assert info is not None and info["rows_out"] == ROWS and info["out_dir"] == str(out.resolve())


def test_outputs_in_place_are_not_written_again(staged: StagedBatch, tmp_path: Path) -> None:
    con = staged.open("ledger", tmp_path)
    out = tmp_path / "out"
    _outputs(con, out)
    stamp = (out / "response.csv").stat().st_mtime_ns
    assert _outputs(con, out) == ROWS
    assert (out / "response.csv").stat().st_mtime_ns == stamp


def test_outputs_rewritten_when_changed_or_moved(staged: StagedBatch, tmp_path: Path) -> None:
    con = staged.open("ledger", tmp_path)
    out = tmp_path / "out"
    _outputs(con, out)
    good = (out / "response.csv").read_bytes()
    (out / "response.csv").write_bytes(good[:-10])
    _outputs(con, out)
    assert (out / "response.csv").read_bytes() == good
    elsewhere = tmp_path / "elsewhere"
    _outputs(con, elsewhere)
    assert (elsewhere / "response.csv").read_bytes() == good


def test_outputs_without_response(staged: StagedBatch, tmp_path: Path) -> None:
    con = staged.open("final_rows", tmp_path)
    out = tmp_path / "out"
    assert _outputs(con, out, with_response=False) == ROWS
    assert not (out / "response.csv").exists()
    assert not list(out.rglob("*.tmp"))
    assert BatchStages(con).info("outputs")["response_sha256"] == ""


def test_no_response_is_written_before_the_ledger_holds_it(
    staged: StagedBatch, tmp_path: Path
) -> None:
    from matchgate.errors import MatchgateError

    con = staged.open("final_rows", tmp_path)
    out = tmp_path / "out"
    with pytest.raises(MatchgateError, match="before the ledger"):
        _outputs(con, out)
    assert not out.exists() or not list(out.rglob("*"))
    assert not BatchStages(con).done("outputs")


def test_ledger_stage_is_done_before_the_outputs(staged: StagedBatch, tmp_path: Path) -> None:
    con = staged.open("ledger", tmp_path)
    state = BatchStages(con)
    assert state.done("ledger") and not state.done("outputs")
    assert (
        staged.results["ledger_entries"] == 1 + ROWS + staged.results["outcomes"]["disclosed"] - 1
    )
