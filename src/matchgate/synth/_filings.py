"""Who filed a return in which tax year, and from which residence.

Most people file nearly every year, some only now and then, nobody before 17; everyone in the
master file filed at least once. A filing's residence is where the household lived that year,
so a mover's older returns carry older addresses.

A household's address history is shared; each member's filings are not. Every person draws
each tax year on their own, so a son may have filed nothing from the home he shares with his
father while the father did, and the two may share only an *earlier* filed address: the
namesake hazard of issue 11 (``_hazards.Namesakes``), which requests then meet because they
carry the address the person lived at, not necessarily one they filed from (``_subjects.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matchgate.synth._households import Households
from matchgate.synth._persons import Persons
from matchgate.synth._residences import Residences

__all__ = ["Filings", "draw_filings"]

# Mean filing rate: 0.8 x 0.93 + 0.2 x 0.5 = 84.4% of eligible years, the "~85% of years" of
# the census-realistic held-out world in issue 11. The mixture rather than one rate because
# non-filing is concentrated: most taxpayers file every year they have to, while a minority
# (low income under the filing threshold, irregular work) file only some years.
REGULAR_FILER_SHARE = 0.8
REGULAR_FILING_RATE = 0.93
OCCASIONAL_FILING_RATE = 0.5
MEAN_FILING_RATE = (
    REGULAR_FILER_SHARE * REGULAR_FILING_RATE + (1 - REGULAR_FILER_SHARE) * OCCASIONAL_FILING_RATE
)
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
    *,
    rate_scale: float = 1.0,
) -> Filings:
    n = persons.dob.shape[0]
    year_end = np.array([np.datetime64(f"{y}-12-31", "D") for y in years])
    old_enough = (year_end[None, :] - persons.dob[:, None]).astype(np.int64) >= (
        MINIMUM_FILING_AGE_DAYS
    )
    rate = np.where(
        rng.random(n) < REGULAR_FILER_SHARE, REGULAR_FILING_RATE, OCCASIONAL_FILING_RATE
    )
    if rate_scale != 1.0:
        rate = np.minimum(rate * rate_scale, 1.0)
    # one independent draw per person and year: household members file in different years
    files = old_enough & (rng.random((n, years.size)) < rate[:, None])
    # everyone in the master file filed at least once: fall back to the latest eligible year
    never = np.flatnonzero(~files.any(axis=1))
    last_eligible = years.size - 1 - np.argmax(old_enough[never, ::-1], axis=1)
    files[never, last_eligible] = True
    person, year_index = np.nonzero(files)
    year = years[year_index]
    residence = residences.residence_in_year(households.household[person], year)
    return Filings(person=person, year=year, residence=residence)
