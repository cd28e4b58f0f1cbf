"""A master file's shape, read as aggregate statistics only, and the ``WorldShape`` fitted
to it for ``matchgate assess``.

Nothing read here is a record: counts, shares, the chance that two taxpayers share a
surname, the frequency of the k-th most common name (without the name). The world the
assessment runs on is drawn from the census tables with these as targets.
"""

from __future__ import annotations

import math
import shutil
import tempfile
from dataclasses import dataclass, fields
from pathlib import Path

import duckdb
import numpy as np

from matchgate import sql
from matchgate.errors import MasterFileError
from matchgate.synth import WorldShape, generate_world
from matchgate.synth._name_tables import NameTables, load_name_tables

__all__ = ["CURVE_RANKS", "MasterShape", "fit_world_shape", "read_master_shape"]

# Ranks at which the name frequency curves are compared (share of taxpayers holding the
# k-th most common name).
CURVE_RANKS: tuple[int, ...] = (1, 2, 3, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000)
_REQUIRED = ("tin", "tax_year", "first_name", "last_name", "street", "zip")
# The generator's Hispanic share of people (households at 27%, roommates drawn alike) and
# its share of men, for the analytic name-collision curve the pilot worlds then correct.
_HISPANIC_SHARE = 0.27
_MALE_SHARE = 0.5


@dataclass(frozen=True, slots=True)
class MasterShape:
    """Aggregate statistics of one master file (or of a generated world's)."""

    rows: int
    taxpayers: int
    first_tax_year: int
    last_tax_year: int
    filing_rate: float  # (taxpayer, year) filings / (taxpayers x years on file)
    itin_share: float  # taxpayers whose TIN starts with 9
    multi_taxpayer_address_share: float  # latest year: addresses with 2+ TINs / addresses
    surname_collision: float  # chance two taxpayers at different addresses share a surname
    first_name_collision: float
    distinct_surnames: int
    distinct_first_names: int
    surname_curve: tuple[float, ...]  # share of taxpayers at each of CURVE_RANKS
    first_name_curve: tuple[float, ...]

    @property
    def tax_years(self) -> int:
        return self.last_tax_year - self.first_tax_year + 1

    def statistics(self) -> dict[str, float | int]:
        """The scalar statistics, by name (the curves left out)."""
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if f.name not in ("surname_curve", "first_name_curve")
        }


def _relation(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return "read_parquet(?)"
    if suffix in {".csv", ".txt"}:
        return "read_csv(?, all_varchar=true, header=true)"
    raise MasterFileError("the master file must be Parquet (.parquet) or CSV (.csv)", path=path)


def _columns(con: duckdb.DuckDBPyConnection, path: Path, relation: str) -> dict[str, str]:
    try:
        described = sql.fetch_all(
            con, f"DESCRIBE SELECT * FROM {relation}", [str(path)], label="assess.master_columns"
        )
    except duckdb.Error as exc:
        raise MasterFileError(f"cannot read the master file ({exc})", path=path) from exc
    found = {str(row[0]).lower(): str(row[0]) for row in described}
    for name in _REQUIRED:
        if name not in found:
            raise MasterFileError(
                f"required column missing (found: {', '.join(found.values()) or 'none'})",
                path=path,
                field=name,
            )
    return found


# Each check: field, condition on the raw text, what is wrong.
_ROW_CHECKS = (
    ("tin", "NOT regexp_full_match(tin, '[0-9]{9}')", "not a 9-digit TIN"),
    (
        "tax_year",
        "coalesce(try_cast(tax_year AS INTEGER), 0) NOT BETWEEN 1900 AND 2200",
        "not a tax year (a whole number such as 2024)",
    ),
)


def _first_bad_row(
    con: duckdb.DuckDBPyConnection, path: Path, relation: str, found: dict[str, str]
) -> None:
    """An error naming the file, row and field of the first row whose TIN or tax year is
    unusable (the statistics count people by TIN per year)."""
    text = {name: f"coalesce(trim(CAST(\"{found[name]}\" AS VARCHAR)), '')" for name in _REQUIRED}
    select = f"SELECT {text['tin']} AS tin, {text['tax_year']} AS tax_year FROM {relation}"
    condition = " OR ".join(f"({check})" for _field, check, _what in _ROW_CHECKS)
    bad = sql.fetch_int(
        con,
        f"SELECT count(*) FROM ({select}) WHERE {condition}",
        [str(path)],
        label="assess.bad_rows",
    )
    if not bad:
        return
    # Only on the error path: one thread, so row_number() follows the file's order.
    sql.run(con, "SET threads = 1", label="assess.one_thread")
    hit = sql.fetch_one(
        con,
        f"SELECT r, tin, tax_year FROM (SELECT row_number() OVER () AS r, * FROM ({select}))"
        f" WHERE {condition} ORDER BY r LIMIT 1",
        [str(path)],
        label="assess.first_bad_row",
    )
    assert hit is not None
    number, tin, tax_year = int(hit[0]), str(hit[1]), str(hit[2])
    values = {"tin": tin, "tax_year": tax_year}
    for field, check, what in _ROW_CHECKS:
        failing = sql.fetch_one(
            con,
            f"SELECT {check} FROM (SELECT ? AS tin, ? AS tax_year)",
            [tin, tax_year],
            label="assess.bad_field",
        )
        if failing and failing[0]:
            # Row N is the N-th data row: in a CSV file, line N + 1 (line 1 is the header).
            line = f" (line {number + 1} of the file)" if path.suffix.lower() != ".parquet" else ""
            raise MasterFileError(
                f"{values[field]!r} is {what}{line}", path=path, row=number, field=found[field]
            )


def _curve(counts: np.ndarray, total: int) -> tuple[float, ...]:
    ordered = np.sort(counts)[::-1]
    return tuple(
        float(ordered[rank - 1] / total) if rank <= ordered.size and total else 0.0
        for rank in CURVE_RANKS
    )


def read_master_shape(path: Path) -> MasterShape:
    """The statistics of the master file at ``path`` (Parquet or CSV, the columns
    ``matchgate run`` reads); errors name the file, and the row and field when one is bad."""
    path = Path(path)
    if not path.is_file():
        raise MasterFileError("file not found" if not path.exists() else "not a file", path=path)
    relation = _relation(path)
    con = duckdb.connect(":memory:")
    try:
        found = _columns(con, path, relation)
        _first_bad_row(con, path, relation, found)
        text = {
            name: f"upper(trim(coalesce(CAST(\"{found[name]}\" AS VARCHAR), '')))"
            for name in _REQUIRED
        }
        sql.run(
            con,
            f"""CREATE TEMP TABLE m AS SELECT {text["tin"]} AS tin,
                CAST({text["tax_year"]} AS INTEGER) AS y, {text["first_name"]} AS f,
                {text["last_name"]} AS l, {text["street"]} AS s, left({text["zip"]}, 5) AS z
                FROM {relation}""",
            [str(path)],
            label="assess.master",
        )
        return _statistics(con, path)
    except duckdb.Error as exc:
        raise MasterFileError(f"cannot read the master file ({exc})", path=path) from exc
    finally:
        con.close()


def _statistics(con: duckdb.DuckDBPyConnection, path: Path) -> MasterShape:
    row = sql.fetch_one(
        con,
        """SELECT count(*), count(DISTINCT tin), min(y), max(y),
                  count(DISTINCT (tin, y)), count(DISTINCT tin) FILTER (WHERE tin LIKE '9%')
           FROM m""",
        label="assess.counts",
    )
    assert row is not None
    rows, taxpayers = int(row[0]), int(row[1])
    if rows == 0 or taxpayers == 0:
        raise MasterFileError("the master file has no rows: there is nothing to shape", path=path)
    first, last, filings, itins = int(row[2]), int(row[3]), int(row[4]), int(row[5])
    # Each taxpayer's name as of their latest filing.
    sql.run(
        con,
        "CREATE TEMP TABLE people AS SELECT tin, arg_max(f, y) AS f, arg_max(l, y) AS l,"
        " arg_max(s || '|' || z, y) AS a FROM m GROUP BY tin",
        label="assess.people",
    )

    def counts(column: str) -> np.ndarray:
        values = sql.fetch_all(
            con,
            f"SELECT count(*) FROM people WHERE {column} <> '' GROUP BY {column}",
            label="assess.name_counts",
        )
        return np.array([int(v[0]) for v in values], dtype=np.int64)

    def collision(column: str) -> float:
        """Chance two taxpayers at different addresses share the name: housemates (who
        share surnames far more often) left out, so the figure does not shrink with size."""
        pairs = sql.fetch_one(
            con,
            f"""WITH p AS (SELECT * FROM people WHERE {column} <> '')
                SELECT (SELECT coalesce(sum(n * (n - 1)), 0) FROM
                            (SELECT count(*) AS n FROM p GROUP BY {column})),
                       (SELECT coalesce(sum(n * (n - 1)), 0) FROM
                            (SELECT count(*) AS n FROM p GROUP BY {column}, a)),
                       (SELECT count(*) FROM p),
                       (SELECT coalesce(sum(n * (n - 1)), 0) FROM
                            (SELECT count(*) AS n FROM p GROUP BY a))""",
            label="assess.name_collisions",
        )
        assert pairs is not None
        same, same_home, total, housemates = (float(v) for v in pairs)
        apart = total * (total - 1) - housemates
        return (same - same_home) / apart if apart > 0 else 0.0

    surnames, first_names = counts("l"), counts("f")
    shared = sql.fetch_one(
        con,
        """SELECT count(*) FILTER (WHERE k >= 2), count(*) FROM (
               SELECT count(DISTINCT tin) AS k FROM m
               WHERE y = (SELECT max(y) FROM m) AND s <> '' GROUP BY s, z)""",
        label="assess.shared_addresses",
    )
    assert shared is not None
    return MasterShape(
        rows=rows,
        taxpayers=taxpayers,
        first_tax_year=first,
        last_tax_year=last,
        filing_rate=filings / (taxpayers * (last - first + 1)),
        itin_share=itins / taxpayers,
        multi_taxpayer_address_share=int(shared[0]) / int(shared[1]) if shared[1] else 0.0,
        surname_collision=collision("l"),
        first_name_collision=collision("f"),
        distinct_surnames=int(surnames.size),
        distinct_first_names=int(first_names.size),
        surname_curve=_curve(surnames, int(surnames.sum())),
        first_name_curve=_curve(first_names, int(first_names.sum())),
    )


# --- fitting -------------------------------------------------------------------------------


def _weights(cdf: np.ndarray) -> np.ndarray:
    return np.diff(cdf, prepend=0.0).clip(min=0.0)


def _model_collision(tables: NameTables, exponent: float, *, surnames: bool) -> float:
    """Chance two people share a name when the census weights are raised to ``exponent``
    (the generator's mixture of Hispanic and other people, and of men and women)."""

    def tempered(cdf: np.ndarray) -> np.ndarray:
        weights = _weights(cdf) ** exponent
        return weights / weights.sum()

    h = _HISPANIC_SHARE
    if surnames:
        p = h * tempered(tables._surname_cdf_hispanic) + (1 - h) * tempered(
            tables._surname_cdf_other
        )
    else:
        p = np.zeros(tables.first_names.shape[0], dtype=np.float64)
        for (male, hispanic), cdf in tables._first_cdfs.items():
            share = (_MALE_SHARE if male else 1 - _MALE_SHARE) * (h if hispanic else 1 - h)
            p += share * tempered(cdf)
    return float(np.square(p).sum())


def _fit_exponent(tables: NameTables, target: float, correction: float, *, surnames: bool) -> float:
    """The exponent whose (corrected) collision chance is ``target``, by bisection in
    [0.1, 4]; the collision chance grows with the exponent."""
    low, high = 0.1, 4.0
    if target <= 0:
        return low
    for _ in range(50):
        middle = (low + high) / 2
        if _model_collision(tables, middle, surnames=surnames) * correction < target:
            low = middle
        else:
            high = middle
    return round((low + high) / 2, 4)


@dataclass(frozen=True, slots=True)
class FittedShape:
    shape: WorldShape
    pilots: int  # pilot worlds generated to calibrate the fit


_PILOT_SINGLE_SHARES = (0.1, 0.7)


def fit_world_shape(target: MasterShape, *, pilot_people: int = 8000, seed: int = 0) -> FittedShape:
    """The ``WorldShape`` whose worlds should have ``target``'s statistics.

    Two small pilot worlds at the default shape (one-person households at 10% and 70% of
    households) calibrate what the analytic curves leave out: compound surnames (the
    names' collision chance), the household mix (addresses with several taxpayers: the
    inverse of that share is linear in s/(1-s) for a one-person share s), filing and ITIN
    rates. The assessment then measures the world it generated and shows both."""
    tables = load_name_tables()
    pilots: list[MasterShape] = []
    folder = Path(tempfile.mkdtemp(prefix="matchgate-pilot-"))
    try:
        for index, single in enumerate(_PILOT_SINGLE_SHARES):
            world = folder / f"pilot-{index}"
            generate_world(
                world,
                people=pilot_people,
                requests=1,
                seed=seed + index,
                request_mix="census",
                shape=WorldShape(single_household_share=single),
            )
            pilots.append(read_master_shape(world / "master.parquet"))
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    def mean(values: list[float]) -> float:
        return sum(values) / len(values)

    surname_correction = mean([p.surname_collision for p in pilots]) / _model_collision(
        tables, 1.0, surnames=True
    )
    first_correction = mean([p.first_name_collision for p in pilots]) / _model_collision(
        tables, 1.0, surnames=False
    )
    single = _fit_single_share(pilots, target.multi_taxpayer_address_share)
    itin = mean([p.itin_share for p in pilots])
    filing = mean([p.filing_rate for p in pilots])
    shape = WorldShape(
        surname_exponent=_fit_exponent(
            tables, target.surname_collision, surname_correction, surnames=True
        ),
        first_name_exponent=_fit_exponent(
            tables, target.first_name_collision, first_correction, surnames=False
        ),
        itin_scale=round(min(60.0, target.itin_share / itin), 4) if itin else 1.0,
        single_household_share=single,
        tax_years=min(30, max(1, target.tax_years)),
        filing_rate_scale=round(min(2.0, max(0.1, target.filing_rate / filing)), 4)
        if filing
        else 1.0,
    )
    return FittedShape(shape=shape, pilots=len(pilots))


def _fit_single_share(pilots: list[MasterShape], target: float) -> float:
    """The one-person household share giving ``target`` addresses with several taxpayers."""
    odds = [s / (1 - s) for s in _PILOT_SINGLE_SHARES]
    inverse = [1 / max(p.multi_taxpayer_address_share, 1e-9) for p in pilots]
    slope = (inverse[1] - inverse[0]) / (odds[1] - odds[0])
    intercept = inverse[0] - slope * odds[0]
    if target <= 0:
        return 0.95
    x = (1 / target - intercept) / slope if slope > 0 else 0.0
    share = x / (1 + x) if x > 0 else 0.0
    return round(min(0.95, max(0.0, share)), 4) if math.isfinite(share) else 0.0
