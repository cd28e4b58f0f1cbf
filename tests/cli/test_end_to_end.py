"""The command-line contract, driven through the real ``matchgate`` command."""

from __future__ import annotations

import csv
import json
import subprocess
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from matchgate.disclose import RESPONSE_COLUMNS
from matchgate.match.model import MODEL_VERSION
from matchgate_cli import run_args, run_matchgate

pytestmark = pytest.mark.slow  # generates worlds and runs the real command

PEOPLE, REQUESTS = 3_000, 300


def matchgate(*args: str | Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = run_matchgate(*args)
    if check and result.returncode != 0:
        raise AssertionError(f"exit {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("world")
    matchgate("generate", "--people", PEOPLE, "--requests", REQUESTS, "--seed", 11, "--out", out)
    return out


@pytest.fixture(scope="module")
def ran(world: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run")
    matchgate(*run_args(world, out))
    return out


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as stream:
        reader = csv.DictReader(stream)
        return list(reader.fieldnames or []), list(reader)


def test_generate_writes_the_contract_files(world: Path) -> None:
    for name in ("master.parquet", "requests.csv", "letter.toml", "truth.csv"):
        assert (world / name).exists(), name
    header, rows = read_csv(world / "requests.csv")
    assert header == [
        "request_id",
        "first_name",
        "middle_name",
        "last_name",
        "suffix",
        "dob",
        "street",
        "city",
        "state",
        "zip",
        "tin",
        "tax_periods",
        "statute",
        "case_number",
        "reason",
    ]
    assert len(rows) == REQUESTS


def test_generate_is_deterministic(world: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    matchgate("generate", "--people", PEOPLE, "--requests", REQUESTS, "--seed", 11, "--out", again)
    for name in ("requests.csv", "truth.csv", "letter.toml"):
        assert (again / name).read_bytes() == (world / name).read_bytes(), name


def test_run_conserves_rows_in_input_order(world: Path, ran: Path) -> None:
    header, rows = read_csv(ran / "response.csv")
    assert tuple(header) == RESPONSE_COLUMNS
    _, requests = read_csv(world / "requests.csv")
    assert [r["request_id"] for r in rows] == [r["request_id"] for r in requests]
    assert [int(r["row_number"]) for r in rows] == list(range(1, len(requests) + 1))
    summary = json.loads((ran / "summary.json").read_text())
    assert summary["rows_in"] == summary["rows_out"] == len(rows) == REQUESTS
    assert sum(summary["outcomes"].values()) == REQUESTS


def test_address_columns_only_on_disclosed_rows(ran: Path) -> None:
    _, rows = read_csv(ran / "response.csv")
    for row in rows:
        filled = any(row[c] for c in RESPONSE_COLUMNS if c.startswith("disclosed_"))
        assert filled == (row["outcome"] == "disclosed"), row
    assert any(r["outcome"] == "disclosed" for r in rows)
    assert any(r["outcome"] == "legally_deficient" for r in rows)


def test_eval_reports_no_wrong_person(world: Path, ran: Path) -> None:
    result = matchgate(
        "eval", "--truth", world / "truth.csv", "--decisions", ran / "internal" / "decisions.csv"
    )
    scores = json.loads(result.stdout)
    assert scores["wrong_person_disclosures"] == 0, scores["wrong_person_examples"]
    assert scores["disclosures"] > 0
    for key in ("precision", "in_file_requests", "recall", "outcomes"):
        assert key in scores


def test_nothing_outside_the_identity_fields_leaves(world: Path, tmp_path: Path) -> None:
    # Plant unmistakable values in every column the channel may never disclose, run the
    # batch, and look for them in everything matchgate wrote or logged.
    table = pq.read_table(world / "master.parquet")
    for column in ("employer_name", "income", "dependents"):
        values = [f"SENTINEL-{column.upper()}-{i}" for i in range(table.num_rows)]
        table = table.set_column(table.schema.get_field_index(column), column, pa.array(values))
    pq.write_table(table, tmp_path / "master.parquet")
    out = tmp_path / "out"
    result = matchgate(*run_args(world, out, master=tmp_path / "master.parquet"))
    export = tmp_path / "ledger.jsonl"
    matchgate("ledger", "export", "--out", export, "--workspace", out / "workspace")
    texts = {
        "console": result.stdout + result.stderr,
        "ledger export": export.read_text(),
    }
    for path in out.rglob("*"):
        if path.is_file() and path.suffix in {".csv", ".json", ".jsonl", ".txt", ".md"}:
            texts[str(path.relative_to(out))] = path.read_text(errors="replace")
    for name, text in texts.items():
        assert "SENTINEL-" not in text, f"{name} holds a value from a never-disclose column"
    # The batch database may hold only identity columns, never the planted ones.
    for database in (out / "workspace").rglob("*.duckdb"):
        assert b"SENTINEL-" not in database.read_bytes(), database


def test_ledger_verifies_and_rerun_adds_nothing(world: Path, ran: Path) -> None:
    verified = matchgate("ledger", "verify", "--workspace", ran / "workspace")
    assert "ok" in verified.stdout.lower()
    export_before = ran / "before.jsonl"
    matchgate("ledger", "export", "--out", export_before, "--workspace", ran / "workspace")
    response_before = (ran / "response.csv").read_bytes()
    matchgate(*run_args(world, ran))
    export_after = ran / "after.jsonl"
    matchgate("ledger", "export", "--out", export_after, "--workspace", ran / "workspace")
    entries = [json.loads(line) for line in export_after.read_text().splitlines()]
    before = [json.loads(line) for line in export_before.read_text().splitlines()]
    non_checkpoint = [e for e in entries if e.get("kind") != "checkpoint"]
    assert len(non_checkpoint) == len([e for e in before if e.get("kind") != "checkpoint"])
    assert (ran / "response.csv").read_bytes() == response_before


def test_match_only_writes_decisions_and_no_response(world: Path, tmp_path: Path) -> None:
    out = tmp_path / "m"
    matchgate(
        "match",
        "--master",
        world / "master.parquet",
        "--requests",
        world / "requests.csv",
        "--out",
        out,
    )
    assert not (out / "response.csv").exists()
    header, rows = read_csv(out / "internal" / "decisions.csv")
    assert len(rows) == REQUESTS
    assert "evidence" in header and "runner_up_tin" in header
    assert not (out / "workspace" / "ledger.sqlite").exists()


def test_train_saves_a_versioned_model(world: Path, tmp_path: Path) -> None:
    model = tmp_path / "model.json"
    matchgate(
        "train",
        "--master",
        world / "master.parquet",
        "--requests",
        world / "requests.csv",
        "--out",
        model,
    )
    document = json.loads(model.read_text())
    assert document["matchgate_model_version"] == MODEL_VERSION
    assert document["splink_settings"]["comparisons"]


BAD_REQUEST_FILES = [
    pytest.param(b"", "empty", id="empty_file"),
    pytest.param(b"\x00\x01\x02\xff\xfe" * 200, "", id="binary_garbage"),
    pytest.param(b"request_id,street\nR1,1 MAIN ST\n", "first_name", id="missing_column"),
]


@pytest.mark.parametrize(("content", "message"), BAD_REQUEST_FILES)
def test_bad_request_file_is_a_clear_error(
    world: Path, tmp_path: Path, content: bytes, message: str
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_bytes(content)
    result = matchgate(*run_args(world, tmp_path / "out", requests=bad), check=False)
    assert result.returncode == 2, result.stderr
    assert "bad.csv" in result.stderr and message in result.stderr
    assert "Traceback" not in result.stderr


def test_garbage_row_becomes_invalid_and_is_kept(world: Path, tmp_path: Path) -> None:
    lines = (world / "requests.csv").read_text(encoding="utf-8").splitlines()
    header = lines[0]
    garbage = "R-GARBAGE,=CMD|' /C calc'!A0,,SMITH,,31/31/31,1 MAIN ST,X,TX,7870,12AB,,,,"
    requests = tmp_path / "requests.csv"
    requests.write_text("\n".join([header, lines[1], garbage, lines[2]]) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    matchgate(*run_args(world, out, requests=requests))
    _, rows = read_csv(out / "response.csv")
    assert len(rows) == 3
    assert rows[1]["outcome"] == "invalid"
    assert "dob" in rows[1]["explanation"].lower() or "dob" in rows[1]["reason_codes"]


def test_missing_master_and_letter_are_clear_errors(world: Path, tmp_path: Path) -> None:
    result = matchgate(
        *run_args(world, tmp_path / "out", master=tmp_path / "nope.parquet"), check=False
    )
    assert result.returncode == 2 and "nope.parquet" in result.stderr
    result = matchgate(
        *run_args(world, tmp_path / "out2", letter=tmp_path / "none.toml"), check=False
    )
    assert result.returncode == 2 and "none.toml" in result.stderr


def test_demo_runs_the_whole_job_and_scores_it(tmp_path: Path) -> None:
    """`make demo` is `matchgate demo`: world, batch, ledger and score in one command."""
    done = run_matchgate(
        "demo", "--people", 3000, "--requests", 300, "--seed", 2, "--out", tmp_path / "demo"
    )
    assert done.returncode == 0, done.stderr
    assert "rows in 300 = rows out 300" in done.stdout
    for measure in ("wrong_person_disclosures", "recall_of_answerable", "recall_of_right_answers"):
        assert measure in done.stdout
    summary = json.loads((tmp_path / "demo" / "response" / "summary.json").read_text())
    assert sum(summary["outcomes"].values()) == 300
    verified = run_matchgate("ledger", "verify", "--workspace", tmp_path / "demo" / "workspace")
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_demo_refuses_a_bad_mix(tmp_path: Path) -> None:
    done = run_matchgate("demo", "--people", 100, "--requests", 10, "--mix", "chaos",
                         "--out", tmp_path / "demo")  # fmt: skip
    assert done.returncode == 2
    assert "request_mix" in done.stderr + done.stdout
    assert "Traceback" not in done.stderr
