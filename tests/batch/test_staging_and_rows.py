"""Staged request rows and the final rows built from the stage tables."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from matchgate.batch.rows import DECISION_COLUMNS, build_final_rows, read_final_rows, write_outputs
from matchgate.batch.stages import MATCH_DECISIONS_TABLE, REVIEW_RESULTS_TABLE
from matchgate.batch.staging import read_staged_rows, stage_records
from matchgate.batch.workspace import connect_duckdb
from matchgate.decisions import Outcome, Reason
from matchgate.disclose import RESPONSE_COLUMNS
from matchgate.intake import RequestRecord

if TYPE_CHECKING:
    from conftest import StagedBatch

BAD_DOB = Reason("dob_unreadable", "The date of birth cannot be read.", field="dob")


def _records() -> list[RequestRecord]:
    return [
        RequestRecord(row_number=1, request_id="A", first_name="ANA", last_name="RUIZ"),
        RequestRecord(row_number=2, request_id="B", dob="", problems=(BAD_DOB,)),
        RequestRecord(
            row_number=3, request_id="C", first_name="ANA", last_name="RUIZ", duplicate_of=1
        ),
        RequestRecord(
            row_number=4, request_id="D", first_name="LI", last_name="WU", tin="123456789"
        ),
    ]


def test_staged_rows_come_back_exactly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MATCHGATE_CHUNK_ROWS", "3")  # two chunks
    con = connect_duckdb(tmp_path / "b.duckdb")
    seen: list[int] = []
    assert stage_records(con, _records(), progress=seen.append) == 4
    assert seen == [3, 4]
    back = list(read_staged_rows(con))
    assert [s.record for s in back] == _records()
    assert [s.row_number for s in back] == [1, 2, 3, 4]


def test_staging_again_replaces_the_rows(tmp_path: Path) -> None:
    con = connect_duckdb(tmp_path / "b.duckdb")
    stage_records(con, _records())
    assert stage_records(con, _records()[:1]) == 1
    assert [s.row_number for s in read_staged_rows(con)] == [1]


def _review_tables(con, outcomes: dict[int, str]) -> None:
    con.execute(REVIEW_RESULTS_TABLE)
    con.execute(MATCH_DECISIONS_TABLE)
    for row, outcome in outcomes.items():
        reasons = (
            json.dumps([Reason("letter_x", "A letter note.").as_dict()])
            if outcome != "ok"
            else "[]"
        )
        con.execute(
            "INSERT INTO review_results VALUES (?, ?, ?, ?, ?)",
            [row, outcome, reasons, outcome == "ok", [2024]],
        )


def test_final_rows_without_matching(tmp_path: Path) -> None:
    con = connect_duckdb(tmp_path / "b.duckdb")
    stage_records(con, _records())
    _review_tables(con, {1: "ok", 3: "ok", 4: "legally_deficient"})
    counts = build_final_rows(con, addresses={})
    assert counts == {"no_match": 2, "invalid": 1, "legally_deficient": 1}
    rows = {r.row_number: r for r in read_final_rows(con)}
    assert rows[2].outcome is Outcome.INVALID and rows[2].reasons == (BAD_DOB,)
    assert rows[4].outcome is Outcome.LEGALLY_DEFICIENT and rows[4].reasons[0].code == "letter_x"
    assert rows[3].duplicate_of == 1 and rows[3].outcome is Outcome.NO_MATCH
    assert all(r.address is None and r.disclosed_tin == "" for r in rows.values())


def test_final_rows_of_the_real_batch_agree_with_the_files(
    staged: StagedBatch, tmp_path: Path
) -> None:
    con = staged.open("final_rows", tmp_path)
    rows = list(read_final_rows(con))
    assert [r.row_number for r in rows] == list(range(1, staged.rows + 1))
    out = tmp_path / "out"
    assert write_outputs(con, out_dir=out) == staged.rows
    header, *lines = (out / "response.csv").read_text(encoding="utf-8").splitlines()
    assert header == ",".join(RESPONSE_COLUMNS)
    decisions = (out / "internal" / "decisions.csv").read_text(encoding="utf-8").splitlines()
    assert decisions[0] == ",".join(DECISION_COLUMNS)
    for row, line, internal in zip(rows, lines, decisions[1:], strict=True):
        # The requester's outcome (not_disclosed for no_match and ambiguous); the detail is
        # in the internal file only.
        answer = row.response().outcome.value
        assert line.startswith(f"{row.row_number},{row.request_id},{answer},")
        assert internal.startswith(f"{row.row_number},{row.request_id},{row.outcome.value},")
        if row.outcome is Outcome.DISCLOSED:
            assert row.address is not None and row.address.street in line
            assert row.disclosed_tin and row.disclosed_tin not in line  # no TIN leaves
    assert not list(out.rglob("*.tmp"))
