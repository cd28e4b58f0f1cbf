"""WorldShape: the default shape is the generator's own world, byte for byte; each knob
moves the statistic it is for, in its direction."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from matchgate.errors import InputError
from matchgate.synth import WorldShape, generate_world

FILES = ("master.parquet", "requests.csv", "truth.csv", "letter.toml")


def _world(folder: Path, shape: WorldShape | None) -> pl.DataFrame:
    generate_world(folder, people=2000, requests=50, seed=6, request_mix="census", shape=shape)
    return pl.read_parquet(folder / "master.parquet")


def test_the_default_shape_is_the_unshaped_world(tmp_path: Path) -> None:
    _world(tmp_path / "plain", None)
    _world(tmp_path / "shaped", WorldShape())
    for name in FILES:
        assert (tmp_path / "plain" / name).read_bytes() == (tmp_path / "shaped" / name).read_bytes()


def _itin_share(master: pl.DataFrame) -> float:
    people = master.unique("tin")
    return people.filter(pl.col("tin").str.starts_with("9")).height / people.height


def _shared_addresses(master: pl.DataFrame) -> float:
    latest = master.filter(pl.col("tax_year") == master["tax_year"].max())
    per_address = latest.group_by("street", "zip").agg(pl.col("tin").n_unique().alias("k"))
    return per_address.filter(pl.col("k") >= 2).height / per_address.height


def _top_surname_share(master: pl.DataFrame) -> float:
    people = master.unique("tin")
    return people["last_name"].value_counts(sort=True)["count"][:20].sum() / people.height


def test_each_knob_moves_its_statistic(tmp_path: Path) -> None:
    plain = _world(tmp_path / "plain", None)
    itins = _world(tmp_path / "itin", WorldShape(itin_scale=4.0))
    assert _itin_share(itins) > 2.5 * _itin_share(plain)
    alone = _world(tmp_path / "alone", WorldShape(single_household_share=0.9))
    assert _shared_addresses(alone) < 0.5 * _shared_addresses(plain)
    concentrated = _world(tmp_path / "names", WorldShape(surname_exponent=1.5))
    assert _top_surname_share(concentrated) > 1.5 * _top_surname_share(plain)
    years = _world(tmp_path / "years", WorldShape(tax_years=3, filing_rate_scale=0.6))
    assert sorted(years["tax_year"].unique()) == [2023, 2024, 2025]
    filed = years.height / (years["tin"].n_unique() * 3)
    assert filed < 0.7 * plain.height / (plain["tin"].n_unique() * 7)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("surname_exponent", 0.0),
        ("first_name_exponent", 9.0),
        ("itin_scale", -1.0),
        ("single_household_share", 1.0),
        ("tax_years", 0),
        ("filing_rate_scale", 5.0),
    ],
)
def test_a_shape_out_of_range_is_refused_naming_the_knob(field: str, value: float) -> None:
    with pytest.raises(InputError) as caught:
        WorldShape(**{field: value})  # type: ignore[arg-type]
    assert caught.value.field == field
