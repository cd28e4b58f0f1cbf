"""``generate_world``: one synthetic world with ground truth, written to a folder.

Every random choice flows from ``seed`` through independent child streams per stage, so the same
seed gives byte-identical files and changing one stage does not reshuffle the others.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import MappingProxyType

import numpy as np

from matchgate.errors import InputError
from matchgate.safe_csv import SafeCsvWriter
from matchgate.synth._filings import draw_filings
from matchgate.synth._households import draw_households
from matchgate.synth._letter import draw_letter, render_letter_toml
from matchgate.synth._master import write_master
from matchgate.synth._name_tables import NameTables, load_name_tables
from matchgate.synth._persons import draw_persons
from matchgate.synth._population import World
from matchgate.synth._requests import (
    HAZARD_TAGS,
    REQUEST_COLUMNS,
    TRUTH_COLUMNS,
    build_requests,
)
from matchgate.synth._residences import draw_residences

__all__ = ["HAZARD_TAGS", "WorldSummary", "generate_world"]

MIN_PEOPLE = 20
MAX_PEOPLE = 20_000_000
TAX_YEARS_ON_FILE = 7  # as_of.year - 7 .. as_of.year - 1


@dataclass(frozen=True)
class WorldSummary:
    """What ``generate_world`` wrote and how many of each hazard it planted."""

    out_dir: Path
    master_path: Path
    master_problems_path: Path
    requests_path: Path
    letter_path: Path
    truth_path: Path
    seed: int
    as_of: date
    people: int
    households: int
    master_rows: int
    master_problems: int
    requests: int
    cases: int
    officers: int
    not_in_file: int
    legally_deficient: int
    deficient_letter: bool
    hazard_counts: Mapping[str, int]  # tag -> number of request rows carrying it


# Who the requests are about: "stress" draws each hazard at a rate a test can measure even
# in a small world (Jr/Sr alone is ~15% of rows); "census" draws every taxpayer equally, so
# hazards come at the rates they have in the generated population; "noisy" is the census
# world with 1-3 benchmark-style corruptions per request row (_noise.py).
REQUEST_MIXES = ("stress", "census", "noisy")


def _check_arguments(
    out_dir: Path, people: int, requests: int, seed: int, legal_deficiency_rate: float
) -> None:
    def number(value: object) -> bool:
        return isinstance(value, int) and not isinstance(value, bool)

    if not number(people) or not MIN_PEOPLE <= people <= MAX_PEOPLE:
        raise InputError(
            f"people must be a whole number from {MIN_PEOPLE} to {MAX_PEOPLE:,}, got {people!r}",
            field="people",
        )
    if not number(requests) or not 1 <= requests <= people:
        raise InputError(
            f"requests must be a whole number from 1 to people ({people:,}), got {requests!r}: "
            "a batch larger than the world would name most taxpayers several times",
            field="requests",
        )
    if not number(seed) or seed < 0:
        raise InputError(f"seed must be a non-negative whole number, got {seed!r}", field="seed")
    if not 0.0 <= legal_deficiency_rate <= 1.0:
        raise InputError(
            f"legal_deficiency_rate must be between 0 and 1, got {legal_deficiency_rate!r}",
            field="legal_deficiency_rate",
        )
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError("output path exists and is not a folder", path=out_dir)


def _synthetic_full_names(rng: np.random.Generator, tables: NameTables, count: int) -> list[str]:
    """``count`` distinct synthetic names like "Maria L. Garza" for the signer and officers."""
    names: dict[str, None] = {}
    while len(names) < count:
        size = count - len(names) + 8
        male = rng.random(size) < 0.6
        hispanic = rng.random(size) < 0.25
        first = tables.first_names[tables.draw_first_names(rng, male, hispanic)]
        initial = tables.first_names[tables.draw_first_names(rng, ~male, hispanic)]
        last = tables.surnames[tables.draw_surnames(rng, hispanic)]
        for given, middle, surname in zip(first, initial, last, strict=True):
            names.setdefault(f"{given.title()} {middle[0]}. {surname.title()}")
    return list(names)[:count]


def generate_world(
    out_dir: Path,
    *,
    people: int,
    requests: int,
    seed: int,
    as_of: date = date(2026, 11, 1),
    deficient_letter: bool = False,
    legal_deficiency_rate: float = 0.05,
    request_mix: str = "stress",
) -> WorldSummary:
    """Write master.parquet, master_problems.csv, requests.csv, letter.toml and truth.csv."""
    out_dir = Path(out_dir)
    _check_arguments(out_dir, people, requests, seed, legal_deficiency_rate)
    if request_mix not in REQUEST_MIXES:
        raise InputError(
            f"request_mix must be one of {', '.join(REQUEST_MIXES)}, got {request_mix!r}",
            field="request_mix",
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(8)]
    text_rng = random.Random(int(streams[7].integers(2**63)))
    tables = load_name_tables()
    years = np.arange(as_of.year - TAX_YEARS_ON_FILE, as_of.year)

    households = draw_households(streams[0], people, population=request_mix)
    persons = draw_persons(streams[1], households, tables, as_of)
    residences = draw_residences(
        streams[2],
        household_hispanic=persons.hispanic[households.first_member],
        first_year=int(years[0]),
        last_year=int(years[-1]),
    )
    filings = draw_filings(streams[3], persons, households, residences, years)
    world = World(households, persons, residences, filings, tables)
    batch = build_requests(
        world,
        streams[5],
        text_rng,
        requests=requests,
        as_of_year=as_of.year,
        legal_deficiency_rate=legal_deficiency_rate,
        request_mix=request_mix,
    )
    case_numbers = [case.number for case in batch.cases]
    letter = draw_letter(
        text_rng,
        person_names=_synthetic_full_names(streams[6], tables, len(case_numbers) // 40 + 3),
        case_numbers=case_numbers,
        requests=requests,
        as_of=as_of,
        deficient=deficient_letter,
    )

    paths = {
        name: out_dir / name
        for name in (
            "master.parquet",
            "master_problems.csv",
            "requests.csv",
            "letter.toml",
            "truth.csv",
        )
    }
    master = write_master(paths["master.parquet"], streams[4], persons, residences, filings)
    SafeCsvWriter.write_file(
        paths["master_problems.csv"], ("tin", "tax_year", "problem"), master.problems.to_dicts()
    )
    SafeCsvWriter.write_file(paths["requests.csv"], REQUEST_COLUMNS, batch.rows)
    SafeCsvWriter.write_file(paths["truth.csv"], TRUTH_COLUMNS, batch.truth)
    paths["letter.toml"].write_text(render_letter_toml(letter), encoding="utf-8")

    counts = Counter(tag for row in batch.truth for tag in row["hazards"].split(";") if tag)
    return WorldSummary(
        out_dir=out_dir,
        master_path=paths["master.parquet"],
        master_problems_path=paths["master_problems.csv"],
        requests_path=paths["requests.csv"],
        letter_path=paths["letter.toml"],
        truth_path=paths["truth.csv"],
        seed=seed,
        as_of=as_of,
        people=people,
        households=households.count,
        master_rows=master.rows,
        master_problems=master.problems.height,
        requests=requests,
        cases=len(case_numbers),
        officers=len(letter.officers),
        not_in_file=counts["not_in_file"],
        legally_deficient=sum(row["legally_sufficient"] == "false" for row in batch.truth),
        deficient_letter=deficient_letter,
        hazard_counts=MappingProxyType({tag: counts[tag] for tag in HAZARD_TAGS}),
    )
