"""The person each request row is about, and which hazards that person brings along.

Targets are drawn by stratum so every hazard appears at a rate a test can measure even in a
small world: a uniform draw would give a handful of Jr/Sr or particle rows per thousand. People
outside the master file are invented here too; many share a surname and an address with a real
taxpayer or carry a very common name, because those are the ones a matcher wrongly answers.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import numpy as np

from matchgate.synth._blocks import Taken
from matchgate.synth._hazards import (
    CoFiling,
    Namesakes,
    household_residences,
    person_hazard_flags,
    residences_in_shared_buildings,
)
from matchgate.synth._households import POPULATION_RATE_MIXES
from matchgate.synth._naming_customs import plain_name
from matchgate.synth._places import CITIES, DIRECTIONALS, STREET_NAMES, STREET_TYPES
from matchgate.synth._population import World
from matchgate.synth._request_text import AddressParts

__all__ = ["Subject", "SubjectPicker"]

# (stratum, share of in-file requests); "everyone" is a uniform draw over all taxpayers
TARGET_STRATA: tuple[tuple[str, float], ...] = (
    ("jr_sr", 0.14),
    ("twins", 0.06),
    ("spouses", 0.08),
    ("roommates", 0.06),
    ("apartment", 0.08),
    ("compound", 0.12),
    ("particle", 0.04),
    ("common_name", 0.08),
    ("itin", 0.04),
    ("mover", 0.06),
    # asked for at the home his namesake father (or son) filed from and he did not
    ("namesake_elsewhere", 0.03),
    ("everyone", 0.21),
)
# The requester's address is where the person lives or lived, from its own records: the
# household's current home most of the time, else an earlier one. Members of a household
# file in different years (each ~84% of years, _filings.py), so the address need not be one
# the person filed from: a son can live at an address only his father's returns show.
LATEST_ADDRESS_SHARE = 0.6
PERSON_TAGS = (
    "jr_sr", "twins", "spouses", "roommates", "itin", "mover", "namesake_in_household",
    "moved_together",
)  # fmt: skip


@dataclass
class Subject:
    """Who a row is about; ``person`` is -1 for someone who is not in the master file."""

    person: int
    first_name: str
    middle_name: str
    paternal_surname: str
    maternal_surname: str
    true_suffix: str
    dob: str
    tin: str
    address: AddressParts
    filed_first_name: str = ""
    filed_middle_name: str = ""
    filed_last_name: str = ""
    files_both_surnames: bool = False
    hyphenates_surnames: bool = False
    household_tins: list[str] = field(default_factory=list)
    tags: set[str] = field(default_factory=set)

    @property
    def in_file(self) -> bool:
        return self.person >= 0


class SubjectPicker:
    """Draws request subjects from a world; keeps one shuffled queue per stratum so the same
    taxpayer is requested again only once a stratum is exhausted."""

    def __init__(
        self,
        world: World,
        rng: np.random.Generator,
        text_rng: random.Random,
        *,
        mix: str = "stress",
        taken: Taken | None = None,
    ) -> None:
        self.world = world
        self.taken = taken  # other blocks' TINs in a chunked world
        self.mix = mix
        self.rng = rng
        self.text_rng = text_rng
        self.shared_building = residences_in_shared_buildings(world)
        self.cofiling = CoFiling(world)
        self.flags = person_hazard_flags(world, self.shared_building, self.cofiling)
        self.namesakes = Namesakes(world, self.cofiling)
        self.flags["namesake_elsewhere"] = self.namesakes.trap >= 0
        self.pools = {
            name: rng.permutation(np.flatnonzero(self.flags[name]))
            for name, _ in TARGET_STRATA
            if name != "everyone"
        }
        self.pools["everyone"] = rng.permutation(world.persons.tin.shape[0])
        self.cursor = dict.fromkeys(self.pools, 0)
        self.all_tins = set(world.persons.tin.tolist())
        self.common_surnames = world.tables.surnames[world.tables.surname_is_common].tolist()

    def _next_in(self, stratum: str) -> int:
        pool = self.pools[stratum]
        if pool.size == 0:
            pool, stratum = self.pools["everyone"], "everyone"
        person = int(pool[self.cursor[stratum] % pool.size])
        self.cursor[stratum] += 1
        return person

    def pick_taxpayer(self) -> Subject:
        names = [name for name, _ in TARGET_STRATA]
        shares = [share for _, share in TARGET_STRATA]
        stratum = self.text_rng.choices(names, weights=shares)[0]
        if self.mix in POPULATION_RATE_MIXES:
            # Everyone equally likely: hazards at the rates they have in the population.
            stratum = "everyone"
        person = self._next_in(stratum)
        trap = int(self.namesakes.trap[person])
        if stratum == "namesake_elsewhere" and trap >= 0:
            return self.taxpayer(person, residence=trap)
        return self.taxpayer(person)

    def _address(self, residence: int) -> AddressParts:
        r = self.world.residences
        return AddressParts(
            house_number=int(r.house_number[residence]),
            predirectional=r.predirectional[residence],
            street_name=r.street_name[residence],
            street_type=r.street_type[residence],
            unit=r.unit[residence],
            city=r.city[residence],
            state=r.state[residence],
            zip_code=r.zip_code[residence],
            shared_building=bool(self.shared_building[residence]),
        )

    def lived_residences(self, person: int) -> list[int]:
        """The residences of the person's household in the window, oldest first."""
        first, exists = household_residences(self.world, np.array([person]))
        return [int(first[0]) + int(offset) for offset in np.flatnonzero(exists[0])]

    def taxpayer(self, person: int, *, residence: int | None = None) -> Subject:
        w = self.world
        p, h = w.persons, w.households
        filed = set(w.filings.residence[w.filings.rows_of(person)].tolist())
        if residence is None:
            lived = self.lived_residences(person)
            if self.text_rng.random() < LATEST_ADDRESS_SHARE:
                residence = lived[-1]
            else:
                residence = self.text_rng.choice(lived)
        first = int(h.first_member[h.household[person]])
        members = range(first, first + int(h.size[h.household[person]]))
        tags = {tag for tag in PERSON_TAGS if self.flags[tag][person]}
        if residence not in filed:
            tags.add("address_not_filed")
        if self.namesakes.linked_elsewhere(person, residence):
            tags.add("namesake_elsewhere")
        if self.flags["common_name"][person]:
            tags.add("common_name")
        return Subject(
            person=person,
            first_name=p.first_name[person],
            middle_name=p.middle_name[person],
            paternal_surname=p.paternal_surname[person],
            maternal_surname=p.maternal_surname[person],
            true_suffix=p.true_suffix[person],
            dob=str(p.dob[person]),
            tin=p.tin[person],
            address=self._address(residence),
            filed_first_name=p.filed_first_name[person],
            filed_middle_name=p.filed_middle_name[person],
            filed_last_name=p.filed_last_name[person],
            files_both_surnames=bool(p.files_both_surnames[person]),
            hyphenates_surnames=bool(p.hyphenates_surnames[person]),
            household_tins=[p.tin[m] for m in members if m != person],
            tags=tags,
        )

    def _fresh_address(self) -> AddressParts:
        rng = self.text_rng
        city = rng.choice(CITIES)
        return AddressParts(
            house_number=rng.randrange(10, 10_000),
            predirectional=rng.choice(list(DIRECTIONALS)),
            street_name=rng.choice(STREET_NAMES),
            street_type=rng.choice(list(STREET_TYPES)),
            unit="",
            city=city.name,
            state=city.state,
            zip_code=f"{city.zip_prefix}{rng.randrange(100):02d}",
            shared_building=False,
        )

    def _draw_first_name(self, *, male: bool, hispanic: bool) -> str:
        index = self.world.tables.draw_first_names(
            self.rng, np.array([male]), np.array([hispanic])
        )[0]
        return str(self.world.tables.first_names[index])

    def _draw_surname(self, *, hispanic: bool) -> str:
        index = self.world.tables.draw_surnames(self.rng, np.array([hispanic]))[0]
        return str(self.world.tables.surnames[index])

    def outsider(self, as_of_year: int) -> Subject:
        """Someone the master file does not hold, shaped to tempt a matcher."""
        rng = self.text_rng
        w = self.world
        male = rng.random() < 0.5
        birth_year = as_of_year - rng.randint(19, 80)
        dob = f"{birth_year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        roll = rng.random()
        if roll < 0.4:
            # a relative or lodger who never filed, at an address a taxpayer filed from
            filing = rng.randrange(w.filings.person.shape[0])
            taxpayer = int(w.filings.person[filing])
            household = int(w.households.household[taxpayer])
            head = int(w.households.first_member[household])
            members = range(head, head + int(w.households.size[household]))
            hispanic = bool(w.persons.hispanic[taxpayer])
            taken = {plain_name(w.persons.first_name[m]) for m in members}
            first = self._draw_first_name(male=male, hispanic=hispanic)
            while plain_name(first) in taken:
                first = self._draw_first_name(male=male, hispanic=hispanic)
            surname = plain_name(w.persons.filed_last_name[taxpayer])
            address = self._address(int(w.filings.residence[filing]))
        elif roll < 0.75:
            hispanic = rng.random() < 0.6
            first = self._draw_first_name(male=male, hispanic=hispanic)
            surname = rng.choice(self.common_surnames)
            address = self._fresh_address()
        else:
            hispanic = rng.random() < 0.27
            first = self._draw_first_name(male=male, hispanic=hispanic)
            surname = self._draw_surname(hispanic=hispanic)
            address = self._fresh_address()
        tags = {"not_in_file"}
        if surname.split(" ")[0] in self.common_surnames:
            tags.add("common_name")
        middle = self._draw_first_name(male=male, hispanic=hispanic) if rng.random() < 0.3 else ""
        return Subject(
            person=-1,
            first_name=first,
            middle_name=middle if middle != first else "",
            paternal_surname=surname,
            maternal_surname="",
            true_suffix="",
            dob=dob,
            tin="",
            address=address,
            tags=tags,
        )

    def someone_elses_tin(self, subject: Subject) -> str:
        """A TIN of a household member when there is one (the nastiest mistake), else any."""
        if subject.household_tins and self.text_rng.random() < 0.7:
            return self.text_rng.choice(subject.household_tins)
        tins = self.world.persons.tin
        while True:
            tin = tins[self.text_rng.randrange(tins.shape[0])]
            if tin != subject.tin:
                return str(tin)

    def unissued_tin(self) -> str:
        """A valid-looking SSN that no taxpayer in the file holds."""
        while True:
            area = self.text_rng.randint(1, 899)
            if area == 666:
                continue
            tin = (
                f"{area:03d}{self.text_rng.randint(1, 99):02d}{self.text_rng.randint(1, 9999):04d}"
            )
            if tin in self.all_tins:
                continue
            if self.taken is None:
                return tin
            if not self.taken.holds_tin(tin):
                self.taken.reserve_tin(tin)
                return tin
