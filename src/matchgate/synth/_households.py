"""Households and the people in them, as integer arrays.

Everything here is vectorised with numpy: a world of a million people is a few dozen arrays of a
million entries. Household templates are where the matching hazards come from on purpose: fathers
and sons sharing a name (Jr/Sr), twins, spouses sharing a surname, roommates.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np

__all__ = ["HOUSEHOLD_TEMPLATES", "HouseholdTemplate", "Households", "Role", "draw_households"]


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
    # Jr/Sr is over-represented on purpose: it is the hazard behind most wrong answers.
    HouseholdTemplate("jr_sr_family", (R.HEAD, R.SPOUSE, R.JUNIOR), 0.03),
    HouseholdTemplate("jr_sr", (R.HEAD, R.JUNIOR), 0.015),
    HouseholdTemplate("twins_family", (R.HEAD, R.SPOUSE, R.TWIN, R.TWIN), 0.015),
    HouseholdTemplate("twins_single_parent", (R.HEAD, R.TWIN, R.TWIN), 0.006),
    HouseholdTemplate("roommates", (R.HEAD, R.ROOMMATE), 0.07),
    HouseholdTemplate("roommates_three", (R.HEAD, R.ROOMMATE, R.ROOMMATE), 0.03),
)
SINGLE_TEMPLATE = 0  # index of "single", used to fill up to the exact head count


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


def draw_households(rng: np.random.Generator, people: int) -> Households:
    """Households whose sizes add up to exactly ``people``."""
    shares = np.array([t.share for t in HOUSEHOLD_TEMPLATES])
    shares /= shares.sum()
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
