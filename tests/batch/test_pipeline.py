"""``run_batch`` end to end in-process: the ledger before any file with an address."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from matchgate.batch.pipeline import run_batch
from matchgate.batch.state import BatchStages
from matchgate.batch.workspace import Workspace
from matchgate.errors import LedgerError
from matchgate_cli import register_world_agency

if TYPE_CHECKING:
    from conftest import StagedBatch


@pytest.mark.slow
def test_unreachable_ledger_then_reachable(staged: StagedBatch, tmp_path: Path) -> None:
    out, workspace = tmp_path / "out", tmp_path / "ws"
    register_world_agency(staged.world, workspace)

    def run(ledger_url: str | None = None):
        return run_batch(
            master=staged.world / "master.parquet",
            requests=staged.requests,
            letter=staged.letter_path,
            out_dir=out,
            workspace=workspace,
            model_path=staged.model,
            ledger_url=ledger_url,
        )

    with pytest.raises(LedgerError):
        run("sqlite:////nonexistent-matchgate-folder/ledger.sqlite")
    assert not out.exists() or not [p for p in out.rglob("*") if p.is_file()]
    space = Workspace.open(workspace)
    con = space.batch_database(staged.results["batch_id"])
    state = BatchStages(con)
    # Stopped at the first stage that needs the ledger (repeat requests, then the ledger
    # itself): nothing recorded, nothing written.
    assert state.done("match") and not state.done("ledger") and not state.done("outputs")
    con.close()

    result = run()
    assert result.resumed_stages == ["intake", "review", "match"]
    assert result.outcomes == staged.results["outcomes"]
    assert result.rows_out == staged.rows
    assert (out / "response.csv").is_file() and (out / "summary.json").is_file()
    again = run()
    assert again.resumed_stages == ["intake", "review", "match", "ledger", "outputs"]
