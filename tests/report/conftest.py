"""A ledger built the way an office builds one: two generated worlds run through every stage
(one letter accepted, one deficient), a retraction and a review action. Session-scoped: the
pipeline and its model take seconds. Tests copy the workspace before changing anything."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import pytest

from matchgate.batch.pipeline import run_batch
from matchgate.ledger import EntryKind, Ledger, NewEntry
from matchgate.synth import generate_world
from matchgate_cli import register_world_agency
from workspace_copy import copy_workspace

REVIEWER = "Reviewer One"
RETRACTION_CAUSE = "wrong person: the agency reported a different date of birth"


@dataclass(frozen=True)
class Office:
    workspace: Path
    year: int
    # Direct counts from the batches' own decisions.csv files (not from the ledger).
    decisions: dict[str, list[dict[str, str]]]  # batch id -> rows
    agencies: dict[str, str]  # batch id -> agency
    retracted: str  # disclosure id
    reviewed_row: tuple[str, int]  # batch id, row number


def _decisions(out_dir: Path) -> list[dict[str, str]]:
    with (out_dir / "internal" / "decisions.csv").open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def _agency(letter: Path) -> str:
    import tomllib

    return str(tomllib.loads(letter.read_text(encoding="utf-8"))["letter"]["agency"])


@pytest.fixture(scope="session")
def office(tmp_path_factory: pytest.TempPathFactory) -> Office:
    root = tmp_path_factory.mktemp("report-office")
    workspace = root / "workspace"
    decisions: dict[str, list[dict[str, str]]] = {}
    agencies: dict[str, str] = {}
    for name, deficient in (("good", False), ("bad", True)):
        world = root / name
        generate_world(world, people=1500, requests=150, seed=5, deficient_letter=deficient)
        register_world_agency(world, workspace)
        result = run_batch(
            master=world / "master.parquet",
            requests=world / "requests.csv",
            letter=world / "letter.toml",
            out_dir=root / f"out-{name}",
            workspace=workspace,
        )
        decisions[result.batch_id] = _decisions(result.out_dir)
        agencies[result.batch_id] = _agency(world / "letter.toml")
    good = next(iter(decisions))
    disclosed = next(row for row in decisions[good] if row["outcome"] == "disclosed")
    flagged = next(row for row in decisions[good] if row["outcome"] == "needs_review")
    with Ledger.open(workspace) as ledger:
        notice = ledger.retract(
            f"D-{good[:12]}-{disclosed['row_number']}",
            reason=RETRACTION_CAUSE,
            actor="Disclosure Officer",
            out_dir=root / "notices",
        )
        [entry] = ledger.append_many(
            [
                _review_action(good, int(flagged["row_number"]), flagged),
            ],
            actor=REVIEWER,
        )
    return Office(
        workspace=workspace,
        year=int(entry.recorded_at[:4]),
        decisions=decisions,
        agencies=agencies,
        retracted=notice.disclosure_id,
        reviewed_row=(good, int(flagged["row_number"])),
    )


def _review_action(batch_id: str, row_number: int, row: dict[str, str]) -> NewEntry:
    # The payload the server's review form records (matchgate.server.review_actions).
    return NewEntry(
        EntryKind.REVIEW_ACTION,
        {
            "action": "confirm_not_disclosed",
            "batch_id": batch_id,
            "row_number": row_number,
            "request_id": row["request_id"],
            "outcome": row["outcome"],
            "reason_codes": row["reason_codes"],
            "reason": "Two taxpayers share the name at the address; no DOB given.",
        },
        f"review:{batch_id}:{row_number}:test",
    )


@pytest.fixture
def workspace_copy(office: Office, tmp_path: Path) -> Path:
    copy = tmp_path / "workspace"
    copy_workspace(office.workspace, copy)
    return copy


@dataclass(frozen=True)
class Assessed:
    master: Path  # the "real" master file the assessment copies the shape of
    deployed: Path  # the deployed workspace (no model: the assessment trains its own)
    out: Path


@pytest.fixture(scope="session")
def assessed(tmp_path_factory: pytest.TempPathFactory) -> Assessed:
    """``matchgate assess`` run small: a master file of 2,500 people with its own shape (more
    ITINs, fewer one-person households, more concentrated surnames), a world of 1,500."""
    from matchgate.report.assess import assess
    from matchgate.synth import WorldShape

    root = tmp_path_factory.mktemp("assess")
    generate_world(
        root / "real",
        people=2500,
        requests=5,
        seed=11,
        request_mix="census",
        shape=WorldShape(surname_exponent=1.15, itin_scale=3.0, single_household_share=0.15),
    )
    deployed = root / "deployed"
    deployed.mkdir()
    out = root / "assessment"
    assess(
        master=root / "real" / "master.parquet",
        workspace=deployed,
        out=out,
        people=1500,
        requests=250,
        seed=3,
    )
    return Assessed(master=root / "real" / "master.parquet", deployed=deployed, out=out)
