"""The taxpayer master file: one row per taxpayer per filed tax year, plus planted data problems.

Besides identity columns the file carries return information that must never be disclosed
(employer, dependents, income), so a disclosure stage that leaks a column is caught by tests.
A few rows are broken on purpose (missing first name, impossible date of birth, a duplicate
TIN and tax year) and listed in ``master_problems.csv`` so master-file validation is exercised.

The file is written in slices of rows so memory stays flat however large the block: only
integer index arrays span a block's rows; strings exist for one slice at a time. A chunked
world appends its blocks to one file (``MasterWriter``), each block ordered by TIN and year.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow.parquet as pq

from matchgate.synth._filings import Filings
from matchgate.synth._persons import Persons
from matchgate.synth._residences import Residences

__all__ = ["MASTER_COLUMNS", "MasterSummary", "MasterWriter", "write_master"]

MASTER_COLUMNS = (
    "tin", "tin_type", "tax_year", "first_name", "middle_name", "last_name", "suffix", "dob",
    "street", "city", "state", "zip", "employer_name", "dependents", "income",
)  # fmt: skip
PROBLEM_RATE_PER_KIND = 0.0005  # three kinds: about 0.15% of rows in all
ROWS_PER_SLICE = 500_000
AMENDED_INCOME_DIFFERENCE = 500
_IMPOSSIBLE_MONTH_DAYS = ("02-30", "02-31", "04-31", "13-01", "00-15", "06-31")

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
class MasterSummary:
    rows: int
    problems: pl.DataFrame  # tin, tax_year, problem


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


@dataclass(frozen=True)
class _ReturnFacts:
    """Per-person draws behind the columns that must never be disclosed."""

    employers: pl.Series
    employer: np.ndarray
    base_income: np.ndarray
    dependents: np.ndarray
    first_year: int

    @classmethod
    def draw(cls, rng: np.random.Generator, people: int, first_year: int) -> _ReturnFacts:
        employers = pl.Series(
            [
                f"{word} {trade} {form}".strip()
                for word in _EMPLOYER_WORDS
                for trade in _EMPLOYER_TRADES
                for form in _EMPLOYER_FORMS
            ],
            dtype=pl.String,
        )
        return cls(
            employers=employers,
            employer=rng.integers(0, employers.len(), people),
            base_income=np.exp(rng.normal(10.6, 0.7, people)),
            dependents=np.minimum(rng.poisson(0.8, people), 6),
            first_year=first_year,
        )

    def columns(
        self, person: np.ndarray, year: np.ndarray, residence: np.ndarray, amended: np.ndarray
    ) -> pl.DataFrame:
        # people who move usually change jobs too
        employer = (self.employer[person] + residence * 7) % self.employers.len()
        growth = 1.03 ** (year - self.first_year)
        income = np.round(self.base_income[person] * growth, -1).astype(np.int64)
        income += np.where(amended, AMENDED_INCOME_DIFFERENCE, 0)
        return pl.DataFrame(
            {
                "employer_name": self.employers.gather(employer),
                "dependents": pl.Series(self.dependents[person]).cast(pl.String),
                "income": pl.Series(income).cast(pl.String),
            }
        )


def _impossible_dates(dobs: pl.Series, rows: np.ndarray) -> pl.Series:
    """Impossible calendar dates in the year of the real birth date."""
    patterns = _IMPOSSIBLE_MONTH_DAYS
    return pl.Series(
        [
            f"{text[:4]}-{patterns[row % len(patterns)]}"
            for text, row in zip(dobs, rows, strict=True)
        ],
        dtype=pl.String,
    )


def _problem_table(
    persons: Persons, filings: Filings, planted: dict[str, np.ndarray]
) -> pl.DataFrame:
    return pl.concat(
        [
            pl.DataFrame(
                {
                    "tin": persons.tin[filings.person[rows]].tolist(),
                    "tax_year": filings.year[rows].astype(np.int64),
                    "problem": [problem] * rows.size,
                },
                schema={"tin": pl.String, "tax_year": pl.Int64, "problem": pl.String},
            )
            for problem, rows in planted.items()
        ]
    ).sort(["tin", "tax_year", "problem"])


class MasterWriter:
    """One master file written block by block (a chunked world's blocks, or one whole world);
    each block is ordered by TIN and year on its own."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows = 0
        self._writer: pq.ParquetWriter | None = None
        self._problems: list[pl.DataFrame] = []

    def __enter__(self) -> MasterWriter:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def summary(self) -> MasterSummary:
        problems = pl.concat(self._problems) if self._problems else _problem_table_empty()
        return MasterSummary(rows=self.rows, problems=problems.sort(["tin", "tax_year", "problem"]))

    def write_block(
        self,
        rng: np.random.Generator,
        persons: Persons,
        residences: Residences,
        filings: Filings,
    ) -> None:
        filed = filings.person.shape[0]
        per_kind = max(1, round(filed * PROBLEM_RATE_PER_KIND)) if filed >= 100 else 0
        picked = rng.choice(filed, size=min(filed, per_kind * 3), replace=False)
        missing_first, bad_dob, duplicated = (np.sort(part) for part in np.array_split(picked, 3))

        # Order every row, duplicates included, by TIN and year on integers: sorting millions
        # of strings costs more than building them.
        source = np.concatenate([np.arange(filed), duplicated])
        is_copy = np.r_[np.zeros(filed, dtype=bool), np.ones(duplicated.size, dtype=bool)]
        tin_number = persons.tin.astype(np.int64)
        order = np.lexsort((is_copy, filings.year[source], tin_number[filings.person[source]]))
        source, is_copy = source[order], is_copy[order]
        blank_first = np.isin(source, missing_first) & ~is_copy
        impossible_dob = np.isin(source, bad_dob) & ~is_copy

        person_columns = _person_columns(persons)
        residence_columns = _residence_columns(residences)
        facts = _ReturnFacts.draw(rng, persons.tin.shape[0], int(filings.year.min()))
        for start in range(0, source.size, ROWS_PER_SLICE):
            rows = source[start : start + ROWS_PER_SLICE]
            person, year, residence = (
                filings.person[rows],
                filings.year[rows],
                filings.residence[rows],
            )
            table = pl.concat(
                [
                    person_columns[person],
                    pl.DataFrame({"tax_year": year.astype(np.int64)}),
                    residence_columns[residence],
                    facts.columns(person, year, residence, is_copy[start : start + rows.size]),
                ],
                how="horizontal",
            )
            blank = np.flatnonzero(blank_first[start : start + rows.size])
            broken = np.flatnonzero(impossible_dob[start : start + rows.size])
            dob = table["dob"]
            table = table.with_columns(
                table["first_name"].scatter(blank, ""),
                dob.scatter(broken, _impossible_dates(dob.gather(broken), rows[broken])),
            ).select(MASTER_COLUMNS)
            arrow = table.to_arrow()
            if self._writer is None:
                self._writer = pq.ParquetWriter(self.path, arrow.schema, compression="zstd")
            self._writer.write_table(arrow)
        planted = {
            "missing_first_name": missing_first,
            "impossible_dob": bad_dob,
            "duplicate_tin_tax_year": duplicated,
        }
        self.rows += int(source.size)
        self._problems.append(_problem_table(persons, filings, planted))


def _problem_table_empty() -> pl.DataFrame:
    return pl.DataFrame(schema={"tin": pl.String, "tax_year": pl.Int64, "problem": pl.String})


def write_master(
    path: Path,
    rng: np.random.Generator,
    persons: Persons,
    residences: Residences,
    filings: Filings,
) -> MasterSummary:
    with MasterWriter(path) as writer:
        writer.write_block(rng, persons, residences, filings)
    return writer.summary()
