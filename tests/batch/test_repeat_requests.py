"""The same requests sent again, in another file format, are seen as repeat requests."""

from __future__ import annotations

import csv
import json
import shutil
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from matchgate.batch.pipeline import run_batch
from matchgate.ledger import Ledger
from matchgate.review.signing import load_private_key, sign_letter_file
from matchgate.synth import generate_world
from matchgate_cli import register_world_agency

pytestmark = pytest.mark.slow


def _decisions(out: Path) -> dict[str, dict[str, str]]:
    with (out / "internal" / "decisions.csv").open(encoding="utf-8", newline="") as stream:
        return {row["row_number"]: row for row in csv.DictReader(stream)}


def _as_jsonl(world: Path, target: Path) -> tuple[Path, Path]:
    """The world's requests as JSON Lines, with the letter signed again for that file (as
    the agency would send it)."""
    with (world / "requests.csv").open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    target.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    letter = target.with_name("letter-jsonl.toml")
    shutil.copy(world / "letter.toml", letter)
    sign_letter_file(key=load_private_key(world / "agency.key"), letter=letter, requests=target)
    return target, letter


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("repeat") / "world"
    generate_world(folder, people=1_200, requests=150, seed=3, request_mix="census")
    return folder


def test_a_second_format_of_the_same_requests_is_flagged(world: Path, tmp_path: Path) -> None:
    space = tmp_path / "ws"
    register_world_agency(world, space)
    first = run_batch(
        master=world / "master.parquet",
        requests=world / "requests.csv",
        letter=world / "letter.toml",
        out_dir=tmp_path / "csv",
        workspace=space,
    )
    once = _decisions(first.out_dir)
    disclosed = {row for row, d in once.items() if d["outcome"] == "disclosed"}
    assert len(disclosed) > 50
    assert not any("repeat_request" in d["reason_codes"] for d in once.values())

    jsonl, jsonl_letter = _as_jsonl(world, tmp_path / "requests.jsonl")
    again = run_batch(
        master=world / "master.parquet",
        requests=jsonl,
        letter=jsonl_letter,
        out_dir=tmp_path / "jsonl",
        workspace=space,
    )
    assert again.batch_id != first.batch_id
    twice = _decisions(again.out_dir)
    flagged = {row for row, d in twice.items() if "repeat_request" in d["reason_codes"]}
    # Exactly the people disclosed the first time (duplicate rows answer with their original).
    assert flagged == {row for row in disclosed if not once[row]["reason_codes"].count("duplicate")}
    assert all(twice[row]["outcome"] == "disclosed" for row in flagged)
    # Internal: the requester's line does not say it.
    response = (again.out_dir / "response.csv").read_text(encoding="utf-8")
    assert "repeat_request" not in response

    with Ledger.open(space, read_only=True) as ledger:
        report = ledger.oversight_report(datetime.now(UTC).year)
        tins = {once[row]["tin"] for row in flagged}
        code = tomllib.loads((world / "letter.toml").read_text("utf-8"))["letter"]["agency_code"]
        assert ledger.tins_disclosed_to(code, tins, since="2000-01-01T00:00:00Z") == tins
        # Outside the window, or to another agency, an earlier disclosure does not count.
        assert ledger.tins_disclosed_to(code, tins, since="2999-01-01T00:00:00Z") == set()
        assert ledger.tins_disclosed_to("XX", tins, since="2000-01-01T00:00:00Z") == set()
    [line] = report.agencies
    assert line.repeat_requests == len(flagged)


def test_the_policy_can_send_repeat_requests_to_review(world: Path, tmp_path: Path) -> None:
    space = tmp_path / "ws"
    register_world_agency(world, space)
    first = run_batch(
        master=world / "master.parquet",
        requests=world / "requests.csv",
        letter=world / "letter.toml",
        out_dir=tmp_path / "csv",
        workspace=space,
    )
    policy = tmp_path / "policy.toml"
    policy.write_text('[review]\nrepeat_requests = "review"\n', encoding="utf-8")
    jsonl, jsonl_letter = _as_jsonl(world, tmp_path / "requests.jsonl")
    again = run_batch(
        master=world / "master.parquet",
        requests=jsonl,
        letter=jsonl_letter,
        out_dir=tmp_path / "jsonl",
        workspace=space,
        policy_path=policy,
    )
    once, twice = _decisions(first.out_dir), _decisions(again.out_dir)
    flagged = [row for row, d in twice.items() if "repeat_request" in d["reason_codes"]]
    assert flagged
    assert all(twice[row]["outcome"] == "needs_review" for row in flagged)
    assert all(once[row]["outcome"] == "disclosed" for row in flagged)
    assert not again.response_final
    assert again.summary()["rows_pending_review"] == again.outcomes["needs_review"]
    # The ledger keeps the whole policy in force for each batch, defaults included.
    with Ledger.open(space) as ledger:
        ledger.export(tmp_path / "ledger.jsonl")
    lines = (tmp_path / "ledger.jsonl").read_text("utf-8").splitlines()
    payloads = [
        entry["payload"]
        for entry in map(json.loads, lines)
        if entry.get("kind") == "batch_received"
    ]
    received = {payload["batch_id"]: payload for payload in payloads}
    assert 'repeat_requests = "review"' in received[again.batch_id]["policy_in_force"]
    assert 'repeat_requests = "flag"' in received[first.batch_id]["policy_in_force"]
    for text in (received[first.batch_id]["policy_in_force"],):
        assert "[review]" in text and "[match]" in text and "disclose_threshold" in text


def test_a_first_batch_runs_where_only_the_access_log_made_the_ledger_database(
    world: Path, tmp_path: Path
) -> None:
    # A server records page reads before any batch: the ledger's database is there, its
    # signing key (and so ledger.pub) not yet; no disclosure can be a repeat of one.
    from matchgate.ledger import AccessLog
    from matchgate.ledger._files import LEDGER_FILE, PUBLIC_KEY_FILE

    space = tmp_path / "ws"
    register_world_agency(world, space)
    with AccessLog.open(space):
        pass
    assert (space / LEDGER_FILE).exists() and not (space / PUBLIC_KEY_FILE).exists()
    first = run_batch(
        master=world / "master.parquet",
        requests=world / "requests.csv",
        letter=world / "letter.toml",
        out_dir=tmp_path / "out",
        workspace=space,
    )
    decisions = _decisions(first.out_dir)
    assert any(d["outcome"] == "disclosed" for d in decisions.values())
    assert not any("repeat_request" in d["reason_codes"] for d in decisions.values())
    with Ledger.open(space, read_only=True) as ledger:
        assert ledger.verify().ok
