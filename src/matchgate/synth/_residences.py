"""Where each household lived in each tax year: addresses, moves, apartment buildings.

A residence is one household at one address for a run of tax years. Movers have two or three
residences, so older returns carry older addresses. About a third of residences are units in
apartment buildings shared with other households: the same building number and street with a
different unit, which is exactly what a matcher that ignores units will confuse.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matchgate.synth._places import (
    CITIES,
    DIRECTIONAL_WEIGHTS,
    DIRECTIONALS,
    STREET_NAMES,
    STREET_TYPE_WEIGHTS,
    STREET_TYPES,
    city_weights,
)

__all__ = ["NO_MOVE", "Residences", "draw_residences"]

NO_MOVE = 9999
MOVE_COUNT_SHARES = (0.74, 0.20, 0.06)  # households moving 0, 1 or 2 times in the window
SAME_CITY_WHEN_MOVING = 0.65
APARTMENT_SHARE = 0.32
OCCUPIED_UNITS_PER_BUILDING = 4  # average; buildings share a street number across households

_DIRECTIONAL_CODES = np.array(list(DIRECTIONALS), dtype=object)
_STREET_TYPE_CODES = np.array(list(STREET_TYPES), dtype=object)
_STREET_NAMES = np.array(STREET_NAMES, dtype=object)
_CITY_NAMES = np.array([c.name for c in CITIES], dtype=object)
_CITY_STATES = np.array([c.state for c in CITIES], dtype=object)
_CITY_ZIP_PREFIXES = np.array([c.zip_prefix for c in CITIES], dtype=object)


@dataclass(frozen=True)
class Residences:
    first_residence: np.ndarray  # per household
    move_years: np.ndarray  # per household, shape (households, 2); NO_MOVE when unused
    household: np.ndarray  # per residence from here on
    house_number: np.ndarray
    predirectional: np.ndarray  # "", "N", ...
    street_name: np.ndarray
    street_type: np.ndarray  # Pub. 28 abbreviation
    unit: np.ndarray  # "APT 12B", "UNIT 3", or ""
    city: np.ndarray
    state: np.ndarray
    zip_code: np.ndarray
    building: np.ndarray  # apartment building id, -1 for houses
    street_line: np.ndarray  # "123 N MAIN ST APT 12B"
    # per residence: its address as one integer (``site_keys``), for a chunked world's later
    # blocks to avoid; a building's units share one
    site_key: np.ndarray | None = None

    @property
    def count(self) -> int:
        return int(self.household.shape[0])

    def residence_in_year(self, household: np.ndarray, year: np.ndarray) -> np.ndarray:
        moved = (self.move_years[household] <= year[:, None]).sum(axis=1)
        return self.first_residence[household] + moved


def _draw_move_years(
    rng: np.random.Generator, households: int, first_year: int, last_year: int
) -> np.ndarray:
    moves = rng.choice(3, size=households, p=MOVE_COUNT_SHARES)
    # a move in year y means returns from y on carry the new address
    candidates = np.arange(first_year + 1, last_year + 1)
    picks = np.sort(np.argsort(rng.random((households, candidates.size)), axis=1)[:, :2], axis=1)
    years = candidates[picks]
    years[moves < 2, 1] = NO_MOVE
    years[moves < 1, 0] = NO_MOVE
    return years


def _draw_cities(
    rng: np.random.Generator, hispanic: np.ndarray, index_in_household: np.ndarray
) -> np.ndarray:
    city = np.empty(hispanic.shape[0], dtype=np.int64)
    for flag in (True, False):
        where = np.flatnonzero(hispanic == flag)
        city[where] = rng.choice(len(CITIES), size=where.size, p=city_weights(hispanic=flag))
    stays = rng.random(hispanic.shape[0]) < SAME_CITY_WHEN_MOVING
    for position in (1, 2):  # in order, so a second move can stay in the first move's city
        where = np.flatnonzero((index_in_household == position) & stays)
        city[where] = city[where - 1]
    return city


def site_keys(
    city: np.ndarray, predirectional: np.ndarray, street: np.ndarray, street_type: np.ndarray,
    number: np.ndarray,
) -> np.ndarray:  # fmt: skip
    """One integer per street address in a city (what ``_unique_sites`` keeps distinct)."""
    return (((city * 8 + predirectional) * 512 + street) * 16 + street_type) * 32_768 + number


def _unique_sites(
    rng: np.random.Generator,
    city: np.ndarray,
    apartment: np.ndarray,
    taken: np.ndarray | None = None,
) -> tuple:
    """Street address parts for each site, never two sites at the same address in a city.

    ``taken`` (sorted site keys) are addresses of earlier blocks of a chunked world."""
    n = city.shape[0]
    predirectional = np.zeros(n, dtype=np.int64)
    street = np.zeros(n, dtype=np.int64)
    street_type = np.zeros(n, dtype=np.int64)
    number = np.zeros(n, dtype=np.int64)
    type_p = np.array(STREET_TYPE_WEIGHTS) / sum(STREET_TYPE_WEIGHTS)
    dir_p = np.array(DIRECTIONAL_WEIGHTS) / sum(DIRECTIONAL_WEIGHTS)
    pending = np.arange(n)
    while pending.size:
        k = pending.size
        predirectional[pending] = rng.choice(len(dir_p), size=k, p=dir_p)
        street[pending] = rng.integers(0, len(STREET_NAMES), k)
        street_type[pending] = rng.choice(len(type_p), size=k, p=type_p)
        number[pending] = np.where(
            apartment[pending], rng.integers(100, 20_000, k), rng.integers(10, 10_000, k)
        )
        key = site_keys(city, predirectional, street, street_type, number)
        _, first_seen = np.unique(key, return_index=True)
        duplicate = np.ones(n, dtype=bool)
        duplicate[first_seen] = False
        if taken is not None and taken.size:
            at = np.minimum(np.searchsorted(taken, key), taken.size - 1)
            duplicate |= taken[at] == key
        pending = np.flatnonzero(duplicate)
    return predirectional, street, street_type, number


def _unit_labels(rng: np.random.Generator, building: np.ndarray) -> np.ndarray:
    """Distinct unit labels within each building, in one of three house styles per building."""
    labels = np.full(building.shape[0], "", dtype=object)
    apartments = np.flatnonzero(building >= 0)
    order = apartments[np.argsort(building[apartments], kind="stable")]
    sorted_buildings = building[order]
    group_start = np.r_[0, np.flatnonzero(np.diff(sorted_buildings)) + 1]
    group_sizes = np.diff(np.r_[group_start, order.size])
    rank = np.arange(order.size) - np.repeat(group_start, group_sizes)
    buildings = int(building.max()) + 1 if apartments.size else 0
    style = rng.integers(0, 3, buildings)[sorted_buildings]
    first_floor = rng.integers(1, 4, buildings)[sorted_buildings]
    floor = first_floor + rank // 4
    slot = rank % 4
    text = np.where(
        style == 0,
        np.char.add(np.char.add("APT ", floor.astype(str)), np.array(list("ABCD"))[slot]),
        np.where(
            style == 1,
            np.char.add("APT ", (floor * 100 + slot + 1).astype(str)),
            np.char.add("UNIT ", (rank + 1).astype(str)),
        ),
    )
    labels[order] = text.astype(object)
    return labels


def draw_residences(
    rng: np.random.Generator,
    *,
    household_hispanic: np.ndarray,
    first_year: int,
    last_year: int,
    taken_sites: np.ndarray | None = None,
) -> Residences:
    households = household_hispanic.shape[0]
    move_years = _draw_move_years(rng, households, first_year, last_year)
    per_household = 1 + (move_years != NO_MOVE).sum(axis=1)
    first_residence = np.cumsum(per_household) - per_household
    household = np.repeat(np.arange(households), per_household)
    index_in_household = np.arange(household.size) - first_residence[household]
    city = _draw_cities(rng, household_hispanic[household], index_in_household)

    # apartments: spread over buildings per city, about four occupied units per building
    apartment = rng.random(household.size) < APARTMENT_SHARE
    building = np.full(household.size, -1, dtype=np.int64)
    apartment_city = city[apartment]
    per_city = np.bincount(apartment_city, minlength=len(CITIES))
    buildings_per_city = np.maximum(1, per_city // OCCUPIED_UNITS_PER_BUILDING)
    building_offset = np.cumsum(buildings_per_city) - buildings_per_city
    slot = (rng.random(apartment_city.size) * buildings_per_city[apartment_city]).astype(np.int64)
    building[apartment] = building_offset[apartment_city] + slot
    building_count = int(buildings_per_city.sum())
    building_city = np.repeat(np.arange(len(CITIES)), buildings_per_city)

    # one site per building and one per house; a building's residences share its site
    house = np.flatnonzero(~apartment)
    site_city = np.concatenate([building_city, city[house]])
    site_is_apartment = np.r_[np.ones(building_count, bool), np.zeros(house.size, bool)]
    predirectional, street, street_type, number = _unique_sites(
        rng, site_city, site_is_apartment, taken_sites
    )
    site = np.empty(household.size, dtype=np.int64)
    site[apartment] = building[apartment]
    site[house] = building_count + np.arange(house.size)

    unit = _unit_labels(rng, building)
    zip_tail = (street[site] * 37 + predirectional[site] * 11 + street_type[site] * 5) % 100
    zip_code = np.char.add(
        _CITY_ZIP_PREFIXES[city].astype(str), np.char.zfill(zip_tail.astype(str), 2)
    ).astype(object)
    predirectional_text = _DIRECTIONAL_CODES[predirectional[site]]
    street_name = _STREET_NAMES[street[site]]
    street_type_text = _STREET_TYPE_CODES[street_type[site]]
    house_number = number[site]
    street_line = np.array(
        [
            " ".join(part for part in (str(num), pre, name, kind, apt) if part)
            for num, pre, name, kind, apt in zip(
                house_number,
                predirectional_text,
                street_name,
                street_type_text,
                unit,
                strict=True,
            )
        ],
        dtype=object,
    )
    return Residences(
        first_residence=first_residence,
        move_years=move_years,
        household=household,
        house_number=house_number,
        predirectional=predirectional_text,
        street_name=street_name,
        street_type=street_type_text,
        unit=unit,
        city=_CITY_NAMES[city],
        state=_CITY_STATES[city],
        zip_code=zip_code,
        building=building,
        street_line=street_line,
        site_key=site_keys(
            city, predirectional[site], street[site], street_type[site], number[site]
        ),
    )
