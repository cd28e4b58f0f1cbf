"""``generate_world``: one synthetic world with ground truth, written to a folder.

Every random choice flows from ``seed`` through independent child streams per stage, so the same
seed gives byte-identical files and changing one stage does not reshuffle the others.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from types import MappingProxyType

import numpy as np

from matchgate.errors import InputError
from matchgate.safe_csv import SafeCsvWriter
from matchgate.synth import _blocks
from matchgate.synth._blocks import Taken, block_sizes, split_evenly
from matchgate.synth._filings import draw_filings
from matchgate.synth._households import draw_households
from matchgate.synth._letter import (
    Letter,
    draw_letter,
    officer_names_needed,
    render_letter_toml,
    sign_world_letter,
)
from matchgate.synth._master import MasterSummary, MasterWriter, write_master
from matchgate.synth._name_tables import NameTables, load_name_tables
from matchgate.synth._persons import draw_persons
from matchgate.synth._population import World
from matchgate.synth._requests import (
    HAZARD_TAGS,
    REQUEST_COLUMNS,
    TRUTH_COLUMNS,
    RequestBatch,
    RequestPlan,
    build_requests,
)
from matchgate.synth._residences import draw_residences
from matchgate.synth._shape import DEFAULT_TAX_YEARS, WorldShape

__all__ = ["HAZARD_TAGS", "WorldSummary", "generate_world"]

MIN_PEOPLE = 20
MAX_PEOPLE = 20_000_000
TAX_YEARS_ON_FILE = DEFAULT_TAX_YEARS  # as_of.year - 7 .. as_of.year - 1 (WorldShape.tax_years)
WORLD_FILES = ("master.parquet", "master_problems.csv", "requests.csv", "letter.toml", "truth.csv")


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
    out_dir: Path,
    people: int,
    requests: int,
    seed: int,
    legal_deficiency_rate: float,
    request_mix: str,
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
    if request_mix not in REQUEST_MIXES:
        raise InputError(
            f"request_mix must be one of {', '.join(REQUEST_MIXES)}, got {request_mix!r}",
            field="request_mix",
        )


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


@dataclass(frozen=True)
class _Streams:
    """One independent random stream per step, all spawned from the seed.

    The spawn order is fixed: adding a step means spawning more streams at the end, never
    reusing or reordering these, or every world changes."""

    households: np.random.Generator
    persons: np.random.Generator
    residences: np.random.Generator
    filings: np.random.Generator
    master: np.random.Generator
    requests: np.random.Generator
    officer_names: np.random.Generator
    text: random.Random  # request and letter wording, shared by both in that order

    @classmethod
    def from_seed(cls, seed: int) -> _Streams:
        return cls.from_sequence(np.random.SeedSequence(seed))

    @classmethod
    def from_sequence(cls, sequence: np.random.SeedSequence) -> _Streams:
        streams = [np.random.default_rng(s) for s in sequence.spawn(8)]
        return cls(
            households=streams[0],
            persons=streams[1],
            residences=streams[2],
            filings=streams[3],
            master=streams[4],
            requests=streams[5],
            officer_names=streams[6],
            text=random.Random(int(streams[7].integers(2**63))),
        )


def _world_paths(out_dir: Path) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    return {name: out_dir / name for name in WORLD_FILES}


def _draw_population(
    streams: _Streams,
    tables: NameTables,
    *,
    people: int,
    as_of: date,
    request_mix: str,
    shape: WorldShape,
    taken: Taken | None = None,
) -> World:
    """Households, the people in them, where they lived and which years they filed.

    ``taken``: the TINs and addresses of a chunked world's earlier blocks, never drawn again."""
    years = np.arange(as_of.year - shape.tax_years, as_of.year)
    households = draw_households(
        streams.households,
        people,
        population=request_mix,
        single_share=shape.single_household_share,
    )
    persons = draw_persons(
        streams.persons,
        households,
        tables,
        as_of,
        taken_tins=None if taken is None else taken.tins_and_reserved(),
        itin_scale=shape.itin_scale,
    )
    residences = draw_residences(
        streams.residences,
        household_hispanic=persons.hispanic[households.first_member],
        first_year=int(years[0]),
        last_year=int(years[-1]),
        taken_sites=None if taken is None else taken.sites,
    )
    filings = draw_filings(
        streams.filings, persons, households, residences, years, rate_scale=shape.filing_rate_scale
    )
    return World(households, persons, residences, filings, tables)


def _draw_letter(
    streams: _Streams,
    tables: NameTables,
    batch: RequestBatch,
    *,
    requests: int,
    as_of: date,
    deficient: bool,
) -> Letter:
    """The letter covering the batch, signed by a synthetic official naming its officers."""
    case_numbers = [case.number for case in batch.cases]
    return draw_letter(
        streams.text,
        person_names=_synthetic_full_names(
            streams.officer_names, tables, officer_names_needed(len(case_numbers))
        ),
        case_numbers=case_numbers,
        requests=requests,
        as_of=as_of,
        deficient=deficient,
    )


def _write_master_files(paths: dict[str, Path], streams: _Streams, world: World) -> MasterSummary:
    master = write_master(
        paths["master.parquet"], streams.master, world.persons, world.residences, world.filings
    )
    SafeCsvWriter.write_file(
        paths["master_problems.csv"], ("tin", "tax_year", "problem"), master.problems.to_dicts()
    )
    return master


def _write_request_files(paths: dict[str, Path], batch: RequestBatch) -> None:
    SafeCsvWriter.write_file(paths["requests.csv"], REQUEST_COLUMNS, batch.rows)
    SafeCsvWriter.write_file(paths["truth.csv"], TRUTH_COLUMNS, batch.truth)


def _write_letter(paths: dict[str, Path], letter: Letter) -> None:
    paths["letter.toml"].write_text(render_letter_toml(letter), encoding="utf-8")


def _summarize(
    out_dir: Path,
    paths: dict[str, Path],
    world: World,
    master: MasterSummary,
    batch: RequestBatch,
    letter: Letter,
    *,
    seed: int,
    as_of: date,
    people: int,
    requests: int,
    deficient_letter: bool,
) -> WorldSummary:
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
        households=world.households.count,
        master_rows=master.rows,
        master_problems=master.problems.height,
        requests=requests,
        cases=len(batch.cases),
        officers=len(letter.officers),
        not_in_file=counts["not_in_file"],
        legally_deficient=sum(row["legally_sufficient"] == "false" for row in batch.truth),
        deficient_letter=deficient_letter,
        hazard_counts=MappingProxyType({tag: counts[tag] for tag in HAZARD_TAGS}),
    )


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
    shape: WorldShape | None = None,
) -> WorldSummary:
    """Write master.parquet, master_problems.csv, requests.csv, letter.toml and truth.csv.

    A sequence of named steps; each random step draws only from its own stream in ``_Streams``.
    ``shape`` bends the world towards a given master file (``WorldShape``; None: the defaults).
    """
    out_dir = Path(out_dir)
    _check_arguments(out_dir, people, requests, seed, legal_deficiency_rate, request_mix)
    shape = shape or WorldShape()
    sizes = block_sizes(people, _blocks.BLOCK_PEOPLE)
    if len(sizes) > 1:
        return _generate_in_blocks(
            out_dir,
            sizes,
            requests=requests,
            seed=seed,
            as_of=as_of,
            deficient_letter=deficient_letter,
            legal_deficiency_rate=legal_deficiency_rate,
            request_mix=request_mix,
            shape=shape,
        )
    paths = _world_paths(out_dir)
    streams = _Streams.from_seed(seed)
    tables = load_name_tables().tempered(shape.surname_exponent, shape.first_name_exponent)
    world = _draw_population(
        streams, tables, people=people, as_of=as_of, request_mix=request_mix, shape=shape
    )
    batch = build_requests(
        world,
        streams.requests,
        streams.text,
        requests=requests,
        as_of_year=as_of.year,
        legal_deficiency_rate=legal_deficiency_rate,
        request_mix=request_mix,
    )
    letter = _draw_letter(
        streams, tables, batch, requests=requests, as_of=as_of, deficient=deficient_letter
    )
    master = _write_master_files(paths, streams, world)
    _write_request_files(paths, batch)
    _write_letter(paths, letter)
    sign_world_letter(out_dir, seed=seed)
    return _summarize(
        out_dir,
        paths,
        world,
        master,
        batch,
        letter,
        seed=seed,
        as_of=as_of,
        people=people,
        requests=requests,
        deficient_letter=deficient_letter,
    )


def _generate_in_blocks(
    out_dir: Path,
    sizes: list[int],
    *,
    requests: int,
    seed: int,
    as_of: date,
    deficient_letter: bool,
    legal_deficiency_rate: float,
    request_mix: str,
    shape: WorldShape,
) -> WorldSummary:
    """A world too large for one pass, as blocks of whole households (``_blocks.py``).

    The batch-wide draws (cases, legal defects, the letter) come from the seed's own streams;
    block ``i`` draws its people, master rows and its share of the request rows (in proportion
    to its people) from child stream ``8 + i`` of the seed. Only one block is in memory at a
    time, plus the register of used TINs and addresses."""
    paths = _world_paths(out_dir)
    root = _Streams.from_seed(seed)
    tables = load_name_tables().tempered(shape.surname_exponent, shape.first_name_exponent)
    plan = RequestPlan.draw(
        root.requests,
        root.text,
        requests=requests,
        as_of_year=as_of.year,
        legal_deficiency_rate=legal_deficiency_rate,
    )
    letter = _draw_letter(
        root,
        tables,
        RequestBatch(rows=[], truth=[], cases=plan.cases),
        requests=requests,
        as_of=as_of,
        deficient=deficient_letter,
    )
    block_sequences = np.random.SeedSequence(seed).spawn(8 + len(sizes))[8:]
    taken = Taken()
    counts: Counter[str] = Counter()
    households = legally_deficient = first_index = 0
    with (
        MasterWriter(paths["master.parquet"]) as master,
        paths["requests.csv"].open("w", encoding="utf-8", newline="") as request_stream,
        paths["truth.csv"].open("w", encoding="utf-8", newline="") as truth_stream,
    ):
        request_writer = SafeCsvWriter(request_stream, REQUEST_COLUMNS)
        truth_writer = SafeCsvWriter(truth_stream, TRUTH_COLUMNS)
        for size, share, sequence in zip(
            sizes, split_evenly(requests, sizes), block_sequences, strict=True
        ):
            streams = _Streams.from_sequence(sequence)
            world = _draw_population(
                streams,
                tables,
                people=size,
                as_of=as_of,
                request_mix=request_mix,
                shape=shape,
                taken=taken,
            )
            master.write_block(streams.master, world.persons, world.residences, world.filings)
            batch = build_requests(
                world,
                streams.requests,
                streams.text,
                requests=share,
                as_of_year=as_of.year,
                legal_deficiency_rate=legal_deficiency_rate,
                request_mix=request_mix,
                plan=replace(plan, first_index=first_index),
                taken=taken,
            )
            request_writer.write_rows(batch.rows)
            truth_writer.write_rows(batch.truth)
            counts.update(tag for row in batch.truth for tag in row["hazards"].split(";") if tag)
            legally_deficient += sum(row["legally_sufficient"] == "false" for row in batch.truth)
            households += world.households.count
            first_index += share
            site_key = world.residences.site_key
            assert site_key is not None  # draw_residences always sets it
            taken.add_block(world.persons.tin, site_key)
            del world, batch
    summary = master.summary()
    SafeCsvWriter.write_file(
        paths["master_problems.csv"], ("tin", "tax_year", "problem"), summary.problems.to_dicts()
    )
    _write_letter(paths, letter)
    sign_world_letter(out_dir, seed=seed)
    return WorldSummary(
        out_dir=out_dir,
        master_path=paths["master.parquet"],
        master_problems_path=paths["master_problems.csv"],
        requests_path=paths["requests.csv"],
        letter_path=paths["letter.toml"],
        truth_path=paths["truth.csv"],
        seed=seed,
        as_of=as_of,
        people=sum(sizes),
        households=households,
        master_rows=summary.rows,
        master_problems=summary.problems.height,
        requests=requests,
        cases=len(plan.cases),
        officers=len(letter.officers),
        not_in_file=counts["not_in_file"],
        legally_deficient=legally_deficient,
        deficient_letter=deficient_letter,
        hazard_counts=MappingProxyType({tag: counts[tag] for tag in HAZARD_TAGS}),
    )
