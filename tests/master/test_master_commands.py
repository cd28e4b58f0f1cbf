"""``matchgate master prepare | status | add-year`` through the real command line."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import duckdb
import pytest

from matchgate_cli import run_matchgate

# Seconds per test (worlds, subprocesses, a model): the full suite only, not `make check`.
pytestmark = pytest.mark.slow


def matchgate(*args: object, code: int = 0) -> subprocess.CompletedProcess[str]:
    result = run_matchgate(*args)
    assert result.returncode == code, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


def test_prepare_status_add_year(small_world: Path, tmp_path: Path) -> None:
    master = small_world / "master.parquet"
    con = duckdb.connect()
    base, year = tmp_path / "base.parquet", tmp_path / "year.parquet"
    con.execute(f"COPY (SELECT * FROM '{master}' WHERE tax_year < 2025) TO '{base}'")
    con.execute(f"COPY (SELECT * FROM '{master}' WHERE tax_year = 2025) TO '{year}'")
    workspace = tmp_path / "ws"
    assert "no master is prepared" in matchgate("master", "status", "--workspace", workspace).stdout
    prepared = matchgate("master", "prepare", "--master", base, "--workspace", workspace)
    assert " taxpayers, " in prepared.stdout and "distinct names" in prepared.stdout
    matchgate("master", "add-year", "--master", year, "--workspace", workspace)
    status = json.loads(matchgate("master", "status", "--workspace", workspace, "--json").stdout)
    assert [e["tax_years"][-1] for e in status if e["current"]] == [2025]
    assert len(status) == 2 and all(e["usable"] for e in status)
    text = matchgate("master", "status", "--workspace", workspace).stdout
    assert "distinct names" in text and "(current)" in text


def test_errors_exit_with_their_codes(small_world: Path, tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    missing = matchgate(
        "master", "prepare", "--master", tmp_path / "none.csv", "--workspace", workspace, code=2
    )
    assert "none.csv: file not found" in missing.stderr
    again = matchgate(
        "master",
        "add-year",
        "--master",
        small_world / "master.parquet",
        "--workspace",
        workspace,
        code=4,
    )
    assert "no master is prepared" in again.stderr
    matchgate(
        "master", "prepare", "--master", small_world / "master.parquet", "--workspace", workspace
    )
    twice = matchgate(
        "master",
        "add-year",
        "--master",
        small_world / "master.parquet",
        "--workspace",
        workspace,
        code=2,
    )
    assert "row 1, field 'tax_year'" in twice.stderr
