"""One small batch run stage by stage, with the batch database saved after each stage.

The session generates a 500-person world with 40 synthetic requests, appends a repeated
row and an unreadable one, and runs the stages of ``matchgate.batch.stages`` in order (the
ledger before the output files, as ``run_batch`` does) on a workspace of its own, with the
prior (untrained) model so no training time is spent. After each stage the database is
closed and copied, so a test can open the batch exactly as it stood after any stage and
run the next one on its own copy.
"""

from __future__ import annotations

import csv
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pytest

from matchgate.batch import stages
from matchgate.batch.ledger_entries import record_batch
from matchgate.batch.state import BatchStages
from matchgate.batch.workspace import Workspace, connect_duckdb
from matchgate.match import MatchPolicy
from matchgate.match.model import MatchModel
from matchgate.review import Policy, RequestLetter, load_letter
from matchgate.review.signing import load_private_key, sign_letter_file
from matchgate.synth import generate_world

SYNTH_ROWS = 40
ROWS = SYNTH_ROWS + 2  # one row repeating row 1, one unreadable row
DUPLICATE_ROW = SYNTH_ROWS + 1
INVALID_ROW = SYNTH_ROWS + 2
SNAPSHOTS = ("intake", "review", "match", "final_rows", "ledger", "outputs")


def _no_progress(stage: str, done: int, total: int | None) -> None:
    return None


@dataclass
class StagedBatch:
    world: Path
    requests: Path
    letter_path: Path
    letter: RequestLetter
    model: Path
    snapshots: dict[str, Path] = field(default_factory=dict)
    results: dict[str, Any] = field(default_factory=dict)
    rows: int = ROWS
    duplicate_row: int = DUPLICATE_ROW
    invalid_row: int = INVALID_ROW

    @staticmethod
    def no_progress(stage: str, done: int, total: int | None) -> None:
        return None

    def open(self, after: str, folder: Path) -> duckdb.DuckDBPyConnection:
        """A connection to a private copy of the batch database as it was after ``after``."""
        folder.mkdir(parents=True, exist_ok=True)
        copy = folder / f"batch-{after}.duckdb"
        shutil.copyfile(self.snapshots[after], copy)
        return connect_duckdb(copy)


def _write_requests(world: Path, out: Path) -> None:
    with (world / "requests.csv").open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    fields = list(rows[0])
    repeated = {**rows[0], "request_id": "REQ-REPEAT"}
    unreadable = {**rows[1], "request_id": "REQ-BAD-DOB", "dob": "1966-13-45"}
    with out.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows([*rows, repeated, unreadable])


@pytest.fixture(scope="session")
def staged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StagedBatch]:
    root = tmp_path_factory.mktemp("batch-stages")
    world = root / "world"
    generate_world(world, people=500, requests=SYNTH_ROWS, seed=11)
    requests = root / "requests.csv"
    _write_requests(world, requests)
    # The agency signs its letter for the file it sends (the staged rows, not the world's).
    sign_letter_file(
        key=load_private_key(world / "agency.key"), letter=world / "letter.toml", requests=requests
    )
    model = root / "priors.json"
    MatchModel.from_priors().save(model)
    batch = StagedBatch(
        world=world,
        requests=requests,
        letter_path=world / "letter.toml",
        letter=load_letter(world / "letter.toml"),
        model=model,
    )
    space = Workspace.open(root / "workspace")
    batch_id = space.batch_id(requests, batch.letter_path, None, master=world / "master.parquet")
    database = space.batch_folder(batch_id) / "batch.duckdb"
    batch.results["batch_id"] = batch_id
    snapshots = root / "snapshots"
    snapshots.mkdir()

    def snapshot(name: str, con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
        con.close()
        shutil.copyfile(database, snapshots / f"{name}.duckdb")
        batch.snapshots[name] = snapshots / f"{name}.duckdb"
        return connect_duckdb(database)

    con = connect_duckdb(database)
    state = BatchStages(con)
    rows_in = stages.intake(con, state, requests=requests, mapping=None, progress=_no_progress)
    batch.results["rows_in"] = rows_in
    con = snapshot("intake", con)
    state = BatchStages(con)
    batch.results["letter"] = stages.review(
        con,
        state,
        letter=batch.letter,
        policy=Policy.load(None),
        rows_in=rows_in,
        progress=_no_progress,
    )
    con = snapshot("review", con)
    state = BatchStages(con)
    batch.results["match"] = stages.match(
        con,
        state,
        master=world / "master.parquet",
        to_match=stages.rows_to_match(con, reviewed=True),
        model_path=model,
        policy=MatchPolicy(),
        progress=_no_progress,
        watch=stages.Stopwatch(),
    )
    con = snapshot("match", con)
    state = BatchStages(con)
    batch.results["outcomes"] = stages.final_rows(con, state, all_years=False)
    con = snapshot("final_rows", con)
    state = BatchStages(con)
    batch.results["ledger_entries"] = record_batch(
        con,
        space,
        batch_id=batch_id,
        letter=batch.letter,
        requests_path=requests,
        rows_in=rows_in,
        policy_sha256="",
        actor="tester",
    )
    state.mark("ledger")
    con = snapshot("ledger", con)
    state = BatchStages(con)
    batch.results["rows_out"] = stages.outputs(
        con, state, out_dir=root / "out", with_response=True, progress=_no_progress
    )
    con = snapshot("outputs", con)
    con.close()
    yield batch
