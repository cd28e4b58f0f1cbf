"""Batches use the prepared master: prepared once, ATTACHed, its key in the batch id, and
the model trained once per prepared master."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pytest

from matchgate.batch.pipeline import match_batch, run_batch
from matchgate.batch.workspace import Workspace
from matchgate.master import master_status
from matchgate.match import MatchModel
from matchgate_cli import register_world_agency


def _without_latest_year(world: Path, folder: Path) -> Path:
    changed = folder / "changed-master.parquet"
    master = world / "master.parquet"
    duckdb.connect().execute(
        f"COPY (SELECT * FROM read_parquet('{master}') WHERE tax_year < "
        f"(SELECT max(tax_year) FROM read_parquet('{master}'))) TO '{changed}' "
        "(FORMAT parquet)"
    )
    return changed


def test_the_batch_id_names_the_prepared_master(small_world: Path, tmp_path: Path) -> None:
    space = Workspace.open(tmp_path / "ws")
    requests, letter = small_world / "requests.csv", small_world / "letter.toml"
    changed = _without_latest_year(small_world, tmp_path)
    same = space.batch_id(requests, letter, None, master=small_world / "master.parquet")
    assert same == space.batch_id(requests, letter, None, master=small_world / "master.parquet")
    assert same != space.batch_id(requests, letter, None, master=changed)
    assert same != space.batch_id(requests, letter, None)


@pytest.mark.slow
def test_a_changed_master_is_a_new_batch(small_world: Path, tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    register_world_agency(small_world, workspace)
    model = tmp_path / "priors.json"
    MatchModel.from_priors().save(model)
    changed = _without_latest_year(small_world, tmp_path)
    results = []
    for number, master in enumerate((small_world / "master.parquet", changed, changed)):
        results.append(
            run_batch(
                master=master,
                requests=small_world / "requests.csv",
                letter=small_world / "letter.toml",
                out_dir=tmp_path / f"out-{number}",
                workspace=workspace,
                model_path=model,
            )
        )
    first, second, again = results
    assert first.batch_id != second.batch_id  # not the old answers against a new master
    assert again.batch_id == second.batch_id and "outputs" in again.resumed_stages
    assert first.master["prepared"] != second.master["prepared"]
    assert len([e for e in master_status(workspace) if e["usable"]]) == 2
    # Disclosed years come from the master each batch ran against.
    with (tmp_path / "out-1" / "response.csv").open(encoding="utf-8") as stream:
        years = {row["disclosed_tax_year"] for row in csv.DictReader(stream)} - {""}
    with (tmp_path / "out-0" / "response.csv").open(encoding="utf-8") as stream:
        first_years = {row["disclosed_tax_year"] for row in csv.DictReader(stream)} - {""}
    assert years and first_years and max(years) < max(first_years)


@pytest.mark.slow
def test_matching_reuses_the_master_and_trains_the_model_once(
    small_world: Path, tmp_path: Path
) -> None:
    workspace = tmp_path / "ws"
    requests = small_world / "requests.csv"
    fewer = tmp_path / "fewer.csv"
    with requests.open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    with fewer.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows[:25])
    first = match_batch(
        master=small_world / "master.parquet",
        requests=requests,
        out_dir=tmp_path / "a",
        workspace=workspace,
    )
    [entry] = master_status(workspace)
    model = Path(str(entry["folder"])) / "model.json"
    trained = json.loads(model.read_text())["trained"]
    assert not (workspace / "model.json").exists()
    second = match_batch(
        master=small_world / "master.parquet",
        requests=fewer,
        out_dir=tmp_path / "b",
        workspace=workspace,
    )
    assert json.loads(model.read_text())["trained"] == trained  # reused, not retrained
    assert second.matching["model_trained"] == first.matching["model_trained"]
    assert [e["key"] for e in master_status(workspace)] == [entry["key"]]
    # Nothing of the master was copied into the batch's own database.
    database = workspace / "batches" / second.batch_id / "batch.duckdb"
    con = duckdb.connect(str(database), read_only=True)
    tables = {t for (t,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert not tables & {"taxpayer_features", "taxpayer_addresses", "mk_address"}
