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


def _return_columns(
    rng: np.random.Generator,
    person: np.ndarray,
    year: np.ndarray,
    residence: np.ndarray,
    people: int,
) -> pl.DataFrame:
    employers = pl.Series(
        [
            f"{word} {trade} {form}".strip()
            for word in _EMPLOYER_WORDS
            for trade in _EMPLOYER_TRADES
            for form in _EMPLOYER_FORMS
        ],
        dtype=pl.String,
    )
    person_employer = rng.integers(0, employers.len(), people)
    # people who move usually change jobs too
    employer = (person_employer[person] + residence * 7) % employers.len()
    base_income = np.exp(rng.normal(10.6, 0.7, people))
    growth = 1.03 ** (year - year.min())
    income = np.round(base_income[person] * growth, -1).astype(np.int64)
    dependents = np.minimum(rng.poisson(0.8, people), 6)[person]
    return pl.DataFrame(
        {
            "employer_name": employers.gather(employer),
            "dependents": pl.Series(dependents).cast(pl.String),
            "income": pl.Series(income).cast(pl.String),
        }
    )


def _impossible_dates(dobs: pl.Series) -> pl.Series:
    """Impossible calendar dates in the year of the real birth date."""
    impossible = ("02-30", "02-31", "04-31", "13-01", "00-15", "06-31")
    return pl.Series(
        [f"{text[:4]}-{impossible[i % len(impossible)]}" for i, text in enumerate(dobs)],
        dtype=pl.String,
    )


def build_master(
    rng: np.random.Generator,
    persons: Persons,
    residences: Residences,
    filings: Filings,
) -> MasterFile:
    rows = filings.person.shape[0]
    per_kind = max(1, round(rows * PROBLEM_RATE_PER_KIND)) if rows >= 100 else 0
    picked = rng.choice(rows, size=min(rows, per_kind * 3), replace=False)
    missing_first, bad_dob, duplicated = (np.sort(part) for part in np.array_split(picked, 3))

    # Order the rows (with the duplicates) by TIN and year on integers before any string is
    # built: sorting millions of strings costs more than building them.
    source = np.concatenate([np.arange(rows), duplicated])
    is_copy = np.r_[np.zeros(rows, dtype=bool), np.ones(duplicated.size, dtype=bool)]
    tin_number = persons.tin.astype(np.int64)
    order = np.lexsort((is_copy, filings.year[source], tin_number[filings.person[source]]))
    source, is_copy = source[order], is_copy[order]
    position = np.empty(rows, dtype=np.int64)
    position[source[~is_copy]] = np.flatnonzero(~is_copy)

    person = filings.person[source]
    year = filings.year[source]
    residence = filings.residence[source]
    people_table = _person_columns(persons)[person]
    returns = _return_columns(rng, person, year, residence, persons.tin.shape[0])
    # an amended return: same TIN and year, different income
    amended_income = returns["income"].cast(pl.Int64) + np.where(is_copy, 500, 0)
    table = pl.concat(
        [
            people_table,
            pl.DataFrame({"tax_year": year.astype(np.int64)}),
            _residence_columns(residences)[residence],
            returns.with_columns(amended_income.cast(pl.String).alias("income")),
        ],
        how="horizontal",
    )
    first_name = table["first_name"].scatter(position[missing_first], "")
    dob = table["dob"]
    dob = dob.scatter(position[bad_dob], _impossible_dates(dob.gather(position[bad_dob])))
    table = table.with_columns(first_name, dob).select(MASTER_COLUMNS)

    problems = pl.concat(
        [
            pl.DataFrame(
                {
                    "tin": persons.tin[filings.person[index]].tolist(),
                    "tax_year": filings.year[index].astype(np.int64),
                    "problem": [problem] * index.size,
                },
                schema={"tin": pl.String, "tax_year": pl.Int64, "problem": pl.String},
            )
            for index, problem in (
                (missing_first, "missing_first_name"),
                (bad_dob, "impossible_dob"),
                (duplicated, "duplicate_tin_tax_year"),
            )
        ]
    ).sort(["tin", "tax_year", "problem"])
    return MasterFile(table=table, problems=problems)
