"""Households and the people in them, as integer arrays.

Everything here is vectorised with numpy: a world of a million people is a few dozen arrays of a
million entries. Household templates are where the matching hazards come from on purpose: fathers
and sons sharing a name (Jr/Sr), twins, spouses sharing a surname, roommates.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np

__all__ = [
    "HOUSEHOLD_TEMPLATES",
    "POPULATION_RATE_MIXES",
    "HouseholdTemplate",
    "Households",
    "Role",
    "draw_households",
    "template_shares",
]


class Role(IntEnum):
    HEAD = 0
    SPOUSE = 1
    CHILD = 2
    JUNIOR = 3  # the son who carries his father's full name
    TWIN = 4
    ROOMMATE = 5


@dataclass(frozen=True)
class HouseholdTemplate:
    name: str
    roles: tuple[Role, ...]
    share: float  # share of households built from this template


R = Role
HOUSEHOLD_TEMPLATES: tuple[HouseholdTemplate, ...] = (
    HouseholdTemplate("single", (R.HEAD,), 0.30),
    HouseholdTemplate("couple", (R.HEAD, R.SPOUSE), 0.20),
    HouseholdTemplate("family", (R.HEAD, R.SPOUSE, R.CHILD), 0.12),
    HouseholdTemplate("family_two_children", (R.HEAD, R.SPOUSE, R.CHILD, R.CHILD), 0.06),
    HouseholdTemplate("single_parent", (R.HEAD, R.CHILD), 0.05),
    # Jr/Sr is over-represented here on purpose (the "stress" world): it is the hazard
    # behind most wrong answers. CENSUS_SHARES below gives the population rate.
    HouseholdTemplate("jr_sr_family", (R.HEAD, R.SPOUSE, R.JUNIOR), 0.03),
    HouseholdTemplate("jr_sr", (R.HEAD, R.JUNIOR), 0.015),
    HouseholdTemplate("twins_family", (R.HEAD, R.SPOUSE, R.TWIN, R.TWIN), 0.015),
    HouseholdTemplate("twins_single_parent", (R.HEAD, R.TWIN, R.TWIN), 0.006),
    HouseholdTemplate("roommates", (R.HEAD, R.ROOMMATE), 0.07),
    HouseholdTemplate("roommates_three", (R.HEAD, R.ROOMMATE, R.ROOMMATE), 0.03),
)
SINGLE_TEMPLATE = 0  # index of "single", used to fill up to the exact head count

# Population rates for the "census" world, where the stress shares above would be 10x too
# high. A junior living with his father, both filing returns, built from upper-end inputs:
# juniors are 2-5% of boys born (state vital statistics, Illinois 3%, Missouri 5%; Sun-
# Sentinel, 3 May 1994) - take 5%; about 57% of men 18-24 and 16-19% of men 25-34 live in
# a parent's home (Census Bureau, America's Families and Living Arrangements 2011 and 2022),
# a few percent of older men - about 15% of adult men weighted by age; father present and
# both filing, about 70%. So 5% x 15% x 70% = 0.5% of adult men are a junior at home with
# a filing father; with adult men at ~49% of adults and ~1.9 adults per household that is
# ~0.5% of households (the central inputs - 3%, 12%, 60% - give ~0.2%).
CENSUS_SHARES: dict[str, float] = {"jr_sr_family": 0.0035, "jr_sr": 0.0015}
# Request mixes whose world is built at population rates (the noisy mix is the census world
# with its request fields corrupted).
POPULATION_RATE_MIXES = frozenset({"census", "noisy"})


@dataclass(frozen=True)
class Households:
    """Household structure for ``people`` people; arrays indexed by person unless noted."""

    template: np.ndarray  # per household: index into HOUSEHOLD_TEMPLATES
    first_member: np.ndarray  # per household: person index of the head
    size: np.ndarray  # per household
    household: np.ndarray  # per person: household index
    role: np.ndarray  # per person: Role value
    member: np.ndarray  # per person: position within the household (head is 0)

    @property
    def people(self) -> int:
        return int(self.household.shape[0])

    @property
    def count(self) -> int:
        return int(self.template.shape[0])

    def head_of(self, person: np.ndarray) -> np.ndarray:
        return self.first_member[self.household[person]]

    def template_name(self, person: int) -> str:
        return HOUSEHOLD_TEMPLATES[int(self.template[self.household[person]])].name

    def second_twins(self) -> np.ndarray:
        """Per person: the younger of a twin pair (the elder sits just before them)."""
        twin = self.role == Role.TWIN
        return twin & np.roll(twin, 1) & (self.member > 0)

    def raises_children(self) -> np.ndarray:
        """Per household: whether the head lives with grown children (so is older)."""
        offspring = (Role.CHILD, Role.JUNIOR, Role.TWIN)
        flags = np.array([any(r in offspring for r in t.roles) for t in HOUSEHOLD_TEMPLATES])
        return flags[self.template]

    def has_role_at(self, member: int, role: Role) -> np.ndarray:
        """Per household: whether the member at this position has the role."""
        flags = np.array(
            [len(t.roles) > member and t.roles[member] == role for t in HOUSEHOLD_TEMPLATES]
        )
        return flags[self.template]


def template_shares(population: str = "stress", single_share: float | None = None) -> np.ndarray:
    """Share of households per template, summing to 1: ``stress`` over-represents the
    hazards, ``census`` uses population rates where the two differ (``CENSUS_SHARES``).
    ``single_share`` sets the one-person households' share, the others keep their ratios."""
    shares = np.array([t.share for t in HOUSEHOLD_TEMPLATES])
    shares /= shares.sum()
    if population in POPULATION_RATE_MIXES:
        fixed = np.array([t.name in CENSUS_SHARES for t in HOUSEHOLD_TEMPLATES])
        rest = 1.0 - sum(CENSUS_SHARES.values())
        shares[~fixed] *= rest / shares[~fixed].sum()
        shares[fixed] = [
            CENSUS_SHARES[t.name] for t in HOUSEHOLD_TEMPLATES if t.name in CENSUS_SHARES
        ]
    if single_share is not None:
        others = np.arange(len(HOUSEHOLD_TEMPLATES)) != SINGLE_TEMPLATE
        shares[others] *= (1.0 - single_share) / shares[others].sum()
        shares[SINGLE_TEMPLATE] = single_share
    return shares


def draw_households(
    rng: np.random.Generator,
    people: int,
    *,
    population: str = "stress",
    single_share: float | None = None,
) -> Households:
    """Households whose sizes add up to exactly ``people``."""
    shares = template_shares(population, single_share)
    sizes_by_template = np.array([len(t.roles) for t in HOUSEHOLD_TEMPLATES])
    mean_size = float((shares * sizes_by_template).sum())
    drawn = rng.choice(len(HOUSEHOLD_TEMPLATES), size=int(people / mean_size) + 8, p=shares)
    sizes = sizes_by_template[drawn]
    fits = np.cumsum(sizes) <= people
    template = drawn[fits]
    # the remainder becomes single-person households so the head count is exact
    remainder = people - int(sizes[fits].sum())
    template = np.concatenate([template, np.full(remainder, SINGLE_TEMPLATE)]).astype(np.int16)
    size = sizes_by_template[template].astype(np.int32)
    first_member = (np.cumsum(size) - size).astype(np.int64)

    household = np.repeat(np.arange(template.shape[0], dtype=np.int64), size)
    member = (np.arange(people, dtype=np.int64) - first_member[household]).astype(np.int8)
    role = np.empty(people, dtype=np.int8)
    for index, spec in enumerate(HOUSEHOLD_TEMPLATES):
        heads = first_member[template == index]
        for position, member_role in enumerate(spec.roles):
            role[heads + position] = member_role
    return Households(
        template=template,
        first_member=first_member,
        size=size,
        household=household,
        role=role,
        member=member,
    )
