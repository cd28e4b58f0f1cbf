"""People: names as they really are, names as filed, dates of birth and TINs.

A person's *true* name (paternal and maternal surname, full middle name) is what a requester may
know; the *filed* name is what the master file holds (one or both surnames, accents kept or not,
suffix often dropped). Requests are later written from the true name, so the gap between the two
is where the matching hazards live.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date

import numpy as np

from matchgate.synth._households import Households, Role
from matchgate.synth._name_tables import NameTables
from matchgate.synth._naming_customs import ACCENTED_FORMS, PARTICLE_SURNAMES
from matchgate.synth._tins import draw_tins

__all__ = ["Persons", "draw_persons"]

HISPANIC_HOUSEHOLD_SHARE = 0.27  # keeps Hispanic people comfortably above a fifth
COMPOUND_SURNAME_FILED = 0.45  # Hispanic people who file both surnames
HYPHENATED_WHEN_COMPOUND = 0.12
PARTICLE_SPACED_IN_MASTER = 0.85  # "DE LA CRUZ" rather than the census "DELACRUZ"
ACCENTS_KEPT_IN_MASTER = 0.30  # share of Hispanic filers whose return keeps accents
TITLE_CASE_IN_MASTER = 0.08
MIDDLE_NAME_SHARE = 0.62
MIDDLE_INITIAL_ONLY = 0.2
# the suffix is often missing from the master file: an assumption, not a published figure
# (docs/SOURCES.md, "The project's own assumptions")
JUNIOR_SUFFIX_FILED = 0.40
SENIOR_SUFFIX_FILED = 0.15
ITIN_SHARE_HISPANIC = 0.10
ITIN_SHARE_OTHER = 0.015
SIMILAR_TWIN_NAMES = 0.3  # "JUAN" and "JUAN CARLOS"
DOUBLE_GIVEN_NAME_SHARE = 0.12  # of Hispanic people: "JOSE LUIS", "MARIA GUADALUPE"
DOUBLE_GIVEN_NAME_SPLIT_IN_MASTER = 0.4


@dataclass(frozen=True)
class Persons:
    hispanic: np.ndarray
    male: np.ndarray
    first_name: np.ndarray  # true first name, plain upper case
    middle_name: np.ndarray  # true middle name, "" when none
    paternal_surname: np.ndarray  # census spelling ("DELACRUZ")
    maternal_surname: np.ndarray  # "" when the person has a single surname
    true_suffix: np.ndarray  # JR/SR for the Jr/Sr pairs, else ""
    filed_first_name: np.ndarray
    filed_middle_name: np.ndarray
    filed_last_name: np.ndarray
    filed_suffix: np.ndarray
    dob: np.ndarray  # datetime64[D]
    tin: np.ndarray  # 9-digit strings
    is_itin: np.ndarray
    surname_is_common: np.ndarray
    files_both_surnames: np.ndarray  # the return carries paternal and maternal surname
    hyphenates_surnames: np.ndarray  # ... joined by a hyphen


def _choose(rng: np.random.Generator, n: int, probability: float) -> np.ndarray:
    return rng.random(n) < probability


def _copy_from_head(values: np.ndarray, people: np.ndarray, heads: np.ndarray) -> None:
    values[people] = values[heads]


def _draw_dobs(rng: np.random.Generator, households: Households, as_of: date) -> np.ndarray:
    role = households.role
    n = households.people
    heads = households.head_of(np.arange(n))
    roommate_household = households.has_role_at(1, Role.ROOMMATE)[households.household]
    parent = households.raises_children()[households.household]

    age = rng.uniform(21, 84, n)
    age = np.where(parent, rng.uniform(42, 84, n), age)
    age = np.where(roommate_household, rng.uniform(20, 45, n), age)
    spouse = role == Role.SPOUSE
    age[spouse] = np.clip(age[heads[spouse]] + rng.normal(-2, 4, spouse.sum()), 19, 95)
    offspring = np.isin(role, (Role.CHILD, Role.JUNIOR, Role.TWIN))
    # adult children who file: at least 18, spread out rather than piled up at the bound
    age[offspring] = np.maximum(
        age[heads[offspring]] - rng.uniform(20, 38, offspring.sum()),
        rng.uniform(18.2, 26, offspring.sum()),
    )
    as_of_day = np.datetime64(as_of, "D")
    dob = as_of_day - (age * 365.25).astype(np.int64).astype("timedelta64[D]")
    # twins share a date of birth: the second twin copies the first
    second_twin = np.flatnonzero(households.second_twins())
    dob[second_twin] = dob[second_twin - 1]
    return dob


def _accented(text: str) -> str:
    return " ".join(ACCENTED_FORMS.get(word, word) for word in text.split(" "))


def _filed_surname(paternal: str, maternal: str, compound: bool, hyphen: bool, spaced: bool) -> str:
    parts = [paternal, maternal] if compound and maternal else [paternal]
    if spaced:
        parts = [PARTICLE_SURNAMES.get(part, part) for part in parts]
    return ("-" if hyphen and len(parts) == 2 else " ").join(parts)


@dataclass(frozen=True)
class _Roles:
    """Who is who in the person arrays: boolean masks and each person's head of household."""

    heads: np.ndarray  # person index of each person's head of household
    is_head: np.ndarray
    spouse: np.ndarray
    offspring: np.ndarray  # children and twins (not the Jr, who copies his father)
    junior: np.ndarray
    roommate: np.ndarray
    second_twin: np.ndarray

    @classmethod
    def of(cls, households: Households) -> _Roles:
        role = households.role
        return cls(
            heads=households.head_of(np.arange(households.people)),
            is_head=role == Role.HEAD,
            spouse=role == Role.SPOUSE,
            offspring=np.isin(role, (Role.CHILD, Role.TWIN)),
            junior=role == Role.JUNIOR,
            roommate=role == Role.ROOMMATE,
            second_twin=households.second_twins(),
        )


@dataclass(frozen=True)
class _GivenNames:
    first: np.ndarray  # true first name text ("JOSE LUIS" for a double given name)
    middle: np.ndarray  # true middle name text, "" when none
    double: np.ndarray  # the first name is a Hispanic double given name


@dataclass(frozen=True)
class _FilingHabits:
    """How each person's return writes the name; a Jr and a second twin copy their model."""

    compound: np.ndarray  # both surnames filed
    hyphen: np.ndarray  # ... joined by a hyphen
    spaced: np.ndarray  # particles spaced ("DE LA CRUZ")
    accents: np.ndarray
    initial_only: np.ndarray  # middle name cut to its initial
    title_case: np.ndarray
    splits_given_names: np.ndarray  # a double given name filed as first + middle


def _draw_hispanic(rng: np.random.Generator, households: Households, roles: _Roles) -> np.ndarray:
    """Ethnicity per household; roommates draw their own."""
    household_hispanic = _choose(rng, households.count, HISPANIC_HOUSEHOLD_SHARE)
    hispanic = household_hispanic[households.household]
    hispanic[roles.roommate] = _choose(rng, int(roles.roommate.sum()), HISPANIC_HOUSEHOLD_SHARE)
    return hispanic


def _draw_sex(
    rng: np.random.Generator, households: Households, roles: _Roles
) -> tuple[np.ndarray, np.ndarray]:
    """``(male, same_sex_twins)``: heads of couple or Jr/Sr households are men, spouses women,
    the rest at random; a second twin of the same sex copies the first."""
    n = households.people
    has_partner = households.has_role_at(1, Role.SPOUSE) | households.has_role_at(1, Role.JUNIOR)
    male = _choose(rng, n, 0.5)
    male[roles.is_head & has_partner[households.household]] = True
    male[roles.spouse] = False
    male[roles.junior] = True
    same_sex_twins = roles.second_twin & _choose(rng, n, 0.6)
    male[same_sex_twins] = male[np.flatnonzero(same_sex_twins) - 1]
    return male, same_sex_twins


def _draw_surnames(
    rng: np.random.Generator,
    households: Households,
    roles: _Roles,
    tables: NameTables,
    hispanic: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """``(paternal, maternal)`` surname indices (maternal -1 when none): adults draw their own;
    children take the father's and the mother's first surname; a Jr copies his father."""
    n = households.people
    heads, spouse, offspring, junior = roles.heads, roles.spouse, roles.offspring, roles.junior
    paternal = tables.draw_surnames(rng, hispanic)
    maternal = np.where(hispanic, tables.draw_surnames(rng, hispanic), -1)
    takes_partner_name = spouse & np.where(hispanic, _choose(rng, n, 0.35), _choose(rng, n, 0.8))
    paternal[takes_partner_name] = paternal[heads[takes_partner_name]]
    maternal[takes_partner_name] = -1
    spouse_of_household = np.full(households.count, -1, dtype=np.int64)
    spouse_of_household[households.household[spouse]] = np.flatnonzero(spouse)
    mother = spouse_of_household[households.household]
    child_with_mother = offspring & (mother >= 0) & hispanic
    mother_keeps_name = child_with_mother & ~takes_partner_name[np.maximum(mother, 0)]
    paternal[offspring] = paternal[heads[offspring]]
    maternal[mother_keeps_name] = paternal[mother[mother_keeps_name]]
    maternal[offspring & ~hispanic] = -1
    # siblings share both surnames: the younger copies the elder's maternal surname
    younger = np.flatnonzero(offspring & np.roll(offspring, 1) & (households.member > 0))
    maternal[younger] = maternal[younger - 1]
    _copy_from_head(paternal, np.flatnonzero(junior), heads[junior])
    _copy_from_head(maternal, np.flatnonzero(junior), heads[junior])
    return paternal, maternal


def _draw_given_names(
    rng: np.random.Generator,
    households: Households,
    roles: _Roles,
    tables: NameTables,
    male: np.ndarray,
    hispanic: np.ndarray,
    same_sex_twins: np.ndarray,
) -> _GivenNames:
    """First and middle names; a Jr copies his father's, twins never share a first name."""
    n = households.people
    heads, junior = roles.heads, roles.junior
    first = tables.draw_first_names(rng, male, hispanic)
    middle = tables.draw_first_names(rng, male, hispanic)
    has_middle = _choose(rng, n, MIDDLE_NAME_SHARE) & (middle != first)
    first[junior] = first[heads[junior]]
    middle[junior] = middle[heads[junior]]
    has_middle[junior] = has_middle[heads[junior]]
    clash = np.flatnonzero(roles.second_twin & (first == np.roll(first, 1)))
    while clash.size:
        first[clash] = tables.draw_first_names(rng, male[clash], hispanic[clash])
        clash = clash[first[clash] == first[clash - 1]]
    first_text = tables.first_names[first]
    similar = np.flatnonzero(same_sex_twins & hispanic & _choose(rng, n, SIMILAR_TWIN_NAMES))
    first_text[similar] = first_text[similar - 1] + " " + first_text[similar]
    # Hispanic double given names (JOSE LUIS, MARIA GUADALUPE): the drawn middle name becomes
    # the second given name; twins are left out, their names are similar on purpose already
    double = (
        hispanic
        & (households.role != Role.TWIN)
        & ~junior
        & (middle != first)
        & _choose(rng, n, DOUBLE_GIVEN_NAME_SHARE)
    )
    first_text[double] = first_text[double] + " " + tables.first_names[middle[double]]
    has_middle[double] = False
    first_text[junior] = first_text[heads[junior]]
    has_middle[junior] = has_middle[heads[junior]]
    middle_text = np.where(has_middle, tables.first_names[middle], "").astype(object)
    return _GivenNames(first=first_text, middle=middle_text, double=double)


def _true_suffixes(n: int, roles: _Roles) -> np.ndarray:
    true_suffix = np.full(n, "", dtype=object)
    true_suffix[roles.junior] = "JR"
    true_suffix[roles.heads[roles.junior]] = "SR"
    return true_suffix


def _draw_filing_habits(
    rng: np.random.Generator, n: int, roles: _Roles, hispanic: np.ndarray, double: np.ndarray
) -> _FilingHabits:
    habits = _FilingHabits(
        compound=_choose(rng, n, COMPOUND_SURNAME_FILED),
        hyphen=_choose(rng, n, HYPHENATED_WHEN_COMPOUND),
        spaced=_choose(rng, n, PARTICLE_SPACED_IN_MASTER),
        accents=hispanic & _choose(rng, n, ACCENTS_KEPT_IN_MASTER),
        initial_only=_choose(rng, n, MIDDLE_INITIAL_ONLY),
        title_case=_choose(rng, n, TITLE_CASE_IN_MASTER),
        # a double given name is filed whole ("JOSE LUIS") or split into first and middle
        splits_given_names=double & _choose(rng, n, DOUBLE_GIVEN_NAME_SPLIT_IN_MASTER),
    )
    twin_of_first = np.flatnonzero(roles.second_twin)
    for flags in (getattr(habits, field.name) for field in fields(habits)):
        flags[roles.junior] = flags[roles.heads[roles.junior]]  # a Jr files exactly as his father
        flags[twin_of_first] = flags[twin_of_first - 1]  # twins' returns are prepared alike
    return habits


def _filed_names(
    habits: _FilingHabits,
    given: _GivenNames,
    paternal_text: np.ndarray,
    maternal_text: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(first, middle, last)`` as the master file holds them."""
    filed_last = np.array(
        [
            _filed_surname(p, m, c, h, s)
            for p, m, c, h, s in zip(
                paternal_text,
                maternal_text,
                habits.compound,
                habits.hyphen,
                habits.spaced,
                strict=True,
            )
        ],
        dtype=object,
    )
    filed_first = given.first.copy()
    filed_middle = given.middle.copy()
    where = np.flatnonzero(habits.splits_given_names)
    filed_first[where] = [text.split(" ", 1)[0] for text in given.first[where]]
    filed_middle[where] = [text.split(" ", 1)[1] for text in given.first[where]]
    filed_middle = np.where(
        habits.initial_only, np.array([m[:1] for m in filed_middle], dtype=object), filed_middle
    )
    for column in (filed_first, filed_middle, filed_last):
        where = np.flatnonzero(habits.accents)
        column[where] = [_accented(text) for text in column[where]]
        where = np.flatnonzero(habits.title_case)
        column[where] = [text.title() for text in column[where]]
    return filed_first, filed_middle, filed_last


def _draw_filed_suffixes(rng: np.random.Generator, n: int, roles: _Roles) -> np.ndarray:
    """JR and SR as filed: most returns of a Jr/Sr pair leave the suffix out."""
    filed_suffix = np.full(n, "", dtype=object)
    filed_suffix[roles.junior & _choose(rng, n, JUNIOR_SUFFIX_FILED)] = "JR"
    senior = np.zeros(n, dtype=bool)
    senior[roles.heads[roles.junior]] = True
    filed_suffix[senior & _choose(rng, n, SENIOR_SUFFIX_FILED)] = "SR"
    return filed_suffix


def _draw_is_itin(
    rng: np.random.Generator, n: int, hispanic: np.ndarray, scale: float = 1.0
) -> np.ndarray:
    return np.where(
        hispanic,
        _choose(rng, n, min(1.0, ITIN_SHARE_HISPANIC * scale)),
        _choose(rng, n, min(1.0, ITIN_SHARE_OTHER * scale)),
    )


def draw_persons(
    rng: np.random.Generator,
    households: Households,
    tables: NameTables,
    as_of: date,
    *,
    taken_tins: np.ndarray | None = None,
    itin_scale: float = 1.0,
) -> Persons:
    """Everyone in ``households``: true and filed names, dates of birth and TINs.

    The steps draw from ``rng`` in a fixed order; reordering them changes every world."""
    n = households.people
    roles = _Roles.of(households)
    hispanic = _draw_hispanic(rng, households, roles)
    male, same_sex_twins = _draw_sex(rng, households, roles)
    paternal, maternal = _draw_surnames(rng, households, roles, tables, hispanic)
    given = _draw_given_names(rng, households, roles, tables, male, hispanic, same_sex_twins)
    paternal_text = tables.surnames[paternal]
    maternal_text = np.where(maternal >= 0, tables.surnames[np.maximum(maternal, 0)], "")
    habits = _draw_filing_habits(rng, n, roles, hispanic, given.double)
    filed_first, filed_middle, filed_last = _filed_names(
        habits, given, paternal_text, maternal_text
    )
    filed_suffix = _draw_filed_suffixes(rng, n, roles)
    is_itin = _draw_is_itin(rng, n, hispanic, itin_scale)
    dob = _draw_dobs(rng, households, as_of)
    tin = draw_tins(rng, is_itin, taken_tins)
    files_both_surnames = habits.compound & (maternal >= 0)
    return Persons(
        hispanic=hispanic,
        male=male,
        first_name=given.first,
        middle_name=given.middle,
        paternal_surname=paternal_text,
        maternal_surname=maternal_text.astype(object),
        true_suffix=_true_suffixes(n, roles),
        filed_first_name=filed_first,
        filed_middle_name=filed_middle,
        filed_last_name=filed_last,
        filed_suffix=filed_suffix,
        dob=dob,
        tin=tin,
        is_itin=is_itin,
        surname_is_common=tables.surname_is_common[paternal],
        files_both_surnames=files_both_surnames,
        hyphenates_surnames=habits.hyphen & files_both_surnames,
    )
