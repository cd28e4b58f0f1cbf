"""Request features in several processes: the same table, in the same order, as in one.

A large batch (and training on a large request file) standardizes its requests in one
process per core (:func:`matchgate.match.features.request_feature_rows`); the chunk size
and the threshold are made small here so a small world spans several processes' tasks.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pytest

from matchgate.batch.pipeline import match_batch
from matchgate.fields import REQUEST_FIELDS
from matchgate.intake.read import record_from_fields
from matchgate.match import MatchInput
from matchgate.match import features as features_module
from matchgate.match.features import request_feature_rows
from matchgate.match.model import MatchModel
from matchgate.synth import generate_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("parallel") / "world"
    generate_world(folder, people=1_500, requests=300, seed=41, request_mix="noisy")
    return folder


def _inputs(world: Path) -> list[MatchInput]:
    with (world / "requests.csv").open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    return [
        MatchInput.from_record(
            record_from_fields(number, {name: row.get(name, "") for name in REQUEST_FIELDS})
        )
        for number, row in enumerate(rows, start=1)
    ]


def test_features_in_two_processes_are_the_features_in_one(
    world: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(features_module, "REQUEST_CHUNK", 40)
    monkeypatch.setattr(features_module, "PARALLEL_FROM_REQUESTS", 80)
    inputs = _inputs(world)
    one = request_feature_rows(inputs)
    two = request_feature_rows(iter(inputs), workers=2)  # any iterable, as in one
    assert two.num_rows == len(inputs) == 300
    assert two.to_batches()[0].num_rows == 40  # several tasks, put back in order
    assert two.equals(one)
    # below the threshold one process does it all: the same table
    assert request_feature_rows(inputs[:79], workers=2).equals(one.slice(0, 79))


def test_an_error_in_a_worker_reaches_the_caller(
    world: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(features_module, "REQUEST_CHUNK", 40)
    monkeypatch.setattr(features_module, "PARALLEL_FROM_REQUESTS", 80)
    row = features_module.request_feature_row

    def failing(request: MatchInput) -> dict[str, object]:
        if request.row_number == 170:
            raise ValueError("cannot standardize row 170")
        return row(request)

    monkeypatch.setattr(features_module, "request_feature_row", failing)
    with pytest.raises(ValueError, match="row 170"):
        request_feature_rows(_inputs(world), workers=2)


def _decisions(out: Path) -> dict[int, dict[str, object]]:
    (database,) = (out / "workspace" / "batches").glob("*/batch.duckdb")
    con = duckdb.connect(str(database), read_only=True)
    try:
        rows = con.execute("SELECT row_number, decision_json FROM match_decisions").fetchall()
    finally:
        con.close()
    return {int(number): json.loads(text) for number, text in rows}


def test_a_batch_standardizing_in_two_processes_decides_as_in_one(
    world: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = tmp_path / "model.json"
    MatchModel.from_priors().save(model)
    arguments = {
        "master": world / "master.parquet",
        "requests": world / "requests.csv",
        "model_path": model,
    }
    match_batch(**arguments, out_dir=tmp_path / "one")
    monkeypatch.setenv("MATCHGATE_PREPARE_WORKERS", "2")
    monkeypatch.setattr(features_module, "REQUEST_CHUNK", 40)
    monkeypatch.setattr("matchgate.batch.stages.PARALLEL_FROM_REQUESTS", 80)
    monkeypatch.setattr(features_module, "PARALLEL_FROM_REQUESTS", 80)
    tasks: list[int] = []
    submitted = features_module._in_processes

    def spying(make, chunks, workers):  # type: ignore[no-untyped-def]
        chunks = list(chunks)
        tasks.extend(len(chunk) for chunk in chunks)
        assert workers == 2
        return submitted(make, chunks, workers)

    monkeypatch.setattr(features_module, "_in_processes", spying)
    match_batch(**arguments, out_dir=tmp_path / "two")
    assert len(tasks) >= 3 and max(tasks) == 40
    one, two = _decisions(tmp_path / "one"), _decisions(tmp_path / "two")
    assert one == two and len(one) > 200
