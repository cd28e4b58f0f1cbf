"""``address:street_spelling`` asks for a house number in common before its edit distances
(a speed-up only): on every pair it holds exactly where the unguarded level holds, at each
edge of the guard. The request side is built as the matcher builds it
(``request_feature_row``: no city locator when the ZIP is given, the OCR reading of a lettered
number in ``places``/``house_numbers`` only); the filed side as ``taxpayer_features`` holds a
filing history (one list entry per distinct value)."""

from __future__ import annotations

import duckdb
import pytest

from address_pairs import Address, filed_lists, pairs_table, requested_lists
from matchgate.match.comparisons import (
    _NUMBER_IN_COMMON,
    _STREET_SPELLING,
    ADDRESS,
    STREET_SPELLING_UNGUARDED,
)


def holds(condition: str, filed: list[Address], requested: Address) -> bool:
    """Whether ``condition`` holds for the pair (NULL, as in a level's CASE, does not)."""
    table = pairs_table([(filed_lists(filed), requested_lists(requested))])
    con = duckdb.connect()
    con.register("pairs", table)
    row = con.execute(
        f"SELECT CASE WHEN {condition} THEN TRUE ELSE FALSE END FROM pairs"
    ).fetchone()
    con.close()
    assert row is not None
    return bool(row[0])


def at(street: str, zip_code: str = "30307", city: str = "ATLANTA", state: str = "GA") -> Address:
    return (street, city, state, zip_code)


# (filed history, request, whether the level holds)
CASES: list[tuple[list[Address], Address, bool]] = [
    # a number in common, same ZIP, a typo in the street name
    ([at("123 HARRISON ST")], at("123 HARISON ST"), True),
    ([at("9 OAK ST"), at("123 HARRISON ST")], at("123 HARISON ST"), True),
    # no number in common
    ([at("125 HARRISON ST")], at("123 HARISON ST"), False),
    # the number in common, another ZIP (the request gives one: no city match)
    ([at("123 HARRISON ST")], at("123 HARISON ST", "30308"), False),
    # the number in common in another address of the history only
    ([at("123 OAK ST"), at("9 HARRISON ST")], at("123 HARISON ST"), False),
    # a request without a ZIP: number, city and state, by the city locator only
    ([at("123 HARRISON ST")], at("123 HARISON ST", ""), True),
    ([at("123 HARRISON ST")], at("123 HARISON ST", "", "DECATUR"), False),
    ([at("125 HARRISON ST")], at("123 HARISON ST", ""), False),
    # the OCR reading (161B read as 1618) adds a house number, not a locator
    ([at("1618 HARRISON ST")], at("161B HARISON ST"), False),
    ([at("161B HARRISON ST")], at("161B HARISON ST"), True),
    ([at("1618 HARRISON ST")], at("161B HARISON ST", ""), False),
    # an institution's address (kind institution) has a locator but no place, so no house
    # number: its street name's typo is read by the locators alone
    ([at("500 HARRISON ST COUNTY JAIL")], at("500 HARISON ST COUNTY JAIL"), True),
    ([at("500 HARRISON ST COUNTY JAIL")], at("500 HARISON ST COUNTY JAIL", ""), True),
    # a box has a locator but no place either; another route is another box, never a typo
    # (issue 11), nor is another numbered road
    ([at("RR 2 BOX 15")], at("RR 3 BOX 15"), False),
    ([at("RR 2 BOX 15")], at("RR 3 BOX 15", ""), False),
    ([at("RR 2 BOX 15")], at("RR 3 BOX 16"), False),
    ([at("15 COUNTY RD 12")], at("15 COUNTY RD 13"), False),
    # nothing to compare on one side
    ([at("123 HARRISON ST")], ("", "", "", ""), False),
    ([("", "", "", "")], at("123 HARISON ST"), False),
]


@pytest.mark.parametrize(("filed", "requested", "expected"), CASES)
def test_the_guarded_level_holds_where_the_unguarded_one_does(
    filed: list[Address], requested: Address, expected: bool
) -> None:
    assert holds(STREET_SPELLING_UNGUARDED, filed, requested) is expected
    assert holds(_STREET_SPELLING, filed, requested) is expected


def test_the_model_reads_the_guarded_level() -> None:
    levels = {level["label_for_charts"]: level for level in ADDRESS["comparison_levels"]}
    assert levels["street_spelling"]["sql_condition"] == _STREET_SPELLING


@pytest.mark.parametrize(
    "wrong_guard",
    [
        "list_has_any(zips_l, zips_r)",  # the city-only request has no ZIP
        _NUMBER_IN_COMMON,  # an institution's address has no house number
    ],
)
def test_the_cases_tell_a_wrong_guard(wrong_guard: str) -> None:
    guarded = f"(CASE WHEN {wrong_guard} THEN ({STREET_SPELLING_UNGUARDED}) ELSE FALSE END)"
    assert any(
        holds(guarded, filed, requested) is not expected for filed, requested, expected in CASES
    )
