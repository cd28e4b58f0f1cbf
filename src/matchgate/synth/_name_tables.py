"""The census name-frequency tables and draws from them.

Surnames are drawn in proportion to ``count x share_hispanic`` for Hispanic people and
``count x (1 - share_hispanic)`` for everyone else, first names additionally by the share of
men or women holding them. That reproduces the concentration the courts warned about (26
surnames cover about a quarter of Hispanic people: docs/SOURCES.md, "Names: the census tables")
without inventing a distribution.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources

import numpy as np
import polars as pl

__all__ = ["NameTables", "load_name_tables"]


def _cumulative(weights: np.ndarray) -> np.ndarray:
    cumulative = np.cumsum(weights, dtype=np.float64)
    return cumulative / cumulative[-1]


def _draw(rng: np.random.Generator, cumulative: np.ndarray, size: int) -> np.ndarray:
    # searchsorted on a precomputed CDF: one pass over the table per call, not per draw
    return np.searchsorted(cumulative, rng.random(size), side="right").astype(np.int32)


@dataclass(frozen=True)
class NameTables:
    surnames: np.ndarray  # str objects, upper case, census spelling
    surname_is_common: np.ndarray  # bool: top-26 Hispanic or top-50 US surname
    first_names: np.ndarray  # str objects
    _surname_cdf_hispanic: np.ndarray
    _surname_cdf_other: np.ndarray
    _first_cdfs: dict[tuple[bool, bool], np.ndarray]  # (male, hispanic) -> CDF

    def draw_surnames(self, rng: np.random.Generator, hispanic: np.ndarray) -> np.ndarray:
        """Surname indices, one per entry of the boolean ``hispanic`` array."""
        result = np.empty(hispanic.shape[0], dtype=np.int32)
        for flag, cdf in ((True, self._surname_cdf_hispanic), (False, self._surname_cdf_other)):
            where = np.flatnonzero(hispanic == flag)
            result[where] = _draw(rng, cdf, where.size)
        return result

    def draw_first_names(
        self, rng: np.random.Generator, male: np.ndarray, hispanic: np.ndarray
    ) -> np.ndarray:
        """First-name indices for people of the given sex and ethnicity."""
        result = np.empty(male.shape[0], dtype=np.int32)
        for (is_male, is_hispanic), cdf in self._first_cdfs.items():
            where = np.flatnonzero((male == is_male) & (hispanic == is_hispanic))
            result[where] = _draw(rng, cdf, where.size)
        return result

    def tempered(self, surname_exponent: float, first_name_exponent: float) -> NameTables:
        """The same names drawn with each weight raised to a power (1, 1: these tables)."""
        if surname_exponent == 1.0 and first_name_exponent == 1.0:
            return self
        return replace(
            self,
            _surname_cdf_hispanic=_tempered(self._surname_cdf_hispanic, surname_exponent),
            _surname_cdf_other=_tempered(self._surname_cdf_other, surname_exponent),
            _first_cdfs={
                key: _tempered(cdf, first_name_exponent) for key, cdf in self._first_cdfs.items()
            },
        )


def _tempered(cdf: np.ndarray, exponent: float) -> np.ndarray:
    weights = np.diff(cdf, prepend=0.0).clip(min=0.0)
    return _cumulative(weights**exponent)


def _read_table(name: str) -> pl.DataFrame:
    with resources.files("matchgate.synth.data").joinpath(name).open("rb") as stream:
        return pl.read_parquet(stream)


@lru_cache(maxsize=1)
def load_name_tables() -> NameTables:
    surnames = _read_table("surnames.parquet")
    first_names = _read_table("first_names.parquet")
    surname_count = surnames["count"].to_numpy().astype(np.float64)
    surname_hispanic = surnames["share_hispanic"].to_numpy().astype(np.float64)
    first_count = first_names["count"].to_numpy().astype(np.float64)
    first_male = first_names["share_male"].to_numpy().astype(np.float64)
    first_hispanic = first_names["share_hispanic"].to_numpy().astype(np.float64)
    first_cdfs = {}
    for male in (True, False):
        sex_share = first_male if male else 1.0 - first_male
        for hispanic in (True, False):
            ethnic_share = first_hispanic if hispanic else 1.0 - first_hispanic
            first_cdfs[(male, hispanic)] = _cumulative(first_count * sex_share * ethnic_share)
    return NameTables(
        surnames=np.array(surnames["name"].to_list(), dtype=object),
        surname_is_common=surnames["is_common"].to_numpy(),
        first_names=np.array(first_names["name"].to_list(), dtype=object),
        _surname_cdf_hispanic=_cumulative(surname_count * surname_hispanic),
        _surname_cdf_other=_cumulative(surname_count * (1.0 - surname_hispanic)),
        _first_cdfs=first_cdfs,
    )
