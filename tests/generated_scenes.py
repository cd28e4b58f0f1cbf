"""A generated world ready for scoring: its master prepared and attached, its valid requests
loaded as request features and a model trained on them. The batch's scorer, the look-up's
compiled scorer and the replay of Splink's predict are each tested on one of these."""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import duckdb

from matchgate.batch.workspace import connect_duckdb
from matchgate.intake.read import record_from_fields
from matchgate.master import attach_prepared, ensure_prepared
from matchgate.match import MatchInput, MatchModel
from matchgate.match.engine import load_requests_for_matching
from matchgate.match.model import train_model
from matchgate.synth import generate_world


@dataclasses.dataclass
class Scene:
    con: duckdb.DuckDBPyConnection
    requests: list[MatchInput]
    model: MatchModel
    taxpayers: int


def generated_scene(
    folder: Path,
    *,
    people: int,
    requests: int,
    seed: int,
    mix: str = "stress",
    database: Path | None = None,
) -> Scene:
    """Generate a world in ``folder/world``, prepare its master in ``folder/ws`` and attach
    it to a DuckDB connection (in memory, or the file ``database``: a batch's), load the
    requests intake accepts and train a model on them."""
    world = folder / "world"
    generate_world(world, people=people, requests=requests, seed=seed, request_mix=mix)
    prepared = ensure_prepared(world / "master.parquet", folder / "ws")
    con = connect_duckdb(database or ":memory:")
    attach_prepared(con, prepared)
    with (world / "requests.csv").open(encoding="utf-8", newline="") as stream:
        records = [record_from_fields(n, row) for n, row in enumerate(csv.DictReader(stream), 1)]
    loaded = [MatchInput.from_record(r) for r in records if not r.problems]
    load_requests_for_matching(con, loaded)
    model = train_model(con, taxpayers=prepared.taxpayers)
    return Scene(con=con, requests=loaded, model=model, taxpayers=prepared.taxpayers)
