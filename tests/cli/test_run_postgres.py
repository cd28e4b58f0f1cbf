"""``matchgate run --database-url`` judges the letter against the agency registry in that
database (the server's), not against the workspace's ``agencies.sqlite``: a key revoked in
PostgreSQL refuses the letter although the workspace still lists it as active (its own
module: the PostgreSQL fixture gives each module a fresh database)."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from matchgate.review.registry import AgencyRegistryStore
from matchgate_cli import register_world_agency, run_args, run_matchgate

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def matchgate(*args: object) -> subprocess.CompletedProcess[str]:
    result = run_matchgate(*args)
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run-postgres-world")
    matchgate("generate", "--people", 400, "--requests", 40, "--seed", 4, "--out", out)
    return out


def run_on(world: Path, out: Path, url: str) -> tuple[dict, list[dict[str, str]]]:
    """``run`` into ``url`` with the world's agency active in OUT/workspace's registry."""
    register_world_agency(world, out / "workspace")
    matchgate(*run_args(world, out, register=False), "--database-url", url)
    summary = json.loads((out / "summary.json").read_text())
    with (out / "internal" / "decisions.csv").open(encoding="utf-8", newline="") as stream:
        return summary["letter"], list(csv.DictReader(stream))


def test_a_key_revoked_in_the_servers_registry_refuses_the_letter(
    world: Path, postgres_url: str, tmp_path: Path
) -> None:
    added = matchgate("agency", "add", "--database-url", postgres_url, world / "agency.toml")
    assert "registered DHS" in added.stdout
    # Registered in PostgreSQL (and in the workspace): the letter passes.
    first = tmp_path / "first"
    letter, decisions = run_on(world, first, postgres_url)
    assert letter["outcome"] == "accepted", letter
    assert "disclosed" in {row["outcome"] for row in decisions}

    revoked = matchgate(
        "agency", "revoke", "DHS", "--reason", "key compromised", "--database-url", postgres_url
    )
    assert "revoked DHS key" in revoked.stdout
    second = tmp_path / "second"
    (second / "workspace").mkdir(parents=True)
    # One ledger in the database: the second workspace publishes the same ledger key.
    shutil.copy2(first / "workspace" / "ledger.pub", second / "workspace" / "ledger.pub")
    letter, decisions = run_on(world, second, postgres_url)
    assert letter["outcome"] == "legally_deficient", letter
    assert "letter_signature_invalid" in str(letter["reason_codes"]).split(";"), letter
    assert {row["outcome"] for row in decisions} <= {"legally_deficient", "invalid"}
    # Refused for the revocation (not for a key never registered there).
    explanation = decisions[0]["explanation"]
    assert "revoked on" in explanation and "key compromised" in explanation, explanation
    response = (second / "response.csv").read_text(encoding="utf-8")
    assert all(not row["disclosed_street"] for row in csv.DictReader(response.splitlines()))
    # The workspace's own registry still lists the key as active: it was not consulted.
    with AgencyRegistryStore.open(second / "workspace") as store:
        agency = store.registry().by_code("DHS")
    assert agency is not None and agency.keys and not any(k.revoked for k in agency.keys)
