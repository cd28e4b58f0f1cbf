# ruff: noqa: E501  (tables of addresses read best one row per line)
"""The tolerant reading of an address (issue 11, item 3): a filed address is the requested
one written differently when house number, street name (within a small edit distance after
Pub. 28 normalization) and ZIP or city agree, whatever extra building or locality words
the request adds; never another house number, another ZIP and city, or another unit.

The levels are computed by the model's own ADDRESS comparison SQL over the features the
matcher builds (``address_feature_row``), in DuckDB, as Splink computes them.
"""

from __future__ import annotations

import duckdb
import pytest

from address_pairs import pairs_table
from matchgate.decisions import Outcome
from matchgate.match import Candidate, MatchPolicy, RequestFacts, decide
from matchgate.match.comparisons import ADDRESS
from matchgate.match.features import (
    _ADDRESS_HISTORY_LISTS,
    address_feature_row,
    unit_parts,
)
from matchgate.match.rules import _ADDRESS_IN_HISTORY
from matchgate.match.values import AT_REQUESTED_ADDRESS

Address = tuple[str, str, str, str]  # street, city, state, zip


def _lists(addresses: list[Address], *, request: bool) -> dict[str, list[object] | None]:
    rows = [address_feature_row(*address) for address in addresses]
    lists: dict[str, list[object] | None] = {}
    for name, feature in _ADDRESS_HISTORY_LISTS.items():
        values: list[object] = []
        for row in rows:
            value = row[feature]
            if name == "city_locator_keys" and request and row["zip5"]:
                value = None  # a request with a ZIP is not matched by city
            if value and value not in values:
                values.append(value)
        lists[name] = values or None
    return lists


def address_level(filed: list[Address], requested: Address) -> str:
    """The ADDRESS level of a taxpayer who filed from ``filed`` for a request at
    ``requested``: the first level whose SQL holds, as Splink picks it."""
    left, right = _lists(filed, request=False), _lists([requested], request=True)
    table = pairs_table([(left, right)])
    cases = " ".join(
        f"WHEN {level['sql_condition']} THEN '{level['label_for_charts']}'"
        for level in ADDRESS["comparison_levels"]
        if level["sql_condition"] != "ELSE"
    )
    con = duckdb.connect()
    con.register("pairs", table)
    row = con.execute(f"SELECT CASE {cases} ELSE 'different' END FROM pairs").fetchone()
    con.close()
    assert row is not None
    return str(row[0])


HERE = ("ATLANTA", "GA", "30307")


def at(street: str, city: str = "ATLANTA", state: str = "GA", zip_code: str = "30307") -> Address:
    return (street, city, state, zip_code)


@pytest.mark.parametrize(
    ("filed", "requested"),
    [
        # the street type misspelt (read as the type, or one typo from it)
        ("418 HAWTHORN CRESCENT", "418 HAWTHORN XRESCENT"),
        ("12 OAK STREET", "12 OAK SETREET"),
        ("9 27TH LN", "9 27TH LAHE"),
        ("7296 N CACTUS DR", "7296 N CYACTUS CRIVE"),
        # a building or locality name joined or split
        ("77 MANOR HOUSE RD", "77 MANORHOUSE RD"),
        ("77 MANORHOUSE RD", "77 MANOR HOUSE ROAD"),
        ("13978 S COMMERCE DR", "13978 SOUTHCOMMERCE DR"),
        ("19378 W QUEEN ST", "19378 WQUEE ST"),
        # the street type joined on
        ("245 GROVE AVE", "245 GROVEAVENUE"),
        ("5686 10TH CIR", "5686 10THCIRCLE"),
        # a building name appended as a second address line, with or without a comma
        ("12 OAK ST", "12 OAK ST, MANOR HOUSE"),
        ("12 OAK ST", "12 OAK ST SUNSET MANOR"),
        ("12 OAK ST", "12 OAK STREET SUNSET MANOR"),
        ("418 HAWTHORN CRESCENT", "418 HAWTHORNE XRESCENT SUNSET MANOR"),
        ("11465 S MADISON ST UNIT 2", "11465 S MADISON ST, #2, C/O MARIA LOPEZ"),
        ("1217 N FALLS RD", "1217 N FALL ROAD SUNSET MANOR"),
        ("77 MANOR HOUSE RD SUNSET MANOR", "77 MANORHOUSE ROAD"),  # the extra words filed
        # the house number moved
        ("12 OAK ST", "OAK ST 12"),
        ("18593 CAMINO REAL RD APT 1C", "CAMINO REAL Rd. 18593 #1C"),
        ("2494 W 10TH CT UNIT 4", "W 10TH Ct. 2494 UNIT 4"),
        # OCR confusions in the street and the number
        ("7446 VALLEY RD", "7446 VA1LEY ROAD"),
        ("7113 N HARDING ST", "71L3 NORTH HARDING STREET"),
        # a unit on one side only is no contradiction
        ("418 HAWTHORN CRESCENT APT 7", "418 HAWTHORN CRESCENT"),
        ("418 HAWTHORN CRESCENT", "418 HAWTHORN CRESCENT APT 7"),
        ("400 ELM AVE APT 3", "400 ELM AVENUE UNIT 3"),
    ],
)
def test_written_differently_is_the_same_address(filed: str, requested: str) -> None:
    assert address_level([at(filed)], at(requested)) in _ADDRESS_IN_HISTORY


@pytest.mark.parametrize(
    ("filed", "requested"),
    [
        (
            "418 HAWTHORN CRESCENT",
            at("418 HAWTHORN XRESCENT", zip_code="30308"),
        ),  # ZIP mistyped, city right
        (
            "418 HAWTHORN CRESCENT",
            at("418 HAWTHORN CRESCENT SUNSET MANOR", "ATLANTAA", zip_code=""),
        ),  # no ZIP, city typo
    ],
)
def test_zip_or_city_agree(filed: str, requested: Address) -> None:
    assert address_level([at(filed)], requested) == "written_differently"


@pytest.mark.parametrize(
    ("filed", "requested"),
    [
        # another house number, however alike the rest
        ("418 HAWTHORN CRESCENT", at("481 HAWTHORN CRESCENT")),
        ("418 HAWTHORN CRESCENT", at("419 HAWTHORN XRESCENT SUNSET MANOR")),
        ("77 MANOR HOUSE RD", at("79 MANORHOUSE RD")),
        # the same number and street in another ZIP and city
        ("418 HAWTHORN CRESCENT", at("418 HAWTHORN CRESCENT", "DECATUR", "GA", "30030")),
        ("418 HAWTHORN CRESCENT", at("418 HAWTHORN XRESCENT", "DECATUR", "GA", "30030")),
        # the same city name in another state, no ZIP
        ("418 HAWTHORN CRESCENT", at("418 HAWTHORN XRESCENT SUNSET MANOR", "ATLANTA", "TX", "")),
        # other streets one character away
        ("17 12TH ST", at("17 13TH ST")),
        ("17 12TH ST", at("17 13THST")),
        ("3 AVENUE B", at("3 AVENUE C")),
        ("3 AVENUE B", at("3 AVENUE C SUNSET MANOR")),
        ("12 OAK ST", at("12 OAK STREAM CT")),
        ("12 OAK ST", at("12 OAKS ST SUNSET MANOR")),
        # another direction of the same street name (written differently otherwise)
        ("100 N MAIN ST", at("100 S MAIN STREET SUNSET MANOR")),
    ],
)
def test_not_the_same_address(filed: str, requested: Address) -> None:
    level = address_level([at(filed)], requested)
    assert level not in _ADDRESS_IN_HISTORY, level


@pytest.mark.parametrize(
    ("filed", "requested"),
    [
        ("418 HAWTHORN CRESCENT APT 7", "418 HAWTHORN CRESCENT APT 9"),
        ("418 HAWTHORN CRESCENT APT 7", "418 HAWTHORN XRESCENT UNIT 9"),  # written differently too
        ("418 HAWTHORN CRESCENT APT 7", "418 HAWTHORN CRESCENT #9, MANOR HOUSE"),
        ("12 OAK ST BLDG 2 APT 4", "12 OAK ST BLDG 3 APT 4"),
        ("12 OAK ST REAR", "12 OAK ST FRNT"),
    ],
)
def test_another_unit_of_the_building_is_another_address(filed: str, requested: str) -> None:
    level = address_level([at(filed)], at(requested))
    assert level == "unit_differs"
    assert level not in _ADDRESS_IN_HISTORY
    assert level in AT_REQUESTED_ADDRESS  # a namesake in the building still counts


def test_a_unit_filed_in_some_year_is_enough() -> None:
    history = [at("418 HAWTHORN CRESCENT APT 7"), at("418 HAWTHORN CRESCENT APT 9")]
    assert address_level(history, at("418 HAWTHORN XRESCENT APT 9")) in _ADDRESS_IN_HISTORY


@pytest.mark.parametrize(
    ("unit", "parts"),
    [
        ("APT 4", ("4", None, None, None)),
        ("UNIT 4", ("4", None, None, None)),
        ("# 4B LOT 22", ("4B", None, None, "22")),
        ("BLDG 2 APT 4", ("4", "2", None, None)),
        ("BLDG B", (None, "B", None, None)),
        ("REAR", (None, None, "REAR", None)),
        ("LOT 22", (None, None, None, "22")),
        ("TRLR 14", (None, None, None, "14")),
        ("", (None, None, None, None)),
    ],
)
def test_unit_parts(unit: str, parts: tuple[str | None, ...]) -> None:
    assert unit_parts(unit) == parts


def _candidate(tin: str, weight: float, address: str, **levels: str) -> Candidate:
    base = {"first_name": "exact", "surname": "exact", "dob": "missing", "address": address}
    base.update(levels)
    return Candidate(tin, 0.99999, weight, base)


def test_written_differently_discloses_alone() -> None:
    decision = decide([_candidate("A", 40.0, "written_differently")], RequestFacts(), MatchPolicy())
    assert decision.outcome is Outcome.DISCLOSED
    assert "address_written_differently" in {r.code for r in decision.reasons}


def test_unit_differs_is_refused() -> None:
    decision = decide([_candidate("A", 40.0, "unit_differs")], RequestFacts(), MatchPolicy())
    assert decision.outcome is Outcome.NO_MATCH
    assert decision.decided_by == "address_not_in_history"


@pytest.mark.parametrize("namesake_level", ["written_differently", "unit_differs"])
def test_a_namesake_at_the_address_written_differently_is_a_household_namesake(
    namesake_level: str,
) -> None:
    """Far behind in weight, the namesake still counts: the tolerance must not hide him."""
    decision = decide(
        [_candidate("A", 40.0, "in_history"), _candidate("B", 5.0, namesake_level)],
        RequestFacts(),
        MatchPolicy(),
    )
    assert decision.outcome is Outcome.AMBIGUOUS
    assert decision.decided_by == "household_namesake"


@pytest.mark.parametrize(
    ("filed", "requested"),
    [
        # recall3: the street type misspelt twice (a type word of 5+ letters, its first
        # letter right), cut short, or joined on misspelt
        ("13616 N SUNRISE ST APT 104", "13616 N SUNRISE SOTRETE APT 104"),
        ("4083 9TH BLVD", "4083 9TH BOOULEAVRD"),
        ("7011 2ND RD", "7011 2ND R"),
        ("13356 HAYES CT APT 203", "13356 HAYES C APT 203"),
        ("19551 7TH LN APT 3A", "19551 7TH L, APT 3A"),
        ("6300 N VISTA CIR", "6300 N VISTAXircle"),
        ("12266 S ELM CT APT 1C", "12266 S ELMCOOURT APT 1C"),
        # a mobile home's lot or trailer against a filed flat: no contradiction
        ("1672 HIGHLAND RD APT 303", "1672 HIGHLAND ROAD LOT 22"),
        ("15695 4TH ST UNIT 2", "15695 4TH ST TRLR 14"),
    ],
)
def test_type_misspelt_cut_short_or_lot(filed: str, requested: str) -> None:
    assert address_level([at(filed)], at(requested)) in _ADDRESS_IN_HISTORY


@pytest.mark.parametrize(
    ("filed", "requested"),
    [
        ("13616 N SUNRISE ST APT 104", "13661 N SUNRISE SOTRETE APT 104"),  # another number
        ("12 OAK CRK", "12 OAK CREST SUNSET MANOR"),  # CREST is a type, not CREEK misspelt
        ("7011 2ND RD", "7011 3RD R"),  # another street cut short
        ("7011 2ND RD", "7012 2ND R"),
        ("6300 N VISTA CIR", "6300 N VISTOXIRCLE"),  # the name itself misspelt too
        ("900 PALM DR LOT 23", "900 PALM DRIVE LOT 22"),  # another lot
        ("900 PALM DR LOT 23", "900 PALM DR TRLR 22"),
        ("1672 HIGHLAND RD APT 303", "1672 HIGHLAND ROAD APT 304 LOT 22"),  # another flat
    ],
)
def test_type_misspelt_cut_short_or_lot_not_the_address(filed: str, requested: str) -> None:
    assert address_level([at(filed)], at(requested)) not in _ADDRESS_IN_HISTORY
