"""Which taxpayers carry which structural hazard, judged from what the master file shows.

A hazard only counts if a matcher can trip on it: a father and son share a name *and* both filed
from the same address, two households' units are in one building *and* both filed from there.
Household membership alone is not enough, because people skip tax years.
"""

from __future__ import annotations

import numpy as np

from matchgate.synth._households import HOUSEHOLD_TEMPLATES, Role
from matchgate.synth._naming_customs import PARTICLE_SURNAMES, plain_name
from matchgate.synth._population import World

__all__ = ["person_hazard_flags", "residences_in_shared_buildings"]

MAX_RESIDENCES_PER_HOUSEHOLD = 3


def _same_filed_surname(world: World, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    names = world.persons.filed_last_name
    return np.array(
        [plain_name(x) == plain_name(y) for x, y in zip(names[a], names[b], strict=True)],
        dtype=bool,
    )


class _CoFiling:
    """Answers "did p and q both file from one residence?" for arrays of pairs."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.residence_count = world.residences.count
        self.keys = np.unique(world.filings.person * self.residence_count + world.filings.residence)

    def _filed_from(self, person: np.ndarray, residence: np.ndarray) -> np.ndarray:
        key = person * self.residence_count + residence
        at = np.minimum(np.searchsorted(self.keys, key), self.keys.size - 1)
        return self.keys[at] == key

    def together(self, p: np.ndarray, q: np.ndarray) -> np.ndarray:
        household = self.world.households.household[p]
        first = self.world.residences.first_residence[household]
        moves = (self.world.residences.move_years[household] != 9999).sum(axis=1)
        result = np.zeros(p.shape[0], dtype=bool)
        for offset in range(MAX_RESIDENCES_PER_HOUSEHOLD):
            residence = first + offset
            exists = offset <= moves
            result |= exists & self._filed_from(p, residence) & self._filed_from(q, residence)
        return result


def _flag_pairs(n: int, p: np.ndarray, q: np.ndarray, keep: np.ndarray) -> np.ndarray:
    flag = np.zeros(n, dtype=bool)
    flag[p[keep]] = True
    flag[q[keep]] = True
    return flag


def residences_in_shared_buildings(world: World) -> np.ndarray:
    """Per residence: an apartment in a building from which another household also filed."""
    residences, filings = world.residences, world.filings
    building = residences.building[filings.residence]
    in_building = building >= 0
    households = world.households.count
    pairs = np.unique(building[in_building] * households + filings_household(world)[in_building])
    buildings = int(residences.building.max()) + 1 if residences.count else 0
    filing_households = np.bincount(pairs // households, minlength=max(buildings, 1))
    shared = np.zeros(residences.count, dtype=bool)
    apartment = residences.building >= 0
    shared[apartment] = filing_households[residences.building[apartment]] >= 2
    return shared


def filings_household(world: World) -> np.ndarray:
    return world.households.household[world.filings.person]


def person_hazard_flags(world: World, shared_building: np.ndarray) -> dict[str, np.ndarray]:
    persons, households, filings = world.persons, world.households, world.filings
    n = persons.tin.shape[0]
    role = households.role
    heads = households.head_of(np.arange(n))
    cofiling = _CoFiling(world)

    juniors = np.flatnonzero(role == Role.JUNIOR)
    jr_sr = _flag_pairs(n, juniors, heads[juniors], cofiling.together(juniors, heads[juniors]))
    second_twins = np.flatnonzero(households.second_twins())
    twins = _flag_pairs(
        n, second_twins, second_twins - 1, cofiling.together(second_twins, second_twins - 1)
    )
    spouses = np.flatnonzero(role == Role.SPOUSE)
    spouse_pairs = _same_filed_surname(world, spouses, heads[spouses]) & cofiling.together(
        spouses, heads[spouses]
    )
    spouse_flag = _flag_pairs(n, spouses, heads[spouses], spouse_pairs)

    roommate_templates = [i for i, t in enumerate(HOUSEHOLD_TEMPLATES) if Role.ROOMMATE in t.roles]
    in_roommate_household = np.isin(households.template[households.household], roommate_templates)
    members = np.flatnonzero(in_roommate_household & (households.member > 0))
    roommates = np.zeros(n, dtype=bool)
    # every pair in the household: (head, 1), (head, 2) and (1, 2)
    for p in (heads[members], members - 1):
        keep = (households.household[p] == households.household[members]) & (p != members)
        p, q = p[keep], members[keep]
        different = ~_same_filed_surname(world, p, q) & cofiling.together(p, q)
        roommates |= _flag_pairs(n, p, q, different)

    apartment = np.zeros(n, dtype=bool)
    apartment[filings.person[shared_building[filings.residence]]] = True
    # filings are sorted by person and year: a mover's residence changes between two rows
    person, residence = filings.person, filings.residence
    changed = (person[1:] == person[:-1]) & (residence[1:] != residence[:-1])
    mover = np.zeros(n, dtype=bool)
    mover[person[1:][changed]] = True
    particles = list(PARTICLE_SURNAMES)
    return {
        "jr_sr": jr_sr,
        "twins": twins,
        "spouses": spouse_flag,
        "roommates": roommates,
        "apartment": apartment,
        "compound": persons.maternal_surname != "",
        "particle": np.isin(persons.paternal_surname, particles)
        | np.isin(persons.maternal_surname, particles),
        "common_name": persons.surname_is_common,
        "itin": persons.is_itin,
        "mover": mover,
    }
