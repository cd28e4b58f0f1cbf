"""generate_world: files, contracts, ground truth and the hazards it promises to plant."""

from __future__ import annotations

import csv
import dataclasses
import os
import re
import subprocess
import sys
import tomllib
from collections import Counter, defaultdict
from datetime import date, timedelta
from importlib import resources
from pathlib import Path

import polars as pl
import pytest

import matchgate.synth
from matchgate.errors import InputError
from matchgate.review import ReviewOutcome, review_batch
from matchgate.synth import HAZARD_TAGS, WorldSummary, generate_world
from matchgate.synth._cases import CIVIL_STATUTE, CRIMINAL_STATUTES
from matchgate.synth._deficiencies import DEFICIENCY_KINDS
from matchgate.synth._letter import OFFICER_LOAD
from matchgate.synth._naming_customs import NICKNAMES, PARTICLE_SURNAMES, strip_accents
from matchgate.synth._tins import looks_issued

AS_OF = date(2026, 11, 1)
FILES = ("master.parquet", "master_problems.csv", "requests.csv", "letter.toml", "truth.csv")
REQUEST_HEADER = [
    "request_id", "first_name", "middle_name", "last_name", "suffix", "dob", "street", "city",
    "state", "zip", "tin", "tax_periods", "statute", "case_number", "reason",
]  # fmt: skip
MASTER_COLUMNS = [
    "tin", "tin_type", "tax_year", "first_name", "middle_name", "last_name", "suffix", "dob",
    "street", "city", "state", "zip", "employer_name", "dependents", "income",
]  # fmt: skip
COMMON_SURNAMES = {
    "GARCIA", "RODRIGUEZ", "MARTINEZ", "HERNANDEZ", "LOPEZ", "GONZALEZ", "PEREZ", "SANCHEZ",
    "RAMIREZ", "TORRES", "FLORES", "RIVERA", "GOMEZ", "DIAZ", "CRUZ", "MORALES", "REYES",
    "GUTIERREZ", "ORTIZ", "CHAVEZ", "RAMOS", "RUIZ", "MENDOZA", "ALVAREZ", "JIMENEZ", "CASTILLO",
    "SMITH", "JOHNSON", "WILLIAMS", "BROWN", "JONES", "MILLER", "DAVIS", "WILSON", "ANDERSON",
    "THOMAS", "TAYLOR", "MOORE", "JACKSON", "MARTIN", "LEE", "THOMPSON", "WHITE", "HARRIS",
    "CLARK", "LEWIS", "ROBINSON", "WALKER", "YOUNG", "ALLEN", "KING", "WRIGHT", "SCOTT", "NGUYEN",
    "HILL", "GREEN", "ADAMS", "NELSON", "BAKER", "HALL", "CAMPBELL", "MITCHELL", "CARTER",
    "ROBERTS",
}  # fmt: skip
UNIT = re.compile(r"\s+(APT|UNIT)\s+\S+$")


def plain(text: str) -> str:
    return " ".join(strip_accents(text).upper().replace("-", " ").split())


def _has_accent(text: str) -> bool:
    return strip_accents(text) != text


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


class World:
    """A generated world loaded for assertions."""

    def __init__(self, summary: WorldSummary) -> None:
        self.summary = summary
        self.master = pl.read_parquet(summary.master_path)
        self.requests = read_csv(summary.requests_path)
        self.truth = read_csv(summary.truth_path)
        self.problems = read_csv(summary.master_problems_path)
        self.letter = tomllib.loads(summary.letter_path.read_text(encoding="utf-8"))
        self.rows_by_tin: dict[str, list[dict]] = defaultdict(list)
        self.tins_by_street: dict[tuple[str, str], set[str]] = defaultdict(set)
        for row in self.master.iter_rows(named=True):
            self.rows_by_tin[row["tin"]].append(row)
            self.tins_by_street[(row["street"], row["city"])].add(row["tin"])
        # planted master problems blank a field in one row: a person's identity is the usual value
        self.identity = {
            tin: {
                field: Counter(row[field] for row in rows).most_common(1)[0][0]
                for field in ("first_name", "middle_name", "last_name", "dob", "tin_type")
            }
            for tin, rows in self.rows_by_tin.items()
        }

    def rows_tagged(self, tag: str) -> list[tuple[dict[str, str], dict[str, str]]]:
        return [
            (request, truth)
            for request, truth in zip(self.requests, self.truth, strict=True)
            if tag in truth["hazards"].split(";")
        ]

    def housemates(self, tin: str) -> list[dict]:
        """Identity of every other taxpayer who ever filed from one of tin's addresses."""
        others: set[str] = set()
        for row in self.rows_by_tin[tin]:
            others |= self.tins_by_street[(row["street"], row["city"])] - {tin}
        return [self.identity[other] for other in sorted(others)]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    out = tmp_path_factory.mktemp("world")
    return World(generate_world(out, people=20_000, requests=3_000, seed=11, as_of=AS_OF))


@pytest.fixture(scope="module")
def deficient_letter_world(tmp_path_factory: pytest.TempPathFactory) -> World:
    out = tmp_path_factory.mktemp("deficient")
    return World(generate_world(out, people=2_000, requests=400, seed=5, deficient_letter=True))


def test_public_names_are_exactly_the_documented_ones() -> None:
    assert matchgate.synth.__all__ == sorted(matchgate.synth.__all__)
    assert set(matchgate.synth.__all__) == {
        "HAZARD_TAGS",
        "REQUEST_MIXES",
        "WorldShape",
        "WorldSummary",
        "generate_world",
    }


# --- determinism ---------------------------------------------------------------------------


def test_same_seed_gives_identical_bytes_and_another_seed_differs(tmp_path: Path) -> None:
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        generate_world(tmp_path / name, people=1_500, requests=300, seed=seed)
    for file in FILES:
        first = (tmp_path / "a" / file).read_bytes()
        assert first == (tmp_path / "b" / file).read_bytes(), file
        assert first != (tmp_path / "c" / file).read_bytes(), file


def test_output_does_not_depend_on_python_hash_seed(tmp_path: Path) -> None:
    generate_world(tmp_path / "here", people=800, requests=150, seed=8)
    script = (
        "import sys; from pathlib import Path; from matchgate.synth import generate_world; "
        "generate_world(Path(sys.argv[1]), people=800, requests=150, seed=8)"
    )
    environment = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "there")], check=True, env=environment
    )
    for file in FILES:
        assert (tmp_path / "here" / file).read_bytes() == (tmp_path / "there" / file).read_bytes()


# --- contracts -----------------------------------------------------------------------------


def test_files_and_summary(world: World) -> None:
    summary = world.summary
    for file in FILES:
        assert (summary.out_dir / file).is_file()
    assert summary.people == 20_000
    assert summary.requests == len(world.requests) == len(world.truth) == 3_000
    assert summary.master_rows == world.master.height
    assert summary.master_problems == len(world.problems)
    assert dict(summary.hazard_counts).keys() == set(HAZARD_TAGS)
    with pytest.raises(dataclasses.FrozenInstanceError):
        summary.people = 1  # type: ignore[misc]
    with pytest.raises(TypeError):
        summary.hazard_counts["jr_sr"] = 0  # type: ignore[index]


def test_master_columns_and_types(world: World) -> None:
    assert world.master.columns == MASTER_COLUMNS
    for column, dtype in world.master.schema.items():
        assert dtype == (pl.Int64 if column == "tax_year" else pl.String), column
    years = world.master["tax_year"]
    assert (years.min(), years.max()) == (AS_OF.year - 7, AS_OF.year - 1)


def test_master_holds_one_row_per_taxpayer_per_filed_year(world: World) -> None:
    duplicates = {
        (p["tin"], int(p["tax_year"]))
        for p in world.problems
        if p["problem"] == "duplicate_tin_tax_year"
    }
    counted = world.master.group_by("tin", "tax_year").len().filter(pl.col("len") > 1)
    assert {(r["tin"], r["tax_year"]) for r in counted.iter_rows(named=True)} == duplicates
    people = world.master["tin"].n_unique()
    assert 19_500 <= people <= 20_000  # everyone files at least once
    years_filed = world.master.group_by("tin").agg(pl.col("tax_year").n_unique())
    assert (years_filed["tax_year"] < 7).mean() > 0.3  # not every person files every year


def test_tins_follow_ssn_and_itin_rules(world: World) -> None:
    for tin, tin_type in world.master.select("tin", "tin_type").unique().iter_rows():
        assert re.fullmatch(r"\d{9}", tin)
        if tin_type == "ITIN":
            assert tin[0] == "9" and 50 <= int(tin[3:5]) <= 99
            assert int(tin[3:5]) not in (66, 67, 68, 69, 89, 93)
        else:
            assert tin_type == "SSN"
            assert tin[0] != "9" and tin[:3] not in ("000", "666")
    identities = world.master.group_by("tin").agg(pl.col("last_name").n_unique())
    assert identities["last_name"].max() == 1  # a TIN belongs to one person


def test_master_names_streets_and_dates_look_filed(world: World) -> None:
    sample = world.master.sample(2_000, seed=1)
    assert sample["street"].str.contains(r"^\d+ ").all()
    assert sample["zip"].str.contains(r"^\d{5}$").all()
    assert world.master["last_name"].str.contains(" ").any()  # compound surnames as filed
    assert world.master["last_name"].str.contains("[ÁÉÍÓÚÑ]").any()  # accents kept sometimes
    assert world.master["street"].str.contains(r" (APT|UNIT) ").any()
    for column in ("employer_name", "dependents", "income"):
        assert world.master[column].str.len_chars().min() > 0


def test_master_problems_are_real_and_rare(world: World) -> None:
    kinds = {p["problem"] for p in world.problems}
    assert kinds == {"missing_first_name", "impossible_dob", "duplicate_tin_tax_year"}
    assert 0.0005 < len(world.problems) / world.master.height < 0.005
    for problem in world.problems:
        rows = [
            r
            for r in world.rows_by_tin[problem["tin"]]
            if r["tax_year"] == int(problem["tax_year"])
        ]
        if problem["problem"] == "missing_first_name":
            assert any(r["first_name"] == "" for r in rows)
        elif problem["problem"] == "impossible_dob":
            assert any(not _valid_date(r["dob"]) for r in rows)
        else:
            assert len(rows) == 2


def _valid_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def test_request_file_header_and_formats(world: World) -> None:
    with world.summary.requests_path.open(encoding="utf-8") as stream:
        assert next(csv.reader(stream)) == REQUEST_HEADER
    ids = [r["request_id"] for r in world.requests]
    assert ids == [t["request_id"] for t in world.truth] and len(set(ids)) == len(ids)
    for row in world.requests:
        assert row["tin"] == "" or re.fullmatch(r"\d{3}-?\d{2}-?\d{4}", row["tin"])
        assert row["dob"] == "" or re.fullmatch(r"\d{4}-\d\d-\d\d|\d\d/\d\d/\d{4}", row["dob"])
        assert row["case_number"] == "" or re.fullmatch(r"HSI-\d{4}-\d{6}", row["case_number"])
    no_dob = sum(r["dob"] == "" for r in world.requests) / len(world.requests)
    assert 0.38 < no_dob < 0.58
    given = sum(r["tin"] != "" for r in world.requests) / len(world.requests)
    assert 0.08 < given < 0.2


def test_sufficient_rows_carry_every_element_of_6103_i_2_b(world: World) -> None:
    earliest, latest = AS_OF.year - 6, AS_OF.year - 1
    for request, truth in zip(world.requests, world.truth, strict=True):
        if truth["legally_sufficient"] != "true":
            continue
        assert request["last_name"] and request["first_name"]
        assert request["street"] and request["city"] and request["state"]
        assert request["statute"] in CRIMINAL_STATUTES
        assert request["case_number"] and request["reason"]
        years = [int(y) for y in re.split(r"[-;]", request["tax_periods"])]
        assert all(earliest <= y <= latest for y in years)
        assert re.fullmatch(r"\d{4}(-\d{4}|(;\d{4})+)?", request["tax_periods"])


def test_cases_are_shared_and_reasons_are_specific(world: World) -> None:
    per_case: dict[str, set[str]] = defaultdict(set)
    for row in world.requests:
        if row["case_number"]:
            per_case[row["case_number"]].add(row["request_id"])
    assert any(len(rows) > 1 for rows in per_case.values())
    reasons = {r["reason"] for r in world.requests if r["reason"]}
    assert len(reasons) >= 0.9 * len(per_case)
    for row in world.requests:
        if row["reason"] and row["case_number"]:
            assert row["case_number"] in row["reason"]


# --- ground truth --------------------------------------------------------------------------


def test_truth_tins_exist_exactly_when_the_person_is_in_the_file(world: World) -> None:
    for truth in world.truth:
        tags = truth["hazards"].split(";")
        if "not_in_file" in tags:
            assert truth["tin"] == ""
        else:
            assert truth["tin"] in world.rows_by_tin
        assert truth["legally_sufficient"] in ("true", "false")
        assert set(tags) - {""} <= set(HAZARD_TAGS)
    share = world.summary.not_in_file / world.summary.requests
    assert 0.08 <= share <= 0.12


def test_filed_in_periods_says_whether_a_requested_year_has_a_return(world: World) -> None:
    from matchgate.review.periods import parse_tax_periods

    requests = {row["request_id"]: row for row in world.requests}
    seen = Counter()
    for truth in world.truth:
        if not truth["tin"]:
            assert truth["filed_in_periods"] == ""
            continue
        asked = set(parse_tax_periods(requests[truth["request_id"]]["tax_periods"]) or ())
        filed = {row["tax_year"] for row in world.rows_by_tin[truth["tin"]]}
        assert truth["filed_in_periods"] == ("true" if asked & filed else "false")
        seen[truth["filed_in_periods"]] += 1
    assert seen["true"] > seen["false"] > 0


def test_requested_address_is_one_the_person_filed_from_unless_tagged(world: World) -> None:
    checked = 0
    for request, truth in zip(world.requests, world.truth, strict=True):
        tags = truth["hazards"].split(";")
        if not truth["tin"] or set(tags) & {
            "placeholder_address",
            "zip_only",
            "institution_address",
        }:
            continue
        filed = {
            (r["street"].split(" ")[0], r["city"], r["state"])
            for r in world.rows_by_tin[truth["tin"]]
        }
        key = (request["street"].split(" ")[0], request["city"].upper(), request["state"])
        # a household's address history is shared, each member's filings are not: the
        # request may carry a home of the person's from which only a housemate filed
        checked += 1
        if "address_not_filed" not in tags:
            assert key in filed, (request, truth)
            continue
        # not filed from: unless the household moved between units of one building
        units = {
            (r["street"].split(" ")[0], r["city"], r["state"])
            for r in world.rows_by_tin[truth["tin"]]
            if UNIT.search(r["street"])
        }
        assert key not in filed or key in units, (request, truth)
    assert checked > 2_000


def test_every_hazard_is_planted_at_a_measurable_rate(world: World) -> None:
    counts = world.summary.hazard_counts
    for tag in HAZARD_TAGS:
        if tag.startswith("noise_"):  # only the noisy mix corrupts fields
            assert counts[tag] == 0, tag
            continue
        assert counts[tag] >= 12, (tag, counts[tag])
    for tag in ("jr_sr", "compound_surname", "no_dob", "common_name", "apartment", "mover"):
        assert counts[tag] >= 150, (tag, counts[tag])


def test_legal_deficiencies_are_tagged_insufficient_and_spread(world: World) -> None:
    deficient = [t for t in world.truth if t["legally_sufficient"] == "false"]
    assert len(deficient) == round(0.05 * 3_000)
    for truth in world.truth:
        kinds = set(truth["hazards"].split(";")) & set(DEFICIENCY_KINDS)
        assert (truth["legally_sufficient"] == "false") == bool(kinds)
    in_file = sum(t["tin"] != "" for t in deficient)
    assert in_file > 0.75 * len(deficient)  # they still name real people in most cases


@pytest.mark.parametrize(
    ("kind", "check"),
    [
        (
            "placeholder_address",
            lambda r: (
                r["street"].upper() in {"UNKNOWN ADDRESS", "FAILED TO PROVIDE", "NA NA", "N/A"}
            ),
        ),
        ("zip_only", lambda r: not (r["street"] or r["city"] or r["state"]) and r["zip"]),
        (
            "institution_address",
            lambda r: re.search("JAIL|DETENTION|CORRECTIONAL|PRISON", r["street"]),
        ),
        ("civil_statute", lambda r: r["statute"] == CIVIL_STATUTE),
        ("missing_reason", lambda r: r["reason"] == ""),
        ("missing_periods", lambda r: r["tax_periods"] == ""),
        ("missing_name", lambda r: r["first_name"] == "" and r["last_name"] == ""),
        ("missing_case", lambda r: r["case_number"] == ""),
    ],
)
def test_deficiency_rows_are_shaped_as_tagged(world: World, kind: str, check) -> None:
    rows = world.rows_tagged(kind)
    assert rows
    for request, truth in rows:
        assert check(request), request
        assert truth["legally_sufficient"] == "false"


def test_jr_sr_pairs_share_name_and_address_in_the_master(world: World) -> None:
    for _, truth in world.rows_tagged("jr_sr"):
        me = world.identity[truth["tin"]]
        assert any(
            plain(o["first_name"]) == plain(me["first_name"])
            and o["first_name"]
            and plain(o["last_name"]) == plain(me["last_name"])
            and plain(o["middle_name"]) == plain(me["middle_name"])
            and o["dob"] != me["dob"]
            for o in world.housemates(truth["tin"])
        ), truth
    suffixes = world.master.filter(pl.col("suffix") != "")["suffix"].unique().to_list()
    assert set(suffixes) <= {"JR", "SR"}


def test_twins_share_birthday_surname_and_address(world: World) -> None:
    for _, truth in world.rows_tagged("twins"):
        me = world.identity[truth["tin"]]
        assert any(
            o["dob"] == me["dob"]
            and plain(o["last_name"]) == plain(me["last_name"])
            and plain(o["first_name"]) != plain(me["first_name"])
            for o in world.housemates(truth["tin"])
        ), truth


def test_spouses_and_roommates_live_together(world: World) -> None:
    for _, truth in world.rows_tagged("spouses"):
        me = world.identity[truth["tin"]]
        assert any(
            plain(o["last_name"]) == plain(me["last_name"]) for o in world.housemates(truth["tin"])
        )
    for _, truth in world.rows_tagged("roommates"):
        me = world.identity[truth["tin"]]
        housemates = world.housemates(truth["tin"])
        assert any(plain(o["last_name"]) != plain(me["last_name"]) for o in housemates)


def test_apartment_rows_share_a_building_with_other_units(world: World) -> None:
    buildings: dict[tuple[str, str], set[str]] = defaultdict(set)
    for street, city in world.tins_by_street:
        if UNIT.search(street):
            buildings[(UNIT.sub("", street), city)].add(street)
    for request, truth in world.rows_tagged("apartment"):
        if not truth["tin"]:
            continue
        streets = {(r["street"], r["city"]) for r in world.rows_by_tin[truth["tin"]]}
        if "address_not_filed" in truth["hazards"].split(";"):
            # the requested unit is one only housemates filed from: find its building
            number, city = request["street"].split(" ")[0], request["city"].upper()
            streets = {(b, c) for b, c in buildings if c == city and b.split(" ")[0] == number}
        assert any(len(buildings.get((UNIT.sub("", s), c), ())) >= 2 for s, c in streets), truth


def test_name_variations_are_really_in_the_rows(world: World) -> None:
    nickname_values = {n for names in NICKNAMES.values() for n in names}
    for request, truth in world.rows_tagged("nickname"):
        if "typo" not in truth["hazards"] and "name_swap" not in truth["hazards"]:
            assert plain(request["first_name"]) in nickname_values, request
    for request, _ in world.rows_tagged("no_dob"):
        assert request["dob"] == ""
    for request, _ in world.rows_tagged("no_middle"):
        assert request["middle_name"] == ""
    for request, truth in world.rows_tagged("accent"):
        filed = world.identity[truth["tin"]]
        written = request["first_name"] + request["last_name"]
        assert _has_accent(written) != _has_accent(filed["first_name"] + filed["last_name"])
    for request, truth in world.rows_tagged("common_name"):
        if truth["tin"]:
            surname = plain(world.identity[truth["tin"]]["last_name"]).split(" ")[0]
        else:
            surname = plain(request["last_name"] or "?").split(" ")[0]
        hazards = truth["hazards"]
        assert surname in COMMON_SURNAMES or "name_swap" in hazards or "typo" in hazards, request
    for request, truth in world.rows_tagged("compound_surname"):

        def upper(text: str) -> str:
            return strip_accents(text).upper()

        filed = upper(world.identity[truth["tin"]]["last_name"])
        assert filed not in {upper(request["last_name"]), upper(request["first_name"])}
    for request, truth in world.rows_tagged("name_swap"):
        if "typo" in truth["hazards"] or not truth["tin"]:
            continue
        filed_first = plain(world.identity[truth["tin"]]["first_name"] or "?")
        assert plain(request["last_name"]) != "" and plain(request["first_name"]) != filed_first


def test_particle_surnames_are_written_several_ways(world: World) -> None:
    rows = world.rows_tagged("particle")
    joined_forms = set(PARTICLE_SURNAMES)
    cores = {spaced.split(" ")[-1] for spaced in PARTICLE_SURNAMES.values()}
    written = set()
    for request, truth in rows:
        words = plain(request["last_name"] + " " + request["first_name"]).split()
        letters = "".join(words)
        assert (
            any(form in letters for form in joined_forms | cores) or "typo" in truth["hazards"]
        ), request
        written.add(" DE " in f" {plain(request['last_name'])} ")
        written.add(any(w in joined_forms for w in words))
    assert written == {True, False}


def test_tin_tags_match_the_tin_given(world: World) -> None:
    for request, truth in zip(world.requests, world.truth, strict=True):
        tags = truth["hazards"].split(";")
        given = request["tin"].replace("-", "")
        assert ("tin_given" in tags) == (given != "")
        assert given == "" or looks_issued(given)  # wrong TINs still pass a format check
        if "tin_wrong" in tags:
            assert given != truth["tin"]
        elif given and truth["tin"]:
            assert given == truth["tin"]
    for _, truth in world.rows_tagged("itin"):
        assert world.identity[truth["tin"]]["tin_type"] == "ITIN"


def test_movers_filed_from_more_than_one_address(world: World) -> None:
    for _, truth in world.rows_tagged("mover"):
        streets = {r["street"] for r in world.rows_by_tin[truth["tin"]]}
        assert len(streets) >= 2


def test_a_fifth_of_people_carry_hispanic_surnames(world: World) -> None:
    with resources.files("matchgate.synth.data").joinpath("surnames.parquet").open("rb") as f:
        surnames = pl.read_parquet(f)
    # surnames held mostly by Hispanic people, by the census share: a floor on Hispanic people
    hispanic_names = set(surnames.filter(pl.col("share_hispanic") > 0.7)["name"].to_list())
    latest = world.master.group_by("tin").agg(pl.col("last_name").last())
    first_part = [plain(name).split(" ")[0] for name in latest["last_name"]]
    share = sum(part in hispanic_names for part in first_part) / len(first_part)
    assert share > 0.18


# --- letter --------------------------------------------------------------------------------


def test_letter_has_the_agreed_shape(world: World) -> None:
    letter = world.letter["letter"]
    assert list(letter) == [
        "agency", "agency_code", "signer_name", "signer_title", "date_signed",
        "safeguards_report", "safeguards_report_date", "batch_description",
    ]  # fmt: skip
    assert letter["agency"] == "Department of Homeland Security"
    assert letter["agency_code"] == "DHS"
    assert letter["signer_title"] == "Secretary of Homeland Security"
    assert letter["date_signed"] == AS_OF - timedelta(days=2)
    age = letter["date_signed"] - letter["safeguards_report_date"]
    assert timedelta(0) <= age <= timedelta(days=3 * 365)
    # the report the review registry has on file, so generated letters pass review
    assert (letter["safeguards_report"], letter["safeguards_report_date"]) == (
        "SSR-DHS-2026-01",
        date(2026, 3, 16),
    )


def test_officers_cover_every_case_once_with_a_plausible_load(world: World) -> None:
    officers = world.letter["officers"]
    assert len(officers) == world.summary.officers
    assert len({officer["name"] for officer in officers}) == len(officers)
    assigned = [number for officer in officers for number in officer["case_numbers"]]
    assert len(assigned) == len(set(assigned)) == world.summary.cases
    requested = {r["case_number"] for r in world.requests if r["case_number"]}
    assert requested <= set(assigned)
    for officer in officers:
        assert OFFICER_LOAD[0] <= len(officer["case_numbers"]) <= OFFICER_LOAD[1] or (
            officer is officers[-1]  # the last officer takes what is left
        )
        assert officer["name"] and officer["title"] in ("Special Agent", "Senior Special Agent")


def test_deficient_letter_breaks_signer_officers_and_safeguards(
    deficient_letter_world: World,
) -> None:
    letter = deficient_letter_world.letter["letter"]
    assert letter["signer_title"] != "Secretary of Homeland Security"
    assert letter["date_signed"] - letter["safeguards_report_date"] > timedelta(days=3 * 366)
    officers = deficient_letter_world.letter["officers"]
    assert len(officers) == 1
    assert len(officers[0]["case_numbers"]) == deficient_letter_world.summary.cases


def test_review_accepts_the_sound_letter_and_refuses_the_one_officer_letter(
    world: World, deficient_letter_world: World
) -> None:
    """The 2025 pattern (one official on every case) is refused, not sent to review: every
    row is legally_deficient with officer_case_load; the generated sound letter passes."""
    sound = review_batch(world.summary.requests_path, letter_path=world.summary.letter_path)
    assert sound.letter_decision.outcome is ReviewOutcome.ACCEPTED, sound.letter_decision
    assert "officer_case_load" not in sound.reason_counts()
    assert sound.outcome_counts[ReviewOutcome.ACCEPTED] > 0.8 * sound.row_count
    summary = deficient_letter_world.summary
    refused = review_batch(summary.requests_path, letter_path=summary.letter_path)
    assert refused.letter_decision.outcome is ReviewOutcome.LEGALLY_DEFICIENT
    load = next(r for r in refused.letter_decision.reasons if r.code == "officer_case_load")
    assert load.citation == '26 U.S.C. 6103(i)(2)(A) ("personally and directly engaged")'
    assert f"{summary.cases:,} open cases" in load.message
    assert refused.outcome_counts[ReviewOutcome.LEGALLY_DEFICIENT] == refused.row_count
    assert refused.reason_counts()["officer_case_load"] == refused.row_count


# --- arguments -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"people": 0, "requests": 1}, "people"),
        ({"people": -5, "requests": 1}, "people"),
        ({"people": 100, "requests": 101}, "requests"),
        ({"people": 100, "requests": 0}, "requests"),
        ({"people": 100, "requests": 10, "seed": -1}, "seed"),
        ({"people": 100, "requests": 10, "legal_deficiency_rate": 1.5}, "legal_deficiency_rate"),
    ],
)
def test_bad_arguments_raise_input_error(tmp_path: Path, arguments: dict, field: str) -> None:
    arguments = {"seed": 1, **arguments}
    with pytest.raises(InputError) as caught:
        generate_world(tmp_path / "out", **arguments)
    assert caught.value.field == field
    assert field in str(caught.value)
    assert not (tmp_path / "out").exists()


def test_output_path_that_is_a_file_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "taken"
    target.write_text("")
    with pytest.raises(InputError, match="not a folder"):
        generate_world(target, people=100, requests=10, seed=1)


@pytest.mark.parametrize(
    ("people", "requests", "rate"), [(20, 20, 0.05), (20, 1, 0.0), (60, 60, 1.0)]
)
def test_tiny_worlds_and_extreme_deficiency_rates(
    tmp_path: Path, people: int, requests: int, rate: float
) -> None:
    summary = generate_world(
        tmp_path, people=people, requests=requests, seed=2, legal_deficiency_rate=rate
    )
    truth = read_csv(summary.truth_path)
    assert len(truth) == requests
    assert summary.legally_deficient == round(rate * requests)
    assert sum(t["legally_sufficient"] == "false" for t in truth) == summary.legally_deficient


def test_as_of_moves_every_date_in_the_world(tmp_path: Path) -> None:
    as_of = date(2031, 2, 14)
    summary = generate_world(tmp_path, people=500, requests=100, seed=9, as_of=as_of)
    master = pl.read_parquet(summary.master_path)
    assert (master["tax_year"].min(), master["tax_year"].max()) == (2024, 2030)
    letter = tomllib.loads(summary.letter_path.read_text(encoding="utf-8"))["letter"]
    assert letter["date_signed"] == date(2031, 2, 12)
    assert letter["safeguards_report_date"] == date(2030, 3, 16)  # still current
    for row in read_csv(summary.requests_path):
        years = [int(y) for y in re.split(r"[-;]", row["tax_periods"]) if y]
        assert all(2025 <= y <= 2030 for y in years)


def test_many_outsiders_share_surname_and_address_with_a_taxpayer(world: World) -> None:
    rows = world.rows_tagged("not_in_file")
    lookalikes = 0
    for request, _ in rows:
        key = (request["street"].upper(), request["city"].upper())
        surname = plain(request["last_name"])
        tins = world.tins_by_street.get(key, set())
        lookalikes += any(plain(world.identity[t]["last_name"]) == surname for t in tins)
    # rows with a rewritten street or surname do not count here, so the floor is loose
    assert lookalikes >= 0.1 * len(rows)


@pytest.mark.slow
def test_a_100k_world_is_generated(tmp_path: Path) -> None:
    """How long it takes: benchmarks/bench_synth.py (a timing here would flake when busy)."""
    summary = generate_world(tmp_path, people=100_000, requests=10_000, seed=1)
    assert (summary.people, summary.requests) == (100_000, 10_000)


@pytest.mark.slow  # three 20,000-person worlds
def test_census_mix_draws_hazards_at_population_rates(tmp_path: Path) -> None:
    stress = generate_world(tmp_path / "stress", people=20_000, requests=2_000, seed=4)
    census = generate_world(
        tmp_path / "census", people=20_000, requests=2_000, seed=4, request_mix="census"
    )
    # Jr/Sr pairs are about 1% of people in the census world (0.5% of households); the
    # stress mix draws them ~15% of the time from a population with ten times as many.
    assert 0 < census.hazard_counts["jr_sr"] < stress.hazard_counts["jr_sr"] / 5
    # 45% of requests come without a date of birth (docs/SOURCES.md), Jr/Sr rows no more often
    rows = read_csv(census.truth_path)
    no_dob = sum("no_dob" in row["hazards"].split(";") for row in rows) / len(rows)
    assert 0.41 <= no_dob <= 0.49
    again = generate_world(
        tmp_path / "again", people=20_000, requests=2_000, seed=4, request_mix="census"
    )
    assert (tmp_path / "again" / "requests.csv").read_bytes() == (
        tmp_path / "census" / "requests.csv"
    ).read_bytes()
    assert again.hazard_counts == census.hazard_counts


def test_unknown_request_mix_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="request_mix"):
        generate_world(tmp_path, people=100, requests=10, seed=1, request_mix="chaos")
