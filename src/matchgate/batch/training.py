"""``matchgate train``: fit the match model on a master file and a request batch."""

from __future__ import annotations

import tempfile
from pathlib import Path

from matchgate.batch.workspace import connect_duckdb
from matchgate.intake import read_requests
from matchgate.master.build import standardizing_workers
from matchgate.match import MatchInput, MatchModel, load_requests_for_matching, prepare_master
from matchgate.match.features import PARALLEL_FROM_REQUESTS
from matchgate.match.model import train_model

__all__ = ["train_from_files"]


def train_from_files(
    *, master: Path, requests: Path, out: Path, mapping: Path | None = None
) -> MatchModel:
    """Train on the valid rows of ``requests`` against ``master``; save to ``out``."""
    request_file = read_requests(requests, mapping=mapping)
    with tempfile.TemporaryDirectory(prefix="matchgate-train-") as scratch:
        con = connect_duckdb(Path(scratch) / "train.duckdb")
        _, taxpayers = prepare_master(con, master)
        rows = [MatchInput.from_record(r) for r in request_file.records if not r.problems]
        workers = standardizing_workers(len(rows), parallel_from=PARALLEL_FROM_REQUESTS)
        load_requests_for_matching(con, rows, workers=workers)
        model = train_model(con, taxpayers=taxpayers)
        con.close()
    model.save(out)
    return model
