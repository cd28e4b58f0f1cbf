"""matchgate assess: its figures against a direct count on the world it generated, the
master file's statistics against a hand count, and every way its inputs can be unusable."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from matchgate.cli import app
from matchgate.cli.exit_codes import exit_code_for
from matchgate.errors import MasterFileError, MatchgateError
from matchgate.report._html import read_html_tables
from matchgate.report._master_shape import CURVE_RANKS, read_master_shape
from matchgate.report.assess import threshold_curve

from .conftest import Assessed


def cli(*args: object, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner(env={"COLUMNS": "200", **(env or {})}).invoke(app, [str(a) for a in args])
    if isinstance(result.exception, MatchgateError):
        return exit_code_for(result.exception), f"{result.output}{result.exception}"
    return result.exit_code, result.output + str(result.exception or "")


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def table(path: Path) -> dict[str, dict[str, str]]:
    found = rows(path)
    key = next(iter(found[0]))
    return {row[key]: row for row in found}


MASTER_COLUMNS = "tin,tax_year,first_name,last_name,dob,street,city,state,zip\n"


def write_master(path: Path, lines: list[str]) -> Path:
    path.write_text(MASTER_COLUMNS + "".join(line + "\n" for line in lines), encoding="utf-8")
    return path


# --- the master file's statistics, counted by hand ------------------------------------------


def test_master_statistics_are_the_hand_count(tmp_path: Path) -> None:
    master = write_master(
        tmp_path / "master.csv",
        [
            # two taxpayers at 1 MAIN ST in 2024 (one an ITIN), one alone at 9 OAK AVE
            "900501234,2023,ANA,GARCIA,1980-01-01,1 MAIN ST,X,TX,75001",
            "900501234,2024,ANA,GARCIA,1980-01-01,1 MAIN ST,X,TX,75001",
            "123456789,2024,LUIS,GARCIA,1979-05-05,1 main st ,X,TX,75001-1234",
            "223456789,2022,ANA,SMITH,1990-02-02,9 OAK AVE,Y,TX,75002",
            "223456789,2024,ANA,SMITH,1990-02-02,9 OAK AVE,Y,TX,75002",
        ],
    )
    shape = read_master_shape(master)
    assert (shape.rows, shape.taxpayers) == (5, 3)
    assert (shape.first_tax_year, shape.last_tax_year, shape.tax_years) == (2022, 2024, 3)
    assert shape.filing_rate == pytest.approx(5 / (3 * 3))
    assert shape.itin_share == pytest.approx(1 / 3)
    # 2024: {1 MAIN ST 75001: 2 TINs, 9 OAK AVE 75002: 1} -> one address of two is shared
    assert shape.multi_taxpayer_address_share == pytest.approx(1 / 2)
    # pairs at different addresses: 4 ordered pairs of 6 (the Garcias live together).
    # The two GARCIAs share a home, so no surname is shared apart; the two ANAs live apart.
    assert shape.surname_collision == 0.0
    assert shape.first_name_collision == pytest.approx(2 / 4)
    assert (shape.distinct_surnames, shape.distinct_first_names) == (2, 2)
    assert shape.surname_curve[:3] == pytest.approx((2 / 3, 1 / 3, 0.0))
    assert len(shape.surname_curve) == len(CURVE_RANKS)


# --- unusable inputs: a clear error naming the file (and row and field), nothing written ----


def test_missing_master_is_named_and_nothing_is_written(tmp_path: Path) -> None:
    (tmp_path / "ws").mkdir()
    code, output = cli(
        "assess", "--master", tmp_path / "nope.parquet", "--workspace", tmp_path / "ws",
        "--out", tmp_path / "out",
    )  # fmt: skip
    assert code == 2
    assert "nope.parquet" in output and "file not found" in output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("line", "row", "field", "says"),
    [
        ("12345678,2024,ANA,LOPEZ,,2 ELM ST,Z,TX,75003", 3, "tin", "not a 9-digit TIN"),
        ("323456789,20X4,ANA,LOPEZ,,2 ELM ST,Z,TX,75003", 3, "tax_year", "not a tax year"),
        ("323456789,,ANA,LOPEZ,,2 ELM ST,Z,TX,75003", 3, "tax_year", "not a tax year"),
    ],
)
def test_a_bad_row_is_named_by_file_row_and_field(
    tmp_path: Path, line: str, row: int, field: str, says: str
) -> None:
    good = "123456789,2024,LUIS,GARCIA,1979-05-05,1 MAIN ST,X,TX,75001"
    master = write_master(tmp_path / "master.csv", [good, good.replace("2024", "2023"), line])
    with pytest.raises(MasterFileError) as caught:
        read_master_shape(master)
    assert (caught.value.path, caught.value.row, caught.value.field) == (str(master), row, field)
    assert says in str(caught.value) and f"line {row + 1} of the file" in str(caught.value)
    (tmp_path / "ws").mkdir()
    code, output = cli(
        "assess", "--master", master, "--workspace", tmp_path / "ws", "--out", tmp_path / "o"
    )
    assert code == 2 and f"row {row}" in output and f"'{field}'" in output
    assert not (tmp_path / "o").exists()


def test_a_missing_column_is_named(tmp_path: Path) -> None:
    master = tmp_path / "master.csv"
    master.write_text("tin,tax_year,first_name,street,zip\n123456789,2024,A,1 X ST,75001\n")
    with pytest.raises(MasterFileError) as caught:
        read_master_shape(master)
    assert caught.value.field == "last_name" and "required column missing" in str(caught.value)


def test_an_empty_master_is_refused(tmp_path: Path) -> None:
    empty = write_master(tmp_path / "master.csv", [])
    with pytest.raises(MasterFileError, match="no rows"):
        read_master_shape(empty)
    frame = pl.DataFrame(
        {name: pl.Series([], dtype=pl.String) for name in MASTER_COLUMNS.strip().split(",")}
    )
    frame.write_parquet(tmp_path / "empty.parquet")
    with pytest.raises(MasterFileError, match="no rows"):
        read_master_shape(tmp_path / "empty.parquet")


def test_an_unreadable_master_is_named(tmp_path: Path) -> None:
    junk = tmp_path / "master.parquet"
    junk.write_bytes(b"this is not parquet at all\x00\x01")
    with pytest.raises(MasterFileError, match="cannot read the master file") as caught:
        read_master_shape(junk)
    assert caught.value.path == str(junk)
    other = tmp_path / "master.xlsx"
    other.write_bytes(b"PK")
    with pytest.raises(MasterFileError, match="Parquet"):
        read_master_shape(other)


def test_bad_options_are_refused_before_anything_runs(tmp_path: Path) -> None:
    good = "123456789,2024,LUIS,GARCIA,1979-05-05,1 MAIN ST,X,TX,75001"
    master = write_master(tmp_path / "master.csv", [good])
    args = ["assess", "--master", master, "--out", tmp_path / "o"]
    code, output = cli(*args, "--workspace", tmp_path / "no-such-workspace")
    assert code == 4 and "no-such-workspace" in output
    (tmp_path / "ws").mkdir()
    code, output = cli(*args, "--workspace", tmp_path / "ws", "--format", "docx")
    assert code == 2 and "html or pdf" in output
    code, output = cli(*args, "--workspace", tmp_path / "ws", "--policy", tmp_path / "p.toml")
    assert code == 2 and "p.toml" in output
    code, output = cli(*args, "--workspace", tmp_path / "ws", "--people", 600, "--requests", 700)
    assert code == 2 and "cannot exceed --people" in output
    assert not (tmp_path / "o").exists()


def test_the_threshold_curve_counts_only_rows_the_threshold_decides() -> None:
    truth = {
        "a": {"tin": "111111111", "legally_sufficient": "true"},
        "b": {"tin": "222222222", "legally_sufficient": "true"},
        "c": {"tin": "", "legally_sufficient": "true"},
        "d": {"tin": "444444444", "legally_sufficient": "true"},
    }
    decisions = [
        {"request_id": "a", "outcome": "disclosed", "reason_codes": "address_in_history",
         "tin": "111111111", "best_probability": "0.99999"},
        {"request_id": "b", "outcome": "needs_review", "reason_codes": "probability_grey_zone",
         "tin": "222222222", "best_probability": "0.97"},
        # someone not in the file, held back by the threshold alone: wrong if disclosed
        {"request_id": "c", "outcome": "needs_review", "reason_codes": "probability_grey_zone",
         "tin": "999999999", "best_probability": "0.96"},
        # a DOB contradiction is never outweighed: not counted at any threshold
        {"request_id": "d", "outcome": "needs_review", "reason_codes": "dob_conflict",
         "tin": "444444444", "best_probability": "0.999"},
    ]  # fmt: skip
    curve = threshold_curve(decisions, truth, thresholds=[0.95, 0.965, 0.999])
    assert [(p["disclosures"], p["wrong_person_disclosures"]) for p in curve] == [
        (3, 1),
        (2, 0),
        (1, 0),
    ]
    assert curve[0]["precision"] == pytest.approx(2 / 3)
    assert [p["recall"] for p in curve] == pytest.approx([2 / 3, 2 / 3, 1 / 3])


# --- the assessment itself (a batch through every stage) -----------------------------------


@pytest.mark.slow
def test_the_figures_are_a_direct_count_on_the_world(assessed: Assessed) -> None:
    world = assessed.out / "work" / "world"
    truth = {row["request_id"]: row for row in rows(world / "truth.csv")}
    decisions = rows(assessed.out / "work" / "batch" / "internal" / "decisions.csv")
    assert len(decisions) == 250
    disclosed = [d for d in decisions if d["outcome"] == "disclosed"]
    right = [d for d in disclosed if d["tin"] == truth[d["request_id"]]["tin"]]
    in_file = [t for t in truth.values() if t["tin"] and t["legally_sufficient"] == "true"]
    accuracy = table(assessed.out / "accuracy.csv")
    assert int(accuracy["disclosures"]["value"]) == len(disclosed) > 0
    assert int(accuracy["wrong_person_disclosures"]["value"]) == len(disclosed) - len(right)
    assert int(accuracy["in_file_requests"]["value"]) == len(in_file)
    assert float(accuracy["precision"]["value"]) == pytest.approx(len(right) / len(disclosed))
    assert float(accuracy["recall"]["value"]) == pytest.approx(len(right) / len(in_file))
    estimated = sum(1 - float(d["best_probability"]) for d in disclosed)
    assert float(accuracy["estimated_wrong_disclosures"]["value"]) == pytest.approx(
        estimated, abs=1e-6
    )
    assert float(accuracy["estimated_false_disclosure_rate"]["value"]) == pytest.approx(
        estimated / len(disclosed), rel=1e-3
    )
    outcomes = table(assessed.out / "outcomes.csv")
    assert {k: int(v["rows"]) for k, v in outcomes.items()} == Counter(
        d["outcome"] for d in decisions
    )
    # per hazard: a row counts under each of its tags
    hazards = table(assessed.out / "per_hazard.csv")
    by_id = {d["request_id"]: d for d in decisions}
    counted: Counter[str] = Counter()
    wrong: Counter[str] = Counter()
    for rid, label in truth.items():
        for tag in filter(None, label["hazards"].split(";")):
            counted[tag] += 1
            d = by_id[rid]
            wrong[tag] += d["outcome"] == "disclosed" and d["tin"] != label["tin"]
    assert {k: int(v["requests"]) for k, v in hazards.items()} == counted
    assert {k: int(v["wrong_person_disclosures"]) for k, v in hazards.items()} == {
        k: wrong[k] for k in counted
    }
    # the curve at the deployed threshold is the measured result, and never widens upward
    curve = rows(assessed.out / "threshold_curve.csv")
    [deployed] = [p for p in curve if p["deployed"] == "yes"]
    assert int(deployed["disclosures"]) == len(disclosed)
    assert float(deployed["recall"]) == pytest.approx(len(right) / len(in_file))
    counts = [int(p["disclosures"]) for p in curve]
    assert counts == sorted(counts, reverse=True)
    # the page shows the CSV's cells
    page = read_html_tables((assessed.out / "index.html").read_text(encoding="utf-8"))
    assert page["accuracy"][1:] == [list(r.values()) for r in rows(assessed.out / "accuracy.csv")]
    manifest = json.loads((assessed.out / "assessment.json").read_text())
    assert manifest["people"] == 1500 and manifest["requests"] == 250
    assert "trained on the synthetic world" in manifest["model"]
    assert not (assessed.deployed / "model.json").exists()  # the deployed workspace is read only
    assert sorted(p.name for p in assessed.deployed.iterdir()) == []


@pytest.mark.slow
def test_the_world_is_shaped_like_the_master_and_copies_none_of_it(assessed: Assessed) -> None:
    shape = table(assessed.out / "master_shape.csv")

    def pair(name: str) -> tuple[float, float]:
        return float(shape[name]["master"]), float(shape[name]["world"])

    # the "real" master file was built with 3x the ITINs, few one-person households and
    # more concentrated surnames; the fitted world must follow it, not the defaults
    master, world = pair("itin_share")
    assert master > 0.07 and world == pytest.approx(master, rel=0.35)
    master, world = pair("multi_taxpayer_address_share")
    assert master > 0.7 and world == pytest.approx(master, abs=0.06)
    master, world = pair("surname_collision")
    assert world == pytest.approx(master, rel=0.5)
    assert pair("first_tax_year")[0] == pair("first_tax_year")[1]
    assert float(shape["taxpayers"]["world"]) == 1500
    assert "surname_exponent" in shape["surname_collision"]["knob"]
    columns = ["tin", "first_name", "last_name", "dob", "street", "zip"]
    real = pl.read_parquet(assessed.master).select(columns).unique()
    synthetic = pl.read_parquet(assessed.out / "work" / "world" / "master.parquet")
    assert real.join(synthetic.select(columns).unique(), on=columns).height == 0
    assert set(real["tin"]).isdisjoint(set(synthetic["tin"]))


@pytest.mark.slow
def test_the_page_states_its_limits(assessed: Assessed) -> None:
    text = (assessed.out / "index.html").read_text(encoding="utf-8")
    assert "What this assessment cannot show" in text
    for phrase in ("typos", "Family structures", "upper bound", "reviewer"):
        assert phrase in text
    assert "http://" not in text and "https://" not in text
    for name in ("threshold_curve", "wrong_per_hazard", "estimated_vs_measured", "name_curves"):
        assert (assessed.out / f"{name}.png").read_bytes().startswith(b"\x89PNG")


# --- --format pdf without a browser ---------------------------------------------------------


def test_pdf_without_chromium_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from matchgate.errors import InputError
    from matchgate.report import print_pdf

    page = tmp_path / "index.html"
    page.write_text("<!DOCTYPE html><title>t</title><p>x</p>", encoding="utf-8")
    monkeypatch.setenv("MATCHGATE_CHROMIUM", str(tmp_path / "no-chromium"))
    with pytest.raises(InputError, match="needs Chromium") as caught:
        print_pdf(page)
    assert caught.value.path == str(tmp_path / "no-chromium")
    assert not (tmp_path / "report.pdf").exists()


def test_oversight_pdf_needs_a_report_folder(tmp_path: Path) -> None:
    code, output = cli("report", "oversight", "--year", 2026, "--workspace", tmp_path,
                       "--format", "pdf")  # fmt: skip
    assert code == 2 and "--out DIR" in output
    code, output = cli("report", "oversight", "--year", 2026, "--workspace", tmp_path,
                       "--out", tmp_path / "s.json", "--format", "pdf")  # fmt: skip
    assert code == 2 and "--out DIR" in output
