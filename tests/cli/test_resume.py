"""kill -9 at any stage, run the same command again: the batch finishes with the response
an uninterrupted run writes, no ledger entry twice, no disclosure recorded twice."""

from __future__ import annotations

import collections
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from matchgate.batch.faults import KILL_POINTS
from matchgate_cli import run_args, run_matchgate

pytestmark = pytest.mark.slow  # kill -9 at every stage of real runs

CHUNK_ROWS = "60"


def matchgate(*args: object, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_matchgate(*args, env={"MATCHGATE_CHUNK_ROWS": CHUNK_ROWS, **(env or {})})


def run_with_model(world: Path, out: Path, model: Path) -> list[object]:
    return [*run_args(world, out), "--model", model]


def ledger_entries(workspace: Path, tmp: Path) -> list[dict]:
    export = tmp / f"export-{time.monotonic_ns()}.jsonl"
    result = matchgate("ledger", "export", "--out", export, "--workspace", workspace)
    assert result.returncode == 0, result.stderr
    entries = [json.loads(line) for line in export.read_text().splitlines()]
    return [e for e in entries if e.get("kind") not in (None, "checkpoint")]


def comparable(entries: list[dict]) -> list[tuple[str, str, str]]:
    return sorted(
        (e["kind"], e["idempotency_key"], json.dumps(e["payload"], sort_keys=True)) for e in entries
    )


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("resume")
    world = root / "world"
    assert (
        matchgate(
            "generate", "--people", 2000, "--requests", 400, "--seed", 5, "--out", world
        ).returncode
        == 0
    )
    model = root / "model.json"
    assert (
        matchgate(
            "train",
            "--master",
            world / "master.parquet",
            "--requests",
            world / "requests.csv",
            "--out",
            model,
        ).returncode
        == 0
    )
    out = root / "uninterrupted"
    result = matchgate(*run_with_model(world, out, model))
    assert result.returncode == 0, result.stderr
    return {
        "world": world,
        "model": model,
        "response": (out / "response.csv").read_bytes(),
        "decisions": (out / "internal" / "decisions.csv").read_bytes(),
        "entries": comparable(ledger_entries(out / "workspace", root)),
    }


def check_finished_like_reference(out: Path, reference: dict, tmp: Path) -> None:
    assert (out / "response.csv").read_bytes() == reference["response"]
    assert (out / "internal" / "decisions.csv").read_bytes() == reference["decisions"]
    entries = ledger_entries(out / "workspace", tmp)
    keys = collections.Counter(e["idempotency_key"] for e in entries)
    assert max(keys.values()) == 1, "an entry was recorded twice"
    assert comparable(entries) == reference["entries"]
    verify = matchgate("ledger", "verify", "--workspace", out / "workspace")
    assert verify.returncode == 0, verify.stdout + verify.stderr


POINTS = [*KILL_POINTS, "intake_chunk#3", "review_chunk#2", "match_chunk#2", "ledger_chunk#2"]


@pytest.mark.parametrize("point", POINTS)
def test_kill_at_point_then_rerun(reference: dict, tmp_path: Path, point: str) -> None:
    out = tmp_path / "out"
    args = run_with_model(reference["world"], out, reference["model"])
    killed = matchgate(*args, env={"MATCHGATE_KILL_AT": point})
    assert killed.returncode == -signal.SIGKILL, (point, killed.returncode, killed.stderr[-500:])
    finished = matchgate(*args)
    assert finished.returncode == 0, finished.stderr
    check_finished_like_reference(out, reference, tmp_path)


@pytest.mark.parametrize("delay", [1.5, 4.0])
def test_kill_from_outside_at_a_moment(reference: dict, tmp_path: Path, delay: float) -> None:
    out = tmp_path / "out"
    args = run_with_model(reference["world"], out, reference["model"])
    process = subprocess.Popen(
        [sys.executable, "-m", "matchgate", *map(str, args)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "MATCHGATE_CHUNK_ROWS": CHUNK_ROWS},
    )
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    finished = matchgate(*args)
    assert finished.returncode == 0, finished.stderr
    check_finished_like_reference(out, reference, tmp_path)


def test_rerunning_a_finished_batch_changes_nothing(reference: dict, tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = run_with_model(reference["world"], out, reference["model"])
    assert matchgate(*args).returncode == 0
    outputs = [*out.rglob("*.csv"), out / "summary.json"]
    before = {p: p.stat().st_mtime_ns for p in outputs}
    entries_before = ledger_entries(out / "workspace", tmp_path)
    assert matchgate(*args).returncode == 0
    assert {p: p.stat().st_mtime_ns for p in outputs} == before
    assert ledger_entries(out / "workspace", tmp_path) == entries_before


def test_corrupted_workspace_gives_a_clear_error(reference: dict, tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = run_with_model(reference["world"], out, reference["model"])
    killed = matchgate(*args, env={"MATCHGATE_KILL_AT": "after_review"})
    assert killed.returncode == -signal.SIGKILL
    (database,) = (out / "workspace" / "batches").glob("*/batch.duckdb")
    database.write_bytes(b"this is not a database" * 100)
    broken = matchgate(*args)
    assert broken.returncode == 4, broken.stderr
    assert "batch.duckdb" in broken.stderr and "Traceback" not in broken.stderr
    assert "remove the folder" in broken.stderr


def test_corrupted_ledger_gives_a_clear_error(reference: dict, tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = run_with_model(reference["world"], out, reference["model"])
    assert matchgate(*args).returncode == 0
    (out / "workspace" / "ledger.sqlite").write_bytes(b"garbage" * 1000)
    verify = matchgate("ledger", "verify", "--workspace", out / "workspace")
    assert verify.returncode in (3, 6), verify.stderr
    assert "ledger.sqlite" in verify.stderr + verify.stdout
    assert "Traceback" not in verify.stderr
