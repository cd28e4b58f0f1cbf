"""``matchgate lookup``: one request under a look-up letter, printed once the ledger has it.

Driven on a generated world (its ``lookup_letter.toml`` signed with the world's agency key):
the real command in a subprocess for what a user sees (the row, the exit codes), the library
function in-process for the ledger, idempotency, the letter's maximum, concurrency and a
process killed between storing and recording a look-up.
"""

from __future__ import annotations

import csv
import json
import shutil
import threading
from datetime import date
from pathlib import Path

import pytest

from matchgate.batch.faults import LOOKUP_KILL_POINTS
from matchgate.disclose import RESPONSE_COLUMNS
from matchgate.errors import InputError
from matchgate.ledger import Ledger
from matchgate.lookups import forget_masters, lookup_fields_from_json, run_lookup
from matchgate.synth import generate_world
from matchgate_cli import register_world_agency, run_matchgate

# Seconds per test (worlds, subprocesses, a model): the full suite only, not `make check`.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("lookup-world")
    generate_world(out, people=600, requests=60, seed=12)
    return out


@pytest.fixture(scope="module")
def truth(world: Path) -> dict[str, dict[str, str]]:
    with (world / "truth.csv").open(encoding="utf-8", newline="") as stream:
        return {row["request_id"]: row for row in csv.DictReader(stream)}


def _requests(world: Path) -> list[dict[str, str]]:
    with (world / "requests.csv").open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


@pytest.fixture(scope="module")
def model(world: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The match model trained on the world, as a batch run would leave it in a workspace."""
    from matchgate.batch.training import train_from_files

    out = tmp_path_factory.mktemp("lookup-model") / "model.json"
    train_from_files(master=world / "master.parquet", requests=world / "requests.csv", out=out)
    return out


@pytest.fixture
def workspace(world: Path, model: Path, tmp_path: Path) -> Path:
    space = tmp_path / "workspace"
    register_world_agency(world, space)
    shutil.copy2(model, space / "model.json")
    return space


def test_a_lookup_never_trains_a_model(world: Path, tmp_path: Path) -> None:
    from matchgate.errors import ModelError

    space = tmp_path / "untrained"
    register_world_agency(world, space)
    with pytest.raises(ModelError, match="no trained match model"):
        _look_up(world, space, _complete(world)[0])
    assert not (space / "model.json").exists()
    done = run_matchgate(
        *_cli_args(world, space), "--json", "-", input_text=json.dumps(_complete(world)[1])
    )
    assert done.returncode == 5, done.stderr
    assert not done.stdout


def _complete(world: Path) -> list[dict[str, str]]:
    """Request rows that give every field a look-up requires."""
    return [r for r in _requests(world) if r["first_name"] and r["street"] and r["zip"]]


def _look_up(world: Path, workspace: Path, row: dict[str, str], **kwargs: object):  # type: ignore[no-untyped-def]
    return run_lookup(
        workspace=workspace,
        fields=row,
        actor="desk officer",
        letter=kwargs.pop("letter", world / "lookup_letter.toml"),  # type: ignore[arg-type]
        master=world / "master.parquet",
        **kwargs,  # type: ignore[arg-type]
    )


def _entries(workspace: Path) -> list[dict[str, object]]:
    with Ledger.open(workspace, read_only=True) as ledger:
        return [{"kind": e.kind, "actor": e.actor, **e.payload_dict()} for e in ledger.entries()]


def test_the_world_writes_a_signed_lookup_letter(world: Path) -> None:
    text = (world / "lookup_letter.toml").read_text(encoding="utf-8")
    assert 'kind = "lookups"' in text and "max_lookups = " in text and "[signature]" in text
    assert "requests_sha256" not in text


def test_a_lookup_discloses_and_the_ledger_has_it_first(
    world: Path, workspace: Path, truth: dict[str, dict[str, str]]
) -> None:
    rows = _complete(world)
    answers = [_look_up(world, workspace, row) for row in rows[:12]]
    disclosed = [a for a in answers if a.response["outcome"] == "disclosed"]
    assert disclosed, [a.response["reason_codes"] for a in answers]
    entries = _entries(workspace)
    for answer in answers:
        mine = [e for e in entries if e.get("batch_id") == answer.batch_id]
        kinds = [e["kind"] for e in mine]
        assert kinds[:2] == ["batch_received", "row_decision"]
        assert all(e["actor"] == "desk officer" for e in mine)
        received = mine[0]
        assert received["rows_in"] == 1 and received["letter_kind"] == "lookups"
        assert received["requests_sha256"] == mine[1]["request_sha256"]
        assert set(answer.response) == set(RESPONSE_COLUMNS)
        if answer.response["outcome"] == "disclosed":
            [disclosure] = [e for e in mine if e["kind"] == "disclosure"]
            assert disclosure["disclosed_street"] == answer.response["disclosed_street"]
            assert disclosure["agency_code"] == "DHS"
    # Never the wrong person: every disclosed TIN is the person the request is about.
    for answer, row in zip(answers, rows[:12], strict=True):
        if answer.response["outcome"] == "disclosed":
            [disclosure] = [
                e for e in entries if e["kind"] == "disclosure" and e["batch_id"] == answer.batch_id
            ]
            assert disclosure["tin"] == truth[row["request_id"]]["tin"]


def test_the_same_request_the_same_day_is_answered_once(world: Path, workspace: Path) -> None:
    row = _complete(world)[0]
    first = _look_up(world, workspace, row)
    count = len(_entries(workspace))
    again = _look_up(world, workspace, row)
    assert (again.batch_id, again.response, again.recorded_now) == (
        first.batch_id,
        first.response,
        False,
    )
    assert len(_entries(workspace)) == count


def test_a_bulk_letter_is_refused_and_accounted(world: Path, workspace: Path) -> None:
    answer = _look_up(world, workspace, _complete(world)[0], letter=world / "letter.toml")
    assert answer.response["outcome"] == "legally_deficient"
    assert "letter_not_for_lookups" in answer.response["reason_codes"]
    assert "request_file_mismatch" not in answer.response["reason_codes"]
    assert not answer.response["disclosed_street"]
    decisions = [e for e in _entries(workspace) if e.get("batch_id") == answer.batch_id]
    assert [e["kind"] for e in decisions] == ["batch_received", "row_decision"]


def test_an_unknown_agency_is_refused(world: Path, tmp_path: Path) -> None:
    empty = tmp_path / "no-agencies"  # DHS's key is not registered here
    answer = _look_up(world, empty, _complete(world)[0])
    assert answer.response["outcome"] == "legally_deficient"
    assert "letter_signature_invalid" in answer.response["reason_codes"]


def test_the_letter_stops_at_its_maximum(world: Path, workspace: Path, tmp_path: Path) -> None:
    letter = tmp_path / "lookup_letter.toml"
    text = (world / "lookup_letter.toml").read_text(encoding="utf-8")
    letter.write_text(
        text.split("\n[signature]")[0].replace("max_lookups = 10000", "max_lookups = 2")
    )
    from matchgate.review.signing import load_private_key, sign_letter_file

    sign_letter_file(key=load_private_key(world / "agency.key"), letter=letter, requests=None)
    rows = _complete(world)
    counted = [_look_up(world, workspace, row, letter=letter) for row in rows[:2]]
    assert all("lookup_limit_reached" not in a.response["reason_codes"] for a in counted)
    third = _look_up(world, workspace, rows[2], letter=letter)
    assert third.response["outcome"] == "legally_deficient"
    assert "lookup_limit_reached" in third.response["reason_codes"]


def test_a_letter_file_rewritten_in_place_is_read_again(
    world: Path, workspace: Path, tmp_path: Path
) -> None:
    # Letters are parsed once per file as it is: the same path with other content is
    # another letter (another id, its own maximum), never the one parsed before.
    from matchgate.review.signing import load_private_key, sign_letter_file

    key = load_private_key(world / "agency.key")
    text = (world / "lookup_letter.toml").read_text(encoding="utf-8").split("\n[signature]")[0]
    letter = tmp_path / "lookup_letter.toml"
    ids = []
    for maximum in ("max_lookups = 2", "max_lookups = 30"):
        letter.write_text(text.replace("max_lookups = 10000", maximum))
        sign_letter_file(key=key, letter=letter, requests=None)
        ids.append(_look_up(world, workspace, _complete(world)[0], letter=letter).letter_id)
    assert ids[0] != ids[1]
    on_file = (workspace / "lookups" / ids[1] / "letter.toml").read_text(encoding="utf-8")
    assert "max_lookups = 30" in on_file


def test_an_expired_letter_is_refused(world: Path, workspace: Path) -> None:
    answer = _look_up(world, workspace, _complete(world)[0], transfer_date=date(2028, 1, 1))
    assert "lookup_letter_expired" in answer.response["reason_codes"]


def test_two_lookups_at_once_are_both_recorded(world: Path, workspace: Path) -> None:
    rows = _complete(world)[:6]
    answers: list[object] = []
    errors: list[BaseException] = []

    def look(row: dict[str, str]) -> None:
        try:
            answers.append(_look_up(world, workspace, row))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=look, args=(row,)) for row in rows]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    numbers = sorted(a.number for a in answers)  # type: ignore[attr-defined]
    assert numbers == list(range(1, len(rows) + 1))
    received = [e for e in _entries(workspace) if e["kind"] == "batch_received"]
    assert len(received) == len(rows)
    with Ledger.open(workspace, read_only=True) as ledger:
        assert ledger.verify().ok


@pytest.mark.parametrize("point", LOOKUP_KILL_POINTS)
def test_a_lookup_killed_midway_is_recorded_once_when_the_letter_is_next_used(
    world: Path, workspace: Path, point: str
) -> None:
    row = _complete(world)[0]
    request = dict(row)
    killed = run_matchgate(
        *_cli_args(world, workspace),
        "--json",
        "-",
        env={"MATCHGATE_KILL_AT": point},
        input_text=json.dumps(request),
    )
    assert killed.returncode == -9, killed.stderr
    assert not killed.stdout  # nothing answered
    done = run_matchgate(
        *_cli_args(world, workspace), "--json", "-", input_text=json.dumps(request)
    )
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    mine = [e for e in _entries(workspace) if e.get("batch_id") == answer["batch_id"]]
    assert [e["kind"] for e in mine][:2] == ["batch_received", "row_decision"]
    assert len([e for e in mine if e["kind"] == "row_decision"]) == 1


def _cli_args(world: Path, workspace: Path) -> list[object]:
    return [
        "lookup",
        "--workspace",
        workspace,
        "--letter",
        world / "lookup_letter.toml",
        "--master",
        world / "master.parquet",
    ]


def test_the_command_prints_the_response_row(world: Path, workspace: Path) -> None:
    row = _complete(world)[0]
    args = [
        *_cli_args(world, workspace),
        "--first-name", row["first_name"],
        "--last-name", row["last_name"],
        "--street", row["street"],
        "--zip", row["zip"],
    ]  # fmt: skip
    for name in ("middle_name", "suffix", "dob", "tin", "city", "state", "case_number"):
        if row[name]:
            args += [f"--{name.replace('_', '-')}", row[name]]
    for name in ("tax_periods", "statute", "reason", "request_id"):
        args += [f"--{name.replace('_', '-')}", row[name]]
    done = run_matchgate(*args)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert list(answer) == ["batch_id", *RESPONSE_COLUMNS]
    assert answer["request_id"] == row["request_id"]
    entries = _entries(workspace)
    assert any(e.get("batch_id") == answer["batch_id"] for e in entries)


_ROW = {"first_name": "ANA", "last_name": "DIAZ", "street": "1 MAIN ST", "zip": "10001"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (json.dumps({**_ROW, "last_name": 7}), "last_name"),
        (json.dumps({k: v for k, v in _ROW.items() if k != "zip"}), "zip"),
        (json.dumps({**_ROW, "employer": "ACME"}), "employer"),
    ],
)
def test_a_bad_json_row_is_refused_naming_the_field(
    world: Path, workspace: Path, body: str, field: str
) -> None:
    done = run_matchgate(*_cli_args(world, workspace), "--json", "-", input_text=body)
    assert done.returncode == 2, done.stderr
    assert f"field '{field}'" in done.stderr
    assert not done.stdout
    assert not (workspace / "ledger.sqlite").exists() or not _entries(workspace)


def test_json_that_is_not_json_is_refused(world: Path, workspace: Path) -> None:
    done = run_matchgate(*_cli_args(world, workspace), "--json", "-", input_text="{first_name")
    assert done.returncode == 2
    assert "not valid JSON" in done.stderr
    with pytest.raises(InputError, match="one JSON object"):
        lookup_fields_from_json("[1, 2]")


def test_missing_options_are_refused_before_anything_is_recorded(
    world: Path, workspace: Path
) -> None:
    done = run_matchgate(*_cli_args(world, workspace), "--first-name", "ANA", "--last-name", "DIAZ")
    assert done.returncode == 2
    assert "field 'street'" in done.stderr
    assert not (workspace / "lookups").exists()


def test_without_a_master_the_command_says_so(world: Path, workspace: Path) -> None:
    row = _complete(world)[0]
    args = ["lookup", "--workspace", workspace, "--letter", world / "lookup_letter.toml"]
    body = json.dumps({k: row[k] for k in ("first_name", "last_name", "street", "zip", "dob")})
    done = run_matchgate(*args, "--json", "-", input_text=body, env={"MATCHGATE_MASTER": ""})
    # The row itself is deficient (no statute, periods, case, reason): review refuses it
    # without touching the master, so the answer comes without one.
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["outcome"] == "legally_deficient"
    complete = json.dumps({k: row[k] for k in row})
    needs = run_matchgate(*args, "--json", "-", input_text=complete, env={"MATCHGATE_MASTER": ""})
    assert needs.returncode == 2
    assert "--master" in needs.stderr


@pytest.fixture(autouse=True)
def _fresh_masters() -> None:
    forget_masters()  # each test's workspace has its own model file


def test_lookup_folder_holds_no_copy_of_the_master(world: Path, workspace: Path) -> None:
    for row in _complete(world)[:3]:
        _look_up(world, workspace, row)
    sizes = sum(p.stat().st_size for p in (workspace / "lookups").rglob("*") if p.is_file())
    assert sizes < (world / "master.parquet").stat().st_size
    assert not list((workspace / "batches").iterdir())  # no batch folder per look-up
    shutil.rmtree(workspace / "lookups")


# -- on a server's PostgreSQL database ------------------------------------------------------


@pytest.fixture
def server_database(postgres_url: str) -> str:
    """The module's PostgreSQL database, a schema of its own per test."""
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    return (
        make_url(postgres_url)
        .update_query_dict({"options": f"-csearch_path={schema}"})
        .render_as_string(hide_password=False)
    )


@pytest.fixture
def server_workspace(world: Path, model: Path, tmp_path: Path, server_database: str) -> Path:
    """A workspace whose agency is registered in the server's database, not in its files."""
    space = tmp_path / "server-workspace"
    space.mkdir()
    register_world_agency(world, space, server_database)
    shutil.copy2(model, space / "model.json")
    return space


def _records(url: str) -> list[tuple[object, ...]]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            sql = "SELECT number, recorded FROM lookup_records ORDER BY number"
            return [tuple(row) for row in conn.execute(text(sql))]
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_lookups_on_postgres_are_recorded_there_once_and_in_turn(
    world: Path, server_workspace: Path, server_database: str
) -> None:
    rows = _complete(world)[:5]
    first = _look_up(world, server_workspace, rows[0], ledger_url=server_database)
    assert first.recorded_now and "letter_signature_invalid" not in first.response["reason_codes"]
    again = _look_up(world, server_workspace, rows[0], ledger_url=server_database)
    assert (again.batch_id, again.response, again.recorded_now) == (
        first.batch_id,
        first.response,
        False,
    )
    answers: list[object] = []
    errors: list[BaseException] = []

    def look(row: dict[str, str]) -> None:
        try:
            answers.append(_look_up(world, server_workspace, row, ledger_url=server_database))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=look, args=(row,)) for row in rows[1:]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert _records(server_database) == [(n, 1) for n in range(1, len(rows) + 1)]
    for name in ("lookups.sqlite", "agencies.sqlite", "ledger.sqlite"):
        assert not (server_workspace / name).exists(), name
    with Ledger.open(server_workspace, url=server_database, read_only=True) as ledger:
        received = [e for e in ledger.entries() if e.kind == "batch_received"]
        assert len(received) == len(rows) and ledger.verify().ok


@pytest.mark.postgres
@pytest.mark.parametrize("point", LOOKUP_KILL_POINTS)
def test_a_lookup_killed_midway_on_postgres_is_recorded_once(
    world: Path, server_workspace: Path, server_database: str, point: str
) -> None:
    request = dict(_complete(world)[0])
    args = [*_cli_args(world, server_workspace), "--json", "-"]
    env = {"MATCHGATE_LEDGER_URL": server_database}
    killed = run_matchgate(
        *args, env={**env, "MATCHGATE_KILL_AT": point}, input_text=json.dumps(request)
    )
    assert killed.returncode == -9, killed.stderr
    assert _records(server_database) == [(1, 0)]  # stored, not yet marked recorded
    done = run_matchgate(*args, env=env, input_text=json.dumps(request))
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert _records(server_database) == [(1, 1)]
    with Ledger.open(server_workspace, url=server_database, read_only=True) as ledger:
        mine = [
            e for e in ledger.entries() if e.payload_dict().get("batch_id") == answer["batch_id"]
        ]
    assert [e.kind for e in mine][:2] == ["batch_received", "row_decision"]
    assert len([e for e in mine if e.kind == "row_decision"]) == 1
