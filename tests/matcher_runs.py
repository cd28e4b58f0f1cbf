"""Hand-written masters and requests through the real matcher (features, blocking, Splink,
decision), with the model of the documented priors so tiny data does not depend on EM:
the master writer and the batch run that tests/match's tables of people share."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from matchgate.batch.pipeline import match_batch
from matchgate.intake import REQUEST_FIELDS
from matchgate.match import BatchScorer, MatchDecision, MatchModel


def write_master(
    path: Path,
    people: Iterable[tuple[str, ...]],
    years: Sequence[int] = (2023, 2024),
    histories: Iterable[tuple[object, ...]] = (),
) -> None:
    """A master file of ``people`` (tin, first, middle, last, suffix, dob, street, city,
    state, zip), each filing in every one of ``years``, and of ``histories`` (tin, year,
    then the same fields): filings year by year."""
    rows = []
    filings = [(person[0], year, *person[1:]) for person in people for year in years]
    for filing in [*filings, *histories]:
        tin, year, first, middle, last, suffix, dob, street, city, state, zip_code = filing
        rows.append(
            {
                "tin": tin,
                "tin_type": "SSN",
                "tax_year": year,
                "first_name": first,
                "middle_name": middle,
                "last_name": last,
                "suffix": suffix,
                "dob": dob,
                "street": street,
                "city": city,
                "state": state,
                "zip": zip_code,
                "employer_name": "ACME WIDGETS",
                "income": "50000",
                "dependents": "0",
            }
        )
    pq.write_table(pa.Table.from_pylist(rows), path)


def decide_requests(
    folder: Path, requests: Iterable[Sequence[object]]
) -> dict[str, dict[str, str]]:
    """Run ``folder/master.parquet`` against ``requests`` (rows of the request file's
    columns, ``REQUEST_FIELDS`` order) through ``match_batch`` and return each request's
    row of the internal decisions by request id, with ``fired_rules``: the rules that
    fired, the deciding one last, joined by ``;`` (not stored: recorded as the scorer hands
    its decisions to the batch)."""
    with (folder / "requests.csv").open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(list(REQUEST_FIELDS))
        writer.writerows(requests)
    model = folder / "model.json"
    MatchModel.from_priors().save(model)
    fired: dict[int, tuple[str, ...]] = {}
    score = BatchScorer.score

    def recording_score(self: BatchScorer, row_numbers: list[int]) -> dict[int, MatchDecision]:
        decided = score(self, row_numbers)
        fired.update({row: decision.fired_rules for row, decision in decided.items()})
        return decided

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(BatchScorer, "score", recording_score)
        match_batch(
            master=folder / "master.parquet",
            requests=folder / "requests.csv",
            out_dir=folder / "out",
            model_path=model,
        )
    with (folder / "out" / "internal" / "decisions.csv").open(encoding="utf-8") as stream:
        rows = {row["request_id"]: row for row in csv.DictReader(stream)}
    for row in rows.values():
        row["fired_rules"] = ";".join(fired[int(row["row_number"])])
    return rows


def stored_decisions(out: Path) -> dict[int, dict[str, Any]]:
    """Row number -> the decision a batch run with its workspace in ``OUT/workspace``
    stored (``match_decisions``), as JSON."""
    (database,) = (out / "workspace" / "batches").glob("*/batch.duckdb")
    con = duckdb.connect(str(database), read_only=True)
    try:
        rows = con.execute("SELECT row_number, decision_json FROM match_decisions").fetchall()
    finally:
        con.close()
    return {int(row): json.loads(text) for row, text in rows}
