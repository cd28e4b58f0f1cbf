"""Who filed a return in which tax year, and from which residence.

Most people file nearly every year, some only now and then, nobody before 17; everyone in the
master file filed at least once. A filing's residence is where the household lived that year,
so a mover's older returns carry older addresses.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matchgate.synth._households import Households
from matchgate.synth._persons import Persons
from matchgate.synth._residences import Residences

__all__ = ["Filings", "draw_filings"]

REGULAR_FILER_SHARE = 0.8
REGULAR_FILING_RATE = 0.93
OCCASIONAL_FILING_RATE = 0.5
MINIMUM_FILING_AGE_DAYS = int(17 * 365.25)


@dataclass(frozen=True)
class Filings:
    """Who filed in which year and from which residence; rows sorted by person, then year."""

    person: np.ndarray
    year: np.ndarray
    residence: np.ndarray

    def rows_of(self, person: int) -> slice:
        start = int(np.searchsorted(self.person, person, side="left"))
        stop = int(np.searchsorted(self.person, person, side="right"))
        return slice(start, stop)


def draw_filings(
    rng: np.random.Generator,
    persons: Persons,
    households: Households,
    residences: Residences,
    years: np.ndarray,
) -> Filings:
    n = persons.dob.shape[0]
    year_end = np.array([np.datetime64(f"{y}-12-31", "D") for y in years])
    old_enough = (year_end[None, :] - persons.dob[:, None]).astype(np.int64) >= (
        MINIMUM_FILING_AGE_DAYS
    )
    rate = np.where(
        rng.random(n) < REGULAR_FILER_SHARE, REGULAR_FILING_RATE, OCCASIONAL_FILING_RATE
    )
    files = old_enough & (rng.random((n, years.size)) < rate[:, None])
    # everyone in the master file filed at least once: fall back to the latest eligible year
    never = np.flatnonzero(~files.any(axis=1))
    last_eligible = years.size - 1 - np.argmax(old_enough[never, ::-1], axis=1)
    files[never, last_eligible] = True
    person, year_index = np.nonzero(files)
    year = years[year_index]
    residence = residences.residence_in_year(households.household[person], year)
    return Filings(person=person, year=year, residence=residence)
