"""The taxpayer master file: one row per taxpayer per filed tax year, plus planted data problems.

Besides identity columns the file carries return information that must never be disclosed
(employer, dependents, income), so a disclosure stage that leaks a column is caught by tests.
A few rows are broken on purpose (missing first name, impossible date of birth, a duplicate
TIN and tax year) and listed in ``master_problems.csv`` so master-file validation is exercised.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from matchgate.synth._households import Households
from matchgate.synth._persons import Persons
from matchgate.synth._residences import Residences

__all__ = ["MASTER_COLUMNS", "Filings", "MasterFile", "build_master", "draw_filings"]

MASTER_COLUMNS = (
    "tin", "tin_type", "tax_year", "first_name", "middle_name", "last_name", "suffix", "dob",
    "street", "city", "state", "zip", "employer_name", "dependents", "income",
)  # fmt: skip
REGULAR_FILER_SHARE = 0.8
REGULAR_FILING_RATE = 0.93
OCCASIONAL_FILING_RATE = 0.5
MINIMUM_FILING_AGE_DAYS = int(17 * 365.25)
PROBLEM_RATE_PER_KIND = 0.0005  # three kinds: about 0.15% of rows in all

_EMPLOYER_WORDS = (
    "ACME", "SUMMIT", "PIONEER", "RIVERSIDE", "EAGLE", "LIBERTY", "PACIFIC", "ATLANTIC",
    "MIDWEST", "SUNBELT", "FRONTIER", "KEYSTONE", "HERITAGE", "CAPITAL", "NORTHSTAR", "GOLDEN",
    "BLUE RIDGE", "LONE STAR", "EVERGREEN", "HARBOR", "PRAIRIE", "CANYON", "METRO", "UNITED",
)  # fmt: skip
_EMPLOYER_TRADES = (
    "LOGISTICS", "CONSTRUCTION", "FOODS", "HEALTH SERVICES", "ROOFING", "LANDSCAPING",
    "MANUFACTURING", "STAFFING", "RETAIL", "AUTO REPAIR", "CLEANING SERVICES", "TRUCKING",
    "DAIRY", "HOSPITALITY", "ELECTRIC", "PLUMBING", "PACKING", "SCHOOL DISTRICT",
)  # fmt: skip
_EMPLOYER_FORMS = ("LLC", "INC", "CO", "CORP", "LP", "")


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


@dataclass(frozen=True)
class MasterFile:
    table: pl.DataFrame
    problems: pl.DataFrame  # tin, tax_year, problem


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


def _person_columns(persons: Persons) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "tin": persons.tin.tolist(),
            "tin_type": np.where(persons.is_itin, "ITIN", "SSN").tolist(),
            "first_name": persons.filed_first_name.tolist(),
            "middle_name": persons.filed_middle_name.tolist(),
            "last_name": persons.filed_last_name.tolist(),
            "suffix": persons.filed_suffix.tolist(),
            "dob": persons.dob.astype(str).tolist(),
        }
    )


def _residence_columns(residences: Residences) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "street": residences.street_line.tolist(),
            "city": residences.city.tolist(),
            "state": residences.state.tolist(),
            "zip": residences.zip_code.tolist(),
        }
    )


def _return_columns(rng: np.random.Generator, filings: Filings, people: int) -> pl.DataFrame:
    employers = np.array(
        [
            f"{word} {trade} {form}".strip()
            for word in _EMPLOYER_WORDS
            for trade in _EMPLOYER_TRADES
            for form in _EMPLOYER_FORMS
        ],
        dtype=object,
    )
    person_employer = rng.integers(0, employers.size, people)
    # people who move usually change jobs too
    employer = (person_employer[filings.person] + filings.residence * 7) % employers.size
    base_income = np.exp(rng.normal(10.6, 0.7, people))
    growth = 1.03 ** (filings.year - filings.year.min())
    income = np.round(base_income[filings.person] * growth, -1).astype(np.int64)
    dependents = np.minimum(rng.poisson(0.8, people), 6)[filings.person]
    return pl.DataFrame(
        {
            "employer_name": employers[employer].tolist(),
            "dependents": dependents.astype(str).tolist(),
            "income": income.astype(str).tolist(),
        }
    )


def _plant_problems(rng: np.random.Generator, table: pl.DataFrame) -> MasterFile:
    rows = table.height
    per_kind = max(1, round(rows * PROBLEM_RATE_PER_KIND)) if rows >= 100 else 0
    picked = rng.choice(rows, size=min(rows, per_kind * 3), replace=False)
    missing_first, bad_dob, duplicate = np.array_split(picked, 3)
    first = table["first_name"].to_numpy().astype(object)
    first[missing_first] = ""
    dob = table["dob"].to_numpy().astype(object)
    # impossible calendar dates in the year of the real birth date
    impossible = np.array(["02-30", "02-31", "04-31", "13-01", "00-15", "06-31"], dtype=object)
    dob[bad_dob] = [
        f"{text[:4]}-{impossible[i % impossible.size]}" for i, text in enumerate(dob[bad_dob])
    ]
    fixed = table.with_columns(
        pl.Series("first_name", first.tolist(), dtype=pl.String),
        pl.Series("dob", dob.tolist(), dtype=pl.String),
    )
    # a second return for the same TIN and year, as an amended return with another income
    copies = fixed[np.sort(duplicate)].with_columns(
        (pl.col("income").cast(pl.Int64) + 500).cast(pl.String).alias("income")
    )
    master = pl.concat([fixed, copies]).sort(["tin", "tax_year"], maintain_order=True)
    problems = pl.concat(
        [
            fixed[np.sort(index)]
            .select("tin", "tax_year")
            .with_columns(pl.lit(problem).alias("problem"))
            for index, problem in (
                (missing_first, "missing_first_name"),
                (bad_dob, "impossible_dob"),
                (duplicate, "duplicate_tin_tax_year"),
            )
        ]
    ).sort(["tin", "tax_year", "problem"])
    return MasterFile(table=master, problems=problems)


def build_master(
    rng: np.random.Generator,
    persons: Persons,
    residences: Residences,
    filings: Filings,
) -> MasterFile:
    people_table = _person_columns(persons)[filings.person]
    residence_table = _residence_columns(residences)[filings.residence]
    table = pl.concat(
        [
            people_table.select("tin", "tin_type"),
            pl.DataFrame({"tax_year": filings.year.astype(np.int64)}),
            people_table.select(pl.exclude("tin", "tin_type")),
            residence_table,
            _return_columns(rng, filings, persons.dob.shape[0]),
        ],
        how="horizontal",
    ).select(MASTER_COLUMNS)
    return _plant_problems(rng, table)
