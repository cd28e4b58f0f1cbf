"""Chunked worlds: a world larger than one block is generated block by block (``_blocks.py``).

The block size is shrunk here so small worlds exercise every block boundary."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from matchgate.synth import _blocks, generate_world
from matchgate.synth._blocks import Taken, block_sizes, split_evenly
from matchgate.synth._residences import _unique_sites, site_keys
from matchgate.synth._tins import draw_tins, looks_issued

BLOCK = 900
PEOPLE = 3_000  # four blocks of 750


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_blocks, "BLOCK_PEOPLE", BLOCK)


def _digests(folder: Path) -> dict[str, str]:
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.iterdir())
    }


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


@pytest.fixture
def chunked(small_blocks: None, tmp_path: Path):  # type: ignore[no-untyped-def]
    return generate_world(tmp_path / "w", people=PEOPLE, requests=400, seed=11)


def test_block_sizes_cover_everyone_once() -> None:
    for people in (20, 899, 900, 901, 2_700, 3_000, 10_000_000):
        sizes = block_sizes(people, 900)
        assert sum(sizes) == people
        assert max(sizes) <= 900 and max(sizes) - min(sizes) <= 1
    assert block_sizes(500, 900) == [500]


def test_requests_split_in_proportion_to_people() -> None:
    assert split_evenly(400, [750, 750, 750, 750]) == [100, 100, 100, 100]
    assert sum(split_evenly(7, [3, 3, 1])) == 7
    assert split_evenly(1, [5, 5]) == [1, 0]


def test_same_seed_same_files_when_chunked(small_blocks: None, tmp_path: Path) -> None:
    for name in ("a", "b"):
        generate_world(tmp_path / name, people=PEOPLE, requests=300, seed=4, request_mix="noisy")
    assert _digests(tmp_path / "a") == _digests(tmp_path / "b")
    generate_world(tmp_path / "c", people=PEOPLE, requests=300, seed=5, request_mix="noisy")
    assert _digests(tmp_path / "c")["master.parquet"] != _digests(tmp_path / "a")["master.parquet"]


def test_every_person_once_across_block_boundaries(chunked) -> None:  # type: ignore[no-untyped-def]
    master = pl.read_parquet(chunked.master_path)
    assert chunked.people == PEOPLE and master.height == chunked.master_rows
    # every taxpayer filed at least once and TINs are unique across blocks
    assert master["tin"].n_unique() == PEOPLE
    copies = master.group_by("tin", "tax_year").len().filter(pl.col("len") > 1).height
    problems = _csv(chunked.master_problems_path)
    assert copies == sum(p["problem"] == "duplicate_tin_tax_year" for p in problems)
    assert len(problems) == chunked.master_problems > 0


def test_addresses_not_shared_across_blocks(chunked) -> None:  # type: ignore[no-untyped-def]
    # blocks are written one after another, so ranking TINs by their first row gives each
    # person's block: the first 750 TINs are block 0's, and so on
    master = pl.read_parquet(chunked.master_path).with_row_index("row")
    first_rows = master.group_by("tin").agg(pl.col("row").min()).sort("row")
    block_of_tin = first_rows.with_columns(block=pl.int_range(pl.len()) // (PEOPLE // 4))
    assert block_of_tin["block"].n_unique() == 4
    spanning = (
        master.join(block_of_tin.select("tin", "block"), on="tin")
        .group_by("street", "city", "zip")
        .agg(pl.col("block").n_unique().alias("blocks"))
        .filter(pl.col("blocks") > 1)
    )
    assert spanning.height == 0


def test_truth_consistent_with_master(chunked) -> None:  # type: ignore[no-untyped-def]
    master_tins = set(pl.read_parquet(chunked.master_path, columns=["tin"])["tin"].to_list())
    truth = _csv(chunked.truth_path)
    requests = _csv(chunked.requests_path)
    assert [row["request_id"] for row in truth] == [f"REQ-{i:07d}" for i in range(1, 401)]
    assert [row["request_id"] for row in requests] == [row["request_id"] for row in truth]
    for row, request in zip(truth, requests, strict=True):
        tags = set(row["hazards"].split(";"))
        if "not_in_file" in tags:
            assert row["tin"] == ""
            given = request["tin"].replace("-", "")
            if given and "tin_wrong" not in tags:  # the outsider's own TIN: in no block
                assert given not in master_tins
        else:
            assert row["tin"] in master_tins
    assert chunked.not_in_file == sum("not_in_file" in row["hazards"] for row in truth)
    assert chunked.legally_deficient == sum(row["legally_sufficient"] == "false" for row in truth)
    # the letter names every case the rows cite
    letter = chunked.letter_path.read_text(encoding="utf-8")
    assert all(request["case_number"] in letter for request in requests if request["case_number"])


def test_draw_tins_avoids_taken_numbers() -> None:
    is_itin = np.zeros(5_000, dtype=bool)
    first = draw_tins(np.random.default_rng(1), is_itin)
    taken = np.sort(first.astype(np.int64))
    again = draw_tins(np.random.default_rng(1), is_itin, taken)  # same draws, all taken
    assert not set(again) & set(first)
    assert all(looks_issued(tin) for tin in again)


def test_unique_sites_avoid_taken_addresses() -> None:
    city = np.zeros(2_000, dtype=np.int64)
    apartment = np.zeros(2_000, dtype=bool)
    parts = _unique_sites(np.random.default_rng(3), city, apartment)
    taken = np.sort(site_keys(city, *parts))
    again = site_keys(city, *_unique_sites(np.random.default_rng(3), city, apartment, taken))
    assert not np.isin(again, taken).any()


def test_reserved_unissued_tin_is_never_issued_later() -> None:
    taken = Taken()
    taken.add_block(np.array(["123456789"], dtype=object), np.array([1]))
    assert taken.holds_tin("123456789") and not taken.holds_tin("223456789")
    taken.reserve_tin("223456789")
    assert taken.holds_tin("223456789")
    assert 223456789 in taken.tins_and_reserved()
    taken.add_block(np.array(["323456789"], dtype=object), np.array([2]))
    assert set(taken.tins.tolist()) == {123456789, 223456789, 323456789}
