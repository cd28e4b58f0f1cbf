"""Issue 11 on the generator side: members of a household file in different years, namesakes
linked outside the requested address, and the noisy request mix."""

from __future__ import annotations

import csv
import random
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from matchgate.review.periods import parse_tax_periods
from matchgate.synth import REQUEST_MIXES, generate_world
from matchgate.synth._filings import MEAN_FILING_RATE
from matchgate.synth._naming_customs import strip_accents
from matchgate.synth._noise import (
    EDITS_PER_RECORD,
    KIND_WEIGHTS,
    MAX_EDITS_PER_FIELD,
    corrupt_row,
)

FILES = ("master.parquet", "master_problems.csv", "requests.csv", "letter.toml", "truth.csv")


def plain(text: str) -> str:
    return " ".join(strip_accents(text).upper().replace("-", " ").split())


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def tags_of(truth: dict[str, str]) -> set[str]:
    return set(truth["hazards"].split(";")) - {""}


@pytest.fixture(scope="module")
def worlds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("issue11")
    for mix in ("stress", "census", "noisy"):
        generate_world(out / mix, people=6_000, requests=4_000, seed=5, request_mix=mix)
    return {mix: out / mix for mix in ("stress", "census", "noisy")}


def _master(world: Path) -> pl.DataFrame:
    return pl.read_parquet(world / "master.parquet").unique(["tin", "tax_year"])


# --- filings -------------------------------------------------------------------------------


def test_each_person_files_about_85_percent_of_eligible_years(worlds: dict[str, Path]) -> None:
    master = _master(worlds["census"])
    identity = master.group_by("tin").agg(pl.col("dob").mode().first())
    eligible = 0
    for (dob,) in identity.select("dob").iter_rows():
        born = date.fromisoformat(dob)
        eligible += sum(
            (date(y, 12, 31) - born).days >= int(17 * 365.25) for y in range(2019, 2026)
        )
    assert MEAN_FILING_RATE == pytest.approx(0.844)
    # everyone files at least once, which lifts the rate a little above the draw's mean
    assert MEAN_FILING_RATE - 0.02 < master.height / eligible < MEAN_FILING_RATE + 0.03


def test_housemates_file_in_different_years_at_a_shared_address(
    worlds: dict[str, Path],
) -> None:
    master = _master(worlds["stress"])
    years: dict[tuple[str, str], dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    for tin, street, city, year in master.select("tin", "street", "city", "tax_year").iter_rows():
        years[(street, city)][tin].add(year)
    pairs = disjoint = differ = 0
    for per_tin in years.values():
        tins = sorted(per_tin)
        for i, a in enumerate(tins):
            for b in tins[i + 1 :]:
                pairs += 1
                differ += per_tin[a] != per_tin[b]
                disjoint += not per_tin[a] & per_tin[b]
    assert pairs > 1_000
    assert differ / pairs > 0.3  # independent draws: co-residents rarely file the same years
    assert disjoint > 20


def test_namesake_elsewhere_rows_are_the_jr_sr_trap(worlds: dict[str, Path]) -> None:
    """The son asked for at a home only his namesake filed from, the two linked by another
    address both filed from: checked on the files alone."""
    world = worlds["stress"]
    master = _master(world)
    by_tin: dict[str, list[dict]] = defaultdict(list)
    for row in master.iter_rows(named=True):
        by_tin[row["tin"]].append(row)
    requests = {r["request_id"]: r for r in read_csv(world / "requests.csv")}
    rows = [t for t in read_csv(world / "truth.csv") if "namesake_elsewhere" in tags_of(t)]
    assert len(rows) >= 40 and len({t["tin"] for t in rows}) >= 5
    for truth in rows:
        request = requests[truth["request_id"]]
        me = by_tin[truth["tin"]]
        key = (request["street"].split(" ")[0], request["city"].upper(), request["state"])
        my_streets = {(r["street"], r["city"]) for r in me}
        name = (plain(me[0]["first_name"] or "?"), plain(me[0]["last_name"]))
        namesakes = [
            rows_
            for tin, rows_ in by_tin.items()
            if tin != truth["tin"]
            and (plain(rows_[0]["first_name"] or "?"), plain(rows_[0]["last_name"])) == name
            and rows_[0]["dob"] != me[0]["dob"]
        ]
        assert {"namesake_in_household", "address_not_filed"} <= tags_of(truth)
        assert any(
            key in {(r["street"].split(" ")[0], r["city"], r["state"]) for r in other}
            and my_streets & {(r["street"], r["city"]) for r in other}
            for other in namesakes
        ), truth
        assert truth["filed_in_periods"] in ("true", "false")


def test_namesake_and_moved_together_tags_are_in_the_master(worlds: dict[str, Path]) -> None:
    world = worlds["stress"]
    master = _master(world)
    streets: dict[str, set[tuple[str, str]]] = defaultdict(set)
    names: dict[str, tuple[str, str]] = {}
    for tin, first, last, street, city in master.select(
        "tin", "first_name", "last_name", "street", "city"
    ).iter_rows():
        streets[tin].add((street, city))
        if first:
            names[tin] = (plain(first), plain(last))
    tins_at: dict[tuple[str, str], set[str]] = defaultdict(set)
    for tin, addresses in streets.items():
        for address in addresses:
            tins_at[address].add(tin)
    truth = read_csv(world / "truth.csv")
    counts = Counter(tag for t in truth for tag in tags_of(t))
    assert counts["moved_together"] >= 100 and counts["namesake_in_household"] >= 100
    for t in truth:
        tags, tin = tags_of(t), t["tin"]
        others = {o for a in streets.get(tin, ()) for o in tins_at[a]} - {tin}
        if "moved_together" in tags:
            assert any(len(streets[tin] & streets[o]) >= 2 for o in others), t
        if "namesake_in_household" in tags and tin in names:
            # the namesake may share no filed address: look in the whole file
            assert sum(name == names[tin] for name in names.values()) >= 2, t


@pytest.mark.parametrize("mix", ["stress", "census", "noisy"])
def test_filed_in_periods_agrees_with_the_master(worlds: dict[str, Path], mix: str) -> None:
    master = _master(worlds[mix])
    filed: dict[str, set[int]] = defaultdict(set)
    for tin, year in master.select("tin", "tax_year").iter_rows():
        filed[tin].add(year)
    requests = {r["request_id"]: r for r in read_csv(worlds[mix] / "requests.csv")}
    seen = Counter()
    for truth in read_csv(worlds[mix] / "truth.csv"):
        if not truth["tin"]:
            assert truth["filed_in_periods"] == ""
            continue
        asked = set(parse_tax_periods(requests[truth["request_id"]]["tax_periods"]) or ())
        assert truth["filed_in_periods"] == ("true" if asked & filed[truth["tin"]] else "false")
        seen[truth["filed_in_periods"]] += 1
    assert seen["true"] > seen["false"] > 0


# --- the noisy mix -------------------------------------------------------------------------


def test_noisy_mix_is_listed_and_census_mixes_carry_no_corruption(
    worlds: dict[str, Path],
) -> None:
    assert REQUEST_MIXES == ("stress", "census", "noisy")
    for mix in ("stress", "census"):
        for truth in read_csv(worlds[mix] / "truth.csv"):
            assert truth["corruptions"] == ""
            assert not any(tag.startswith("noise_") for tag in tags_of(truth))


def _edits(truth: dict[str, str]) -> list[str]:
    return [edit for edit in truth["corruptions"].split(";") if edit]


def test_noisy_rows_get_one_to_three_edits_at_the_documented_rates(
    worlds: dict[str, Path],
) -> None:
    truth = read_csv(worlds["noisy"] / "truth.csv")
    sufficient = [t for t in truth if t["legally_sufficient"] == "true"]
    per_row = Counter(len(_edits(t)) for t in sufficient)
    assert set(per_row) <= {1, 2, 3}
    for edits, share in EDITS_PER_RECORD:
        assert per_row[edits] / len(sufficient) == pytest.approx(share, abs=0.03)
    assert all(not _edits(t) for t in truth if t["legally_sufficient"] == "false")
    kinds = Counter(edit.rsplit(":", 1)[1] for t in sufficient for edit in _edits(t))
    total = sum(kinds.values())
    for kind, weight in KIND_WEIGHTS.items():
        assert kinds[kind] / total == pytest.approx(weight, abs=0.03), kind
    for t in sufficient:
        fields = Counter(edit.split(":")[0] for edit in _edits(t))
        assert max(fields.values()) <= MAX_EDITS_PER_FIELD
        assert {f"noise_{e.rsplit(':', 1)[1]}" for e in _edits(t)} == {
            tag for tag in tags_of(t) if tag.startswith("noise_")
        }
    # "one record per person, most with a DOB"
    requests = read_csv(worlds["noisy"] / "requests.csv")
    assert 0.1 < sum(r["dob"] == "" for r in requests) / len(requests) < 0.25


def test_noisy_rows_are_their_census_twins_with_only_the_recorded_edits(
    worlds: dict[str, Path],
) -> None:
    """Same seed: the same people at the same addresses; every field that differs from the
    census twin is one a recorded corruption names (or a date of birth the census row lost)."""
    census = read_csv(worlds["census"] / "requests.csv")
    noisy = read_csv(worlds["noisy"] / "requests.csv")
    census_truth = read_csv(worlds["census"] / "truth.csv")
    noisy_truth = read_csv(worlds["noisy"] / "truth.csv")
    changed_by_kind: Counter[str] = Counter()
    for plain_row, row, plain_truth, truth in zip(
        census, noisy, census_truth, noisy_truth, strict=True
    ):
        assert truth["tin"] == plain_truth["tin"]
        assert truth["legally_sufficient"] == plain_truth["legally_sufficient"]
        named = {f for edit in _edits(truth) for f in edit.split(":")[0].split("+")}
        for field, value in row.items():
            if field == "dob" and plain_row["dob"] == "":
                continue  # the census twin drops more dates of birth than the noisy row
            if field not in named:
                assert value == plain_row[field], (field, plain_row, row, truth)
        for edit in _edits(truth):
            fields, kind = edit.split(":")
            for field in fields.split("+"):
                if field != "dob":  # the census twin may have lost the date of birth anyway
                    assert row[field] != plain_row[field], (edit, plain_row, row)
            if kind == "missing":
                assert row[fields] == ""
            others = {f for e in _edits(truth) if e != edit for f in e.split(":")[0].split("+")}
            if kind == "swap" and not others & set(fields.split("+")):
                a, b = fields.split("+")
                assert (row[a], row[b]) == (plain_row[b], plain_row[a])
            changed_by_kind[kind] += 1
        if row["dob"] and plain_row["dob"]:
            assert row["dob"] == plain_row["dob"]  # dates of birth are dropped, never mistyped
    assert set(changed_by_kind) == set(KIND_WEIGHTS)


def test_street_corruptions_look_as_described(worlds: dict[str, Path]) -> None:
    census = read_csv(worlds["census"] / "requests.csv")
    noisy = read_csv(worlds["noisy"] / "requests.csv")
    truth = read_csv(worlds["noisy"] / "truth.csv")
    for before, after, t in zip(census, noisy, truth, strict=True):
        edits = _edits(t)
        if edits == ["street:number_moved"]:
            number = before["street"].split(" ")[0]
            words = after["street"].replace(",", "").split(" ")
            assert words[0] != number and number in words[1:], (before, after)
        if edits == ["street:extra_line"]:
            assert after["street"].startswith(before["street"])
            assert len(after["street"]) > len(before["street"]) + 2
        if edits == ["street:split_join"]:
            assert after["street"].replace(" ", "") == before["street"].replace(" ", "")
        if edits == ["street:street_type"]:
            assert after["street"].split(" ")[0] == before["street"].split(" ")[0]


@pytest.mark.parametrize("seed", range(200))
def test_corrupt_row_records_every_edit_and_never_blanks_required_fields(seed: int) -> None:
    row = {
        "first_name": "PHILLIP",
        "middle_name": "ROCKY",
        "last_name": "MCKINNEY",
        "suffix": "JR",
        "dob": "1971-05-08",
        "street": "1058 N GREENWOOD CRESCENT APT 3B",
        "city": "SAN ANTONIO",
        "state": "TX",
        "zip": "78215",
    }
    fields = dict(row)
    edits = corrupt_row(random.Random(seed), fields)
    assert 1 <= len(edits) <= 3
    for name in ("first_name", "last_name", "street", "city", "state"):
        assert fields[name].strip(), (name, edits)
    assert fields["dob"] in ("", row["dob"])
    named = {f for edit in edits for f in edit.split(":")[0].split("+")}
    assert {f for f in row if row[f] != fields[f]} <= named


def test_corrupt_row_keeps_lower_case_rows_lower_case() -> None:
    for seed in range(100):
        fields = {
            "first_name": "maria", "middle_name": "", "last_name": "gonzalez", "suffix": "",
            "dob": "", "street": "12 oak st", "city": "houston", "state": "TX", "zip": "",
        }  # fmt: skip
        corrupt_row(random.Random(seed), fields)
        for name in ("first_name", "last_name", "street"):
            assert fields[name] == fields[name].lower(), fields


def test_noisy_world_is_reproducible(tmp_path: Path) -> None:
    for name, seed in (("a", 9), ("b", 9), ("c", 10)):
        generate_world(tmp_path / name, people=800, requests=300, seed=seed, request_mix="noisy")
    for file in FILES:
        first = (tmp_path / "a" / file).read_bytes()
        assert first == (tmp_path / "b" / file).read_bytes(), file
        assert first != (tmp_path / "c" / file).read_bytes(), file
