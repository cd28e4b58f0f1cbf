"""matchgate risk against a direct count on the generated world it measures."""

from __future__ import annotations

import csv
import unicodedata
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from matchgate.cli import app
from matchgate.report.risk import (
    cut_requests,
    extrapolate,
    measure_design,
    naive_at_master_size,
    naive_matches,
)
from matchgate.synth import generate_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("risk-world")
    generate_world(
        out, people=1500, requests=150, seed=9, request_mix="census", legal_deficiency_rate=0.0
    )
    return out


def _up(text: str | None) -> str:
    text = unicodedata.normalize("NFKD", text or "")
    return " ".join("".join(c for c in text if not unicodedata.combining(c)).upper().split())


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


@pytest.mark.slow  # a batch through every stage
def test_name_and_state_discloses_nothing_and_the_naive_count_is_the_direct_one(
    world: Path, tmp_path: Path
) -> None:
    measure = measure_design(world, "name+state", work=tmp_path)
    assert measure.rows == 150
    assert measure.disclosed == 0 and measure.refused == 150  # no address: 6103(i)(2)(B)(i)
    truth = {row["request_id"]: row["tin"] for row in _rows(world / "truth.csv")}
    master = pl.read_parquet(world / "master.parquet").to_dicts()
    named = 0
    wrong = 0.0
    for request in _rows(world / "requests.csv"):
        first, last, state = _up(request["first_name"]), _up(request["last_name"]), request["state"]
        if not (first and last and state):
            continue
        found = {
            str(r["tin"])
            for r in master
            if _up(r["first_name"]) == first
            and _up(r["last_name"]) == last
            and _up(r["state"]) == _up(state)
        }
        if found:
            named += 1
            true_tin = truth[request["request_id"]]
            wrong += (len(found) - 1) / len(found) if true_tin in found else 1.0
    assert (measure.naive_named, measure.naive_wrong) == (named, pytest.approx(wrong))
    assert named > 0
    row = extrapolate(measure, 1_280_000)
    assert row.naive_wrong == pytest.approx(wrong / 150 * 1_280_000)
    assert row.matchgate_disclosed == 0


@pytest.mark.slow  # a batch through every stage
def test_matchgate_disclosures_are_checked_against_the_truth(world: Path, tmp_path: Path) -> None:
    measure = measure_design(world, "name+dob+address", work=tmp_path)
    truth = {row["request_id"]: row["tin"] for row in _rows(world / "truth.csv")}
    decisions = _rows(tmp_path / "name_dob_address" / "out" / "internal" / "decisions.csv")
    disclosed = [row for row in decisions if row["outcome"] == "disclosed"]
    assert measure.disclosed == len(disclosed) > 0
    assert measure.disclosed_wrong == sum(r["tin"] != truth[r["request_id"]] for r in disclosed)
    assert measure.disclosed_wrong == 0
    # Every request of the cut-down file carries a date of birth for people in the file.
    cut = _rows(tmp_path / "name_dob_address" / "requests.csv")
    assert all(row["dob"] for row in cut if truth[row["request_id"]])
    assert not any(row["tin"] for row in cut)


def test_an_unknown_design_is_refused() -> None:
    result = CliRunner().invoke(app, ["risk", "--design", "name+horoscope", "--batch-size", "10"])
    assert result.exit_code == 2
    assert "name+horoscope" in result.output


def test_the_naive_estimate_at_scale_grows_with_the_master_and_only_for_name_designs(
    world: Path,
) -> None:
    truth = {row["request_id"]: row["tin"] for row in _rows(world / "truth.csv")}
    master = pl.read_parquet(world / "master.parquet")
    rows = cut_requests(_rows(world / "requests.csv"), truth, master, "name+state")
    naive = naive_matches(rows, truth, master, "name+state")

    def at(size: int, design: str = "name+state") -> float | None:
        return naive_at_master_size(
            rows, truth, master, design, naive.candidates, naive.found_true, size
        )

    assert at(0) == 0.0
    small, large, huge = at(1_500), at(1_000_000), at(160_000_000)
    assert small is not None and large is not None and huge is not None
    assert small < large < huge <= len(rows)
    # At the world's own size the model is of the order of the count on the world.
    assert small == pytest.approx(naive.expected_wrong, abs=max(3.0, naive.expected_wrong))
    assert at(160_000_000, "name+address") is None
