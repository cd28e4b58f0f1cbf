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
from matchgate.synth._residences import NO_MOVE

__all__ = [
    "CoFiling",
    "Namesakes",
    "household_residences",
    "namesake_pairs",
    "person_hazard_flags",
    "residences_in_shared_buildings",
]

MAX_RESIDENCES_PER_HOUSEHOLD = 3


def _same_filed_surname(world: World, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    names = world.persons.filed_last_name
    return np.array(
        [plain_name(x) == plain_name(y) for x, y in zip(names[a], names[b], strict=True)],
        dtype=bool,
    )


class CoFiling:
    """Answers "did p and q both file from one residence?" for arrays of pairs."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.residence_count = world.residences.count
        self.keys = np.unique(world.filings.person * self.residence_count + world.filings.residence)

    def filed_from(self, person: np.ndarray, residence: np.ndarray) -> np.ndarray:
        key = person * self.residence_count + residence
        at = np.minimum(np.searchsorted(self.keys, key), self.keys.size - 1)
        return self.keys[at] == key

    def together(self, p: np.ndarray, q: np.ndarray) -> np.ndarray:
        household = self.world.households.household[p]
        first = self.world.residences.first_residence[household]
        moves = (self.world.residences.move_years[household] != NO_MOVE).sum(axis=1)
        result = np.zeros(p.shape[0], dtype=bool)
        for offset in range(MAX_RESIDENCES_PER_HOUSEHOLD):
            residence = first + offset
            exists = offset <= moves
            result |= exists & self.filed_from(p, residence) & self.filed_from(q, residence)
        return result

    def shared_count(self, p: np.ndarray, q: np.ndarray) -> np.ndarray:
        """How many of their household's residences both p and q filed from."""
        first, exists = household_residences(self.world, p)
        count = np.zeros(p.shape[0], dtype=np.int64)
        for offset in range(MAX_RESIDENCES_PER_HOUSEHOLD):
            residence = first + offset
            both = self.filed_from(p, residence) & self.filed_from(q, residence)
            count += exists[:, offset] & both
        return count


def household_residences(world: World, person: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per person: the household's first residence and which of the (up to three) residences
    from there on exist. A household's address history is shared by all its members."""
    household = world.households.household[person]
    first = world.residences.first_residence[household]
    moves = (world.residences.move_years[household] != NO_MOVE).sum(axis=1)
    exists = np.arange(MAX_RESIDENCES_PER_HOUSEHOLD)[None, :] <= moves[:, None]
    return first, exists


def namesake_pairs(world: World) -> tuple[np.ndarray, np.ndarray]:
    """Ordered pairs (p, q) of two people in one household whose filed first and last names
    are the same once case, accents and hyphens are set aside: the father and son who share a
    name (JR/SR), or by chance two roommates. Both directions are listed."""
    persons, households = world.persons, world.households
    members = np.flatnonzero(households.member > 0)
    ps: list[np.ndarray] = []
    qs: list[np.ndarray] = []
    for offset in range(1, int(households.size.max(initial=1))):
        q = members - offset
        keep = (q >= 0) & (households.household[np.maximum(q, 0)] == households.household[members])
        p, q = members[keep], q[keep]
        same = persons.first_name[p] == persons.first_name[q]  # cheap filter on true names
        p, q = p[same], q[same]
        filed_same = np.array(
            [
                plain_name(a) == plain_name(b) and plain_name(c) == plain_name(d)
                for a, b, c, d in zip(
                    persons.filed_first_name[p],
                    persons.filed_first_name[q],
                    persons.filed_last_name[p],
                    persons.filed_last_name[q],
                    strict=True,
                )
            ],
            dtype=bool,
        )
        ps.append(p[filed_same])
        qs.append(q[filed_same])
    p = np.concatenate([*ps, np.zeros(0, np.int64)])
    q = np.concatenate([*qs, np.zeros(0, np.int64)])
    return np.r_[p, q], np.r_[q, p]


class Namesakes:
    """Where a namesake in the household makes an address treacherous.

    ``trap[p]`` is a residence of p's household from which p filed nothing but his namesake
    did, while the two also filed from another address together (-1 when there is none): the
    son asked about at his new home, which the master file shows only under his father's
    name, with the two linked by an earlier address both filed from (issue 11)."""

    def __init__(self, world: World, cofiling: CoFiling) -> None:
        n = world.persons.tin.shape[0]
        self.cofiling = cofiling
        p, q = namesake_pairs(world)
        self.counterpart = np.full(n, -1, dtype=np.int64)
        self.counterpart[p] = q
        self.trap = np.full(n, -1, dtype=np.int64)
        first, exists = household_residences(world, p)
        shared = cofiling.shared_count(p, q)
        for offset in range(MAX_RESIDENCES_PER_HOUSEHOLD):
            residence = first + offset
            only_q = (
                exists[:, offset]
                & cofiling.filed_from(q, residence)
                & ~cofiling.filed_from(p, residence)
            )
            self.trap[p[only_q & (shared >= 1)]] = residence[only_q & (shared >= 1)]

    def linked_elsewhere(self, person: int, residence: int) -> bool:
        """Whether asking for ``person`` at ``residence`` is the namesake trap."""
        q = int(self.counterpart[person])
        if q < 0:
            return False
        at = np.array([residence])
        p_there = self.cofiling.filed_from(np.array([person]), at)[0]
        q_there = self.cofiling.filed_from(np.array([q]), at)[0]
        together = self.cofiling.shared_count(np.array([person]), np.array([q]))[0]
        return bool(q_there and not p_there and together >= 1)


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


def _moved_together(world: World, cofiling: CoFiling) -> np.ndarray:
    """Per person: another household member filed from two or more of the same addresses, so
    the two share an address history in the master file (households move together)."""
    households = world.households
    n = households.people
    flag = np.zeros(n, dtype=bool)
    movers = (world.residences.move_years != NO_MOVE).any(axis=1)[households.household]
    members = np.flatnonzero((households.member > 0) & movers)
    for offset in range(1, int(households.size.max(initial=1))):
        q = members - offset
        keep = (q >= 0) & (households.household[np.maximum(q, 0)] == households.household[members])
        p, q = members[keep], q[keep]
        flag |= _flag_pairs(n, p, q, cofiling.shared_count(p, q) >= 2)
    return flag


def person_hazard_flags(
    world: World, shared_building: np.ndarray, cofiling: CoFiling | None = None
) -> dict[str, np.ndarray]:
    persons, households, filings = world.persons, world.households, world.filings
    n = persons.tin.shape[0]
    role = households.role
    heads = households.head_of(np.arange(n))
    cofiling = cofiling or CoFiling(world)
    namesake_p, _ = namesake_pairs(world)
    namesake = np.zeros(n, dtype=bool)
    namesake[namesake_p] = True

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
        "namesake_in_household": namesake,
        "moved_together": _moved_together(world, cofiling),
    }
