"""Letters that cannot be verified are refused by ``matchgate run``: every row deficient.

Driven through the real commands: ``generate`` signs its letter, ``agency add|revoke``
maintain the workspace registry, ``letter sign`` signs an edited letter again.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from matchgate_cli import run_args, run_matchgate

# Seconds per test (worlds, subprocesses, a model): the full suite only, not `make check`.
pytestmark = pytest.mark.slow


def matchgate(*args: object, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = run_matchgate(*args)
    if check and result.returncode != 0:
        raise AssertionError(f"exit {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("letters-world")
    matchgate("generate", "--people", 400, "--requests", 40, "--seed", 4, "--out", out)
    return out


@pytest.fixture
def copy(world: Path, tmp_path: Path) -> Path:
    """The world's letter, requests, key and agency file, free to edit."""
    folder = tmp_path / "world"
    folder.mkdir()
    for name in ("letter.toml", "requests.csv", "agency.toml", "agency.key"):
        shutil.copy2(world / name, folder / name)
    return folder


def run(world: Path, out: Path, *, letter: Path | None = None, requests: Path | None = None):  # type: ignore[no-untyped-def]
    """Run without the test helper's registration: the workspace holds what the test put in."""
    matchgate(*run_args(world, out, letter=letter, requests=requests, register=False))
    summary = json.loads((out / "summary.json").read_text())
    with (out / "response.csv").open(encoding="utf-8", newline="") as stream:
        outcomes = {row["outcome"] for row in csv.DictReader(stream)}
    return summary["letter"], outcomes


def add_agency(workspace: Path, agency_file: Path) -> None:
    done = matchgate("agency", "add", "--workspace", workspace, agency_file)
    assert "registered DHS" in done.stdout


def assert_refused(letter: dict, outcomes: set[str], code: str) -> None:
    assert letter["outcome"] == "legally_deficient", letter
    assert code in str(letter["reason_codes"]).split(";"), letter
    assert outcomes <= {"legally_deficient", "invalid"}, outcomes


def test_generate_writes_a_key_an_agency_entry_and_a_signed_letter(world: Path) -> None:
    assert (world / "agency.key").stat().st_mode & 0o077 == 0
    assert "public_key" in (world / "agency.toml").read_text()
    assert "PRIVATE" not in (world / "agency.toml").read_text()
    assert "[signature]" in (world / "letter.toml").read_text()


def test_registered_agency_letter_passes(world: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    add_agency(out / "workspace", world / "agency.toml")
    letter, outcomes = run(world, out)
    assert letter["outcome"] == "accepted", letter
    assert "disclosed" in outcomes
    shown = matchgate("agency", "show", "DHS", "--workspace", out / "workspace").stdout
    assert "key_registered" in shown and "seeded" in shown


def test_unregistered_key_is_refused(world: Path, tmp_path: Path) -> None:
    letter, outcomes = run(world, tmp_path / "out")
    assert_refused(letter, outcomes, "letter_signature_invalid")


def test_unsigned_letter_is_refused(world: Path, copy: Path, tmp_path: Path) -> None:
    text = (copy / "letter.toml").read_text()
    (copy / "letter.toml").write_text(text[: text.index("[signature]")])
    out = tmp_path / "out"
    add_agency(out / "workspace", world / "agency.toml")
    letter, outcomes = run(world, out, letter=copy / "letter.toml")
    assert_refused(letter, outcomes, "letter_unsigned")


def test_tampered_letter_is_refused(world: Path, copy: Path, tmp_path: Path) -> None:
    text = (copy / "letter.toml").read_text()
    (copy / "letter.toml").write_text(
        re.sub(r'signer_name = "[^"]*"', 'signer_name = "A. Forger"', text, count=1)
    )
    out = tmp_path / "out"
    add_agency(out / "workspace", world / "agency.toml")
    letter, outcomes = run(world, out, letter=copy / "letter.toml")
    assert_refused(letter, outcomes, "letter_signature_invalid")


def test_tampered_request_file_is_refused(world: Path, copy: Path, tmp_path: Path) -> None:
    lines = (copy / "requests.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (copy / "requests.csv").write_text("".join(lines[:-1]), encoding="utf-8")  # one row dropped
    out = tmp_path / "out"
    add_agency(out / "workspace", world / "agency.toml")
    letter, outcomes = run(world, out, requests=copy / "requests.csv")
    assert_refused(letter, outcomes, "request_file_mismatch")


def test_revoked_key_is_refused(world: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    add_agency(out / "workspace", world / "agency.toml")
    revoked = matchgate(
        "agency", "revoke", "DHS", "--reason", "key compromised", "--workspace", out / "workspace"
    )
    assert "revoked DHS key" in revoked.stdout
    letter, outcomes = run(world, out)
    assert_refused(letter, outcomes, "letter_signature_invalid")
    again = matchgate("agency", "add", "--workspace", out / "workspace", world / "agency.toml",
                      check=False)  # fmt: skip
    assert again.returncode == 2 and "revoked" in again.stderr


def _resign(copy: Path) -> None:
    signed = matchgate("letter", "sign", "--key", copy / "agency.key", "--letter",
                       copy / "letter.toml", "--requests", copy / "requests.csv")  # fmt: skip
    assert "signed" in signed.stdout


def test_future_dated_letter_is_refused(world: Path, copy: Path, tmp_path: Path) -> None:
    later = (datetime.now(UTC).date() + timedelta(days=30)).isoformat()
    text = (copy / "letter.toml").read_text()
    (copy / "letter.toml").write_text(re.sub(r"date_signed = \S+", f"date_signed = {later}", text))
    _resign(copy)
    out = tmp_path / "out"
    add_agency(out / "workspace", world / "agency.toml")
    letter, outcomes = run(world, out, letter=copy / "letter.toml")
    assert_refused(letter, outcomes, "letter_future_dated")


def test_safeguards_stale_on_transfer_day_though_current_at_letter_date(
    world: Path, copy: Path, tmp_path: Path
) -> None:
    today = datetime.now(UTC).date()
    signed_on = today - timedelta(days=10)
    # Three years and five days old today; three years less five days old at signing.
    report_date = today.replace(year=today.year - 3) - timedelta(days=5)
    agency = (copy / "agency.toml").read_text()
    agency = re.sub(
        r"safeguards_report = .*",
        f'safeguards_report = {{ id = "SSR-DHS-OLD", date = {report_date.isoformat()} }}',
        agency,
    )
    (copy / "agency.toml").write_text(agency)
    text = (copy / "letter.toml").read_text()
    text = re.sub(r"date_signed = \S+", f"date_signed = {signed_on.isoformat()}", text)
    text = re.sub(r'safeguards_report = "[^"]*"', 'safeguards_report = "SSR-DHS-OLD"', text)
    text = re.sub(r"safeguards_report_date = \S+", f"safeguards_report_date = {report_date}", text)
    (copy / "letter.toml").write_text(text)
    _resign(copy)
    out = tmp_path / "out"
    add_agency(out / "workspace", copy / "agency.toml")
    letter, outcomes = run(world, out, letter=copy / "letter.toml")
    assert_refused(letter, outcomes, "safeguards_stale")
    assert str(letter["reason_codes"]).split(";") == ["safeguards_stale"]


def test_agency_list_shows_the_seeded_registry(tmp_path: Path) -> None:
    listed = matchgate("agency", "list", "--workspace", tmp_path / "ws").stdout
    assert "DHS" in listed and "DOJ" in listed and "none" in listed
    missing = matchgate("agency", "show", "NOPE", "--workspace", tmp_path / "ws", check=False)
    assert missing.returncode == 2 and "NOPE" in missing.stderr


def test_the_deficient_letter_is_authentic_but_refused_for_its_content(tmp_path: Path) -> None:
    world = tmp_path / "deficient"
    matchgate("generate", "--people", 300, "--requests", 20, "--seed", 6, "--deficient-letter",
              "--out", world)  # fmt: skip
    out = tmp_path / "out"
    add_agency(out / "workspace", world / "agency.toml")
    letter, outcomes = run(world, out)
    codes = set(str(letter["reason_codes"]).split(";"))
    assert_refused(letter, outcomes, "signer_not_authorized")
    assert "safeguards_mismatch" in codes
    assert not codes & {"letter_unsigned", "letter_signature_invalid", "request_file_mismatch"}
