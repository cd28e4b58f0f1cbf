"""The heavy files ``tests/conftest.py`` runs first are real files, each named once."""

from __future__ import annotations

from pathlib import Path

from suite_order import HEAVY_FIRST, heavy_rank

ROOT = Path(__file__).resolve().parents[2]


def test_every_heavy_file_exists_and_is_named_once() -> None:
    missing = [path for path in HEAVY_FIRST if not (ROOT / path).is_file()]
    assert missing == [], "renamed or removed: update tests/suite_order.py"
    assert len(set(HEAVY_FIRST)) == len(HEAVY_FIRST)


def test_heavy_files_go_first_in_their_order_and_the_rest_after() -> None:
    ids = [
        "tests/core/test_a.py::test_x",
        f"{HEAVY_FIRST[1]}::test_y[1]",
        f"{HEAVY_FIRST[0]}::test_z",
        "tests/core/test_b.py::test_w",
        f"{HEAVY_FIRST[1]}::test_y[2]",
    ]
    assert sorted(ids, key=heavy_rank) == [ids[2], ids[1], ids[4], ids[0], ids[3]]
