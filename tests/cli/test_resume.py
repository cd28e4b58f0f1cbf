"""kill -9 at any stage, run the same command again: the batch finishes with the response
an uninterrupted run writes, no ledger entry twice, no disclosure recorded twice.

And at every one of those moments, no address is on disk in the output folder before the
ledger accounts for it (26 U.S.C. 6103(p)(3)(A)); with the ledger unreachable no address
leaves at all. The workspace (the office's own store, holding the batch database and the
ledger) is kept outside the output folder here, as an office would keep it.
"""

from __future__ import annotations

import collections
import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from matchgate.batch.faults import KILL_POINTS
from matchgate.batch.ledger_entries import disclosure_id
from matchgate.errors import LedgerError, WorkspaceError
from matchgate.ledger import Ledger
from matchgate_cli import register_world_agency, run_args, run_matchgate

pytestmark = pytest.mark.slow  # each test runs whole batches in subprocesses

CHUNK_ROWS = "60"


def matchgate(*args: object, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_matchgate(*args, env={"MATCHGATE_CHUNK_ROWS": CHUNK_ROWS, **(env or {})})


def run_with_model(world: Path, out: Path, model: Path) -> list[object]:
    """``matchgate run`` with the workspace beside (not inside) the output folder, the
    world's agency registered there first."""
    register_world_agency(world, workspace_of(out))
    return [
        *run_args(world, out, register=False),
        "--model",
        model,
        "--workspace",
        workspace_of(out),
    ]


def workspace_of(out: Path) -> Path:
    return out.parent / f"{out.name}-workspace"


def disclosed_addresses(response: bytes) -> dict[int, str]:
    """Row number -> disclosed street of every disclosing row of a response file."""
    rows = csv.DictReader(response.decode("utf-8").splitlines())
    return {int(r["row_number"]): r["disclosed_street"] for r in rows if r["disclosed_street"]}


def addresses_on_disk(out: Path, streets: set[str]) -> set[str]:
    """The disclosed streets found in any file under ``out`` (temporary files included)."""
    found: set[str] = set()
    for path in out.rglob("*") if out.exists() else ():
        if path.is_file():
            content = path.read_bytes()
            found |= {street for street in streets if street.encode("utf-8") in content}
    return found


def accounted_streets(workspace: Path, batch_id: str, rows: list[int]) -> set[str]:
    """Streets of the batch's disclosures the ledger holds (public ledger API)."""
    try:
        ledger = Ledger.open(workspace, read_only=True)
    except (LedgerError, WorkspaceError):
        return set()  # no workspace or no ledger yet
    with ledger:
        records = [ledger.disclosure(disclosure_id(batch_id, row)) for row in rows]
    return {r.disclosed_street for r in records if r is not None and not r.retracted}


def check_every_address_on_disk_is_accounted(out: Path, reference: dict) -> None:
    streets = set(reference["disclosed"].values())
    on_disk = addresses_on_disk(out, streets)
    if on_disk:
        accounted = accounted_streets(
            workspace_of(out), reference["batch_id"], sorted(reference["disclosed"])
        )
        assert on_disk <= accounted, f"{len(on_disk - accounted)} addresses not in the ledger"


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
            "generate", "--people", 1000, "--requests", 240, "--seed", 5, "--out", world
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
    response = (out / "response.csv").read_bytes()
    disclosed = disclosed_addresses(response)
    assert len(disclosed) > 50
    return {
        "world": world,
        "model": model,
        "response": response,
        "decisions": (out / "internal" / "decisions.csv").read_bytes(),
        "entries": comparable(ledger_entries(workspace_of(out), root)),
        "disclosed": disclosed,
        "batch_id": json.loads((out / "summary.json").read_text())["batch_id"],
    }


def check_finished_like_reference(out: Path, reference: dict, tmp: Path) -> None:
    assert (out / "response.csv").read_bytes() == reference["response"]
    assert (out / "internal" / "decisions.csv").read_bytes() == reference["decisions"]
    entries = ledger_entries(workspace_of(out), tmp)
    keys = collections.Counter(e["idempotency_key"] for e in entries)
    assert max(keys.values()) == 1, "an entry was recorded twice"
    assert comparable(entries) == reference["entries"]
    verify = matchgate("ledger", "verify", "--workspace", workspace_of(out))
    assert verify.returncode == 0, verify.stdout + verify.stderr
    check_every_address_on_disk_is_accounted(out, reference)


POINTS = [*KILL_POINTS, "intake_chunk#3", "review_chunk#2", "match_chunk#2", "ledger_chunk#2"]


@pytest.mark.parametrize("point", POINTS)
def test_kill_at_point_then_rerun(reference: dict, tmp_path: Path, point: str) -> None:
    out = tmp_path / "out"
    args = run_with_model(reference["world"], out, reference["model"])
    killed = matchgate(*args, env={"MATCHGATE_KILL_AT": point})
    assert killed.returncode == -signal.SIGKILL, (point, killed.returncode, killed.stderr[-500:])
    check_every_address_on_disk_is_accounted(out, reference)
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
    check_every_address_on_disk_is_accounted(out, reference)
    finished = matchgate(*args)
    assert finished.returncode == 0, finished.stderr
    check_finished_like_reference(out, reference, tmp_path)


def test_rerunning_a_finished_batch_changes_nothing(reference: dict, tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = run_with_model(reference["world"], out, reference["model"])
    assert matchgate(*args).returncode == 0
    outputs = [*out.rglob("*.csv"), out / "summary.json"]
    before = {p: p.stat().st_mtime_ns for p in outputs}
    entries_before = ledger_entries(workspace_of(out), tmp_path)
    assert matchgate(*args).returncode == 0
    assert {p: p.stat().st_mtime_ns for p in outputs} == before
    assert ledger_entries(workspace_of(out), tmp_path) == entries_before


def test_corrupted_workspace_gives_a_clear_error(reference: dict, tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = run_with_model(reference["world"], out, reference["model"])
    killed = matchgate(*args, env={"MATCHGATE_KILL_AT": "after_review"})
    assert killed.returncode == -signal.SIGKILL
    (database,) = (workspace_of(out) / "batches").glob("*/batch.duckdb")
    database.write_bytes(b"this is not a database" * 100)
    broken = matchgate(*args)
    assert broken.returncode == 4, broken.stderr
    assert "batch.duckdb" in broken.stderr and "Traceback" not in broken.stderr
    assert "remove the folder" in broken.stderr


def test_corrupted_ledger_gives_a_clear_error(reference: dict, tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = run_with_model(reference["world"], out, reference["model"])
    assert matchgate(*args).returncode == 0
    (workspace_of(out) / "ledger.sqlite").write_bytes(b"garbage" * 1000)
    verify = matchgate("ledger", "verify", "--workspace", workspace_of(out))
    assert verify.returncode in (3, 6), verify.stderr
    assert "ledger.sqlite" in verify.stderr + verify.stdout
    assert "Traceback" not in verify.stderr


# URL -> what the error must name of it.
UNREACHABLE_LEDGERS = {
    "postgres-nobody-listening": (
        "postgresql+psycopg://matchgate@127.0.0.1:1/ledger",
        "127.0.0.1:1",
    ),
    "sqlite-in-a-missing-folder": (
        "sqlite:////nonexistent-matchgate-folder/ledger.sqlite",
        "nonexistent-matchgate-folder",
    ),
}


@pytest.mark.parametrize(
    ("url", "named"), UNREACHABLE_LEDGERS.values(), ids=UNREACHABLE_LEDGERS.keys()
)
def test_unreachable_ledger_lets_no_address_out(
    reference: dict, tmp_path: Path, url: str, named: str
) -> None:
    """The database also holds the agency registry ``run`` judges the letter against: the
    ledger is opened first, so the error is the ledger's (exit 6), naming the database."""
    out = tmp_path / "out"
    args = run_with_model(reference["world"], out, reference["model"])
    refused = matchgate(*args, "--database-url", url)
    assert refused.returncode == 6, refused.stderr[-800:]
    assert "ledger" in refused.stderr and "Traceback" not in refused.stderr
    assert named in refused.stderr and "agency registry" not in refused.stderr
    assert not (out / "response.csv").exists()
    assert not (out / "internal" / "decisions.csv").exists()
    assert addresses_on_disk(out, set(reference["disclosed"].values())) == set()
    # Once the ledger is reachable the same command finishes like an uninterrupted run.
    finished = matchgate(*args)
    assert finished.returncode == 0, finished.stderr
    check_finished_like_reference(out, reference, tmp_path)


def test_the_addresses_check_sees_an_unaccounted_address(reference: dict, tmp_path: Path) -> None:
    """The check above can fail: a response copied into a folder with no ledger is caught."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "response.csv").write_bytes(reference["response"])
    with pytest.raises(AssertionError, match="addresses not in the ledger"):
        check_every_address_on_disk_is_accounted(out, reference)
