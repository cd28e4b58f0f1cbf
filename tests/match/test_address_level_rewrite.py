# ruff: noqa: E501  (tables of addresses read best one row per line)
"""``address:unit_differs`` and ``address:written_differently`` were rewritten to cost less
(issue 12: CASE instead of AND/OR inside the lambdas, cheap conditions first, the filings
from the building found once): a speed-up only. On crafted pairs that reach every branch of
the street-name test (a form in common, names one or two edits apart, too short, lengths too
far apart, other digits, a one-letter word, extra words, a misspelt or cut-short type, a type
joined on misspelt; the ZIP, the city, a city typo; directions; every kind of unit) the old
and the new SQL agree: each level on every pair, and each part of the test on every pair of
places. The request side is built as the matcher builds it (``request_feature_row``, with
the OCR reading of a lettered number), the filed side as ``taxpayer_features`` holds it."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

import duckdb
import pyarrow as pa
import pytest

from address_pairs import Address, filed_lists, pairs_table, requested_lists
from matchgate.match import comparisons as new
from matchgate.match import comparisons_before as old
from matchgate.match.features import (
    _PLACE,
)


def at(street: str, city: str = "ATLANTA", state: str = "GA", zip_code: str = "30307") -> Address:
    return (street, city, state, zip_code)


# Pairs of streets (filed, requested), each also compared the other way round.
STREETS = [
    ("418 HAWTHORN CRESCENT", "418 HAWTHORN XRESCENT"),
    ("12 OAK STREET", "12 OAK SETREET"),
    ("9 27TH LN", "9 27TH LAHE"),
    ("7296 N CACTUS DR", "7296 N CYACTUS CRIVE"),
    ("77 MANOR HOUSE RD", "77 MANORHOUSE RD"),
    ("13978 S COMMERCE DR", "13978 SOUTHCOMMERCE DR"),
    ("19378 W QUEEN ST", "19378 WQUEE ST"),
    ("245 GROVE AVE", "245 GROVEAVENUE"),
    ("5686 10TH CIR", "5686 10THCIRCLE"),
    ("12 OAK ST", "12 OAK ST SUNSET MANOR"),
    ("12 OAK ST", "12 OAK STREET SUNSET MANOR"),
    ("12 OAK ST", "12 OAKK ST SUNSET MANOR"),
    ("12 OAK ST", "12 OAKS ST SUNSET MANOR"),
    ("418 HAWTHORN CRESCENT", "418 HAWTHORNE XRESCENT SUNSET MANOR"),
    ("1217 N FALLS RD", "1217 N FALL ROAD SUNSET MANOR"),
    ("12 OAK ST", "OAK ST 12"),
    ("7446 VALLEY RD", "7446 VA1LEY ROAD"),
    ("7113 N HARDING ST", "71L3 NORTH HARDING STREET"),
    ("1618 HARRISON ST", "161B HARISON ST"),
    ("13616 N SUNRISE ST", "13616 N SUNRISE SOTRETE"),
    ("4083 9TH BLVD", "4083 9TH BOOULEAVRD"),
    ("7011 2ND RD", "7011 2ND R"),
    ("7011 2ND RD", "7011 3RD R"),
    ("13356 HAYES CT", "13356 HAYES C"),
    ("19551 7TH LN", "19551 7TH L"),
    ("6300 N VISTA CIR", "6300 N VISTAXIRCLE"),
    ("6300 N VISTA CIR", "6300 N VISTOXIRCLE"),
    ("12266 S ELM CT", "12266 S ELMCOOURT"),
    ("12 OAK CRK", "12 OAK CREST SUNSET MANOR"),
    ("12 OAK ST", "12 OAK STREAM CT"),
    # names one or two edits apart, at each length bound, the first letter right or not
    ("50 HARRISON ST", "50 HARISON ST"),
    ("50 HARRISON ST", "50 HAIRSNO ST"),
    ("50 WASHINGTON AVE", "50 WASHNIGTNO AVE"),
    ("50 HAYES ST", "50 HAIEZ ST"),
    ("50 HAYES ST", "50 JAIES ST"),
    ("50 NORTH ST", "50 NUORRH ST"),
    ("50 ELM ST", "50 ELN ST"),
    ("50 OAKS ST", "50 OKAS ST"),
    ("50 OAKS ST", "50 OAKSXYZ ST"),
    ("50 MAPLE AVE", "50 MAPLEAVE"),
    ("50 MAPLEWOOD DR", "50 MAPLE DR"),
    # digits and one-letter words
    ("17 12TH ST", "17 13TH ST"),
    ("17 12TH ST", "17 13THST"),
    ("17 112TH ST", "17 12TH ST"),
    ("3 AVENUE B", "3 AVENUE C"),
    ("3 AVENUE B", "3 AVENUE B SUNSET MANOR"),
    ("3 AVENUE B", "3 AVENUE C SUNSET MANOR"),
    ("8 N ST", "8 NORTH ST"),
    # directions
    ("100 N MAIN ST", "100 S MAIN STREET SUNSET MANOR"),
    ("100 N MAIN ST", "100 MAIN STREET"),
    ("100 MAIN ST NE", "100 MAIN ST NW"),
    # other numbers
    ("418 HAWTHORN CRESCENT", "481 HAWTHORN CRESCENT"),
    ("77 MANOR HOUSE RD", "79 MANORHOUSE RD"),
    # the same street
    ("400 ELM AVE", "400 ELM AVENUE"),
]

# Units (filed, requested) put on a street pair.
UNITS = [
    ("", ""),
    ("APT 7", ""),
    ("", "APT 7"),
    ("APT 7", "APT 9"),
    ("APT 7", "UNIT 7"),
    ("APT IO3", "APT 103"),
    ("BLDG 2 APT 4", "BLDG 3 APT 4"),
    ("BLDG 2 APT 4", "BLDG 2 APT 4"),
    ("REAR", "FRNT"),
    ("REAR", "REAR"),
    ("APT 303", "LOT 22"),
    ("LOT 23", "LOT 22"),
    ("LOT 23", "TRLR 23"),
    ("APT 303", "APT 304 LOT 22"),
]

# Places (city, state, zip) of the filing and the request.
LOCALITIES = [
    (("ATLANTA", "GA", "30307"), ("ATLANTA", "GA", "30307")),
    (("ATLANTA", "GA", "30307"), ("ATLANTA", "GA", "30308")),  # ZIP mistyped, city right
    (("ATLANTA", "GA", "30307"), ("DECATUR", "GA", "30030")),
    (("ATLANTA", "GA", "30307"), ("ATLANTAA", "GA", "")),  # no ZIP, city typo
    (("ATLANTA", "GA", "30307"), ("ATLANTA", "TX", "")),
    (("ATLANTA", "GA", "30307"), ("", "", "")),
]


def _with_unit(street: str, unit: str) -> str:
    return f"{street} {unit}" if unit else street


def _pairs() -> list[tuple[list[Address], Address]]:
    pairs: list[tuple[list[Address], Address]] = []
    for (one, other), (unit_filed, unit_asked) in itertools.product(STREETS, UNITS):
        for filed, asked in ((one, other), (other, one)):
            pairs.append(([at(_with_unit(filed, unit_filed))], at(_with_unit(asked, unit_asked))))
    for (one, other), (here, there) in itertools.product(STREETS, LOCALITIES):
        pairs.append(([at(one, *here)], at(other, *there)))
    # filing histories: the building filed with the unit asked in some year only, another
    # building, nothing comparable
    pairs += [
        (
            [at("418 HAWTHORN CRESCENT APT 7"), at("418 HAWTHORN CRESCENT APT 9")],
            at("418 HAWTHORN XRESCENT APT 9"),
        ),
        (
            [at("418 HAWTHORN CRESCENT APT 7"), at("418 HAWTHORN CRESCENT APT 8")],
            at("418 HAWTHORN XRESCENT APT 9"),
        ),
        (
            [at("418 HAWTHORN CRESCENT APT 7"), at("12 OAK ST APT 9")],
            at("418 HAWTHORN CRESCENT APT 9"),
        ),
        ([at("RR 2 BOX 15"), at("418 HAWTHORN CRESCENT APT 7")], at("418 HAWTHORN CRESCENT APT 9")),
        ([at("RR 2 BOX 15")], at("RR 3 BOX 15")),
        ([("", "", "", "")], at("418 HAWTHORN CRESCENT APT 9")),
        ([at("418 HAWTHORN CRESCENT APT 7")], ("", "", "", "")),
    ]
    return pairs


PAIRS = _pairs()


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    """``pairs``: the address lists of every pair as the comparison reads them; ``places``:
    every (filed place, requested place) of every pair."""
    sides = [(filed_lists(filed), requested_lists(asked)) for filed, asked in PAIRS]
    places = [
        (a, b)
        for left, right in sides
        for a in left["places"] or []
        for b in right["places"] or []  # type: ignore[union-attr]
    ]
    connection = duckdb.connect()
    connection.register("pairs", pairs_table(sides))
    connection.register(
        "places",
        pa.table(
            {"a": [a for a, _ in places], "b": [b for _, b in places]},
            schema=pa.schema([("a", _PLACE), ("b", _PLACE)]),
        ),
    )
    yield connection
    connection.close()


def _truth(con: duckdb.DuckDBPyConnection, table: str, condition: str) -> list[bool]:
    """Whether ``condition`` holds on each row (NULL, as in a level's CASE, does not)."""
    rows = con.execute(f"SELECT CASE WHEN {condition} THEN TRUE ELSE FALSE END FROM {table}")
    return [bool(row[0]) for row in rows.fetchall()]


LEVELS = [
    ("unit_differs", old.UNIT_DIFFERS_BEFORE, new._UNIT_DIFFERS),
    ("written_differently", old.WRITTEN_DIFFERENTLY_BEFORE, new._WRITTEN_DIFFERENTLY),
]


@pytest.mark.parametrize(("label", "before", "after"), LEVELS, ids=[level[0] for level in LEVELS])
def test_the_rewritten_level_holds_where_the_old_one_does(
    con: duckdb.DuckDBPyConnection, label: str, before: str, after: str
) -> None:
    was, now = _truth(con, "pairs", before), _truth(con, "pairs", after)
    differing = [PAIRS[n] for n, (x, y) in enumerate(zip(was, now, strict=True)) if x != y]
    assert not differing
    assert any(now) and not all(now)  # the pairs tell the level from its absence


def test_the_model_reads_the_rewritten_levels() -> None:
    levels = {level["label_for_charts"]: level for level in new.ADDRESS["comparison_levels"]}
    for label, _, after in LEVELS:
        assert levels[label]["sql_condition"] == after


PARTS: list[tuple[str, Callable[[str, str], str], Callable[[str, str], str]]] = [
    ("same_building", old.same_building, new.same_building),
    ("street_names_agree", old.street_names_agree, new.street_names_agree),
    ("forms_agree", old._forms_agree, new._forms_agree),
    ("extra_words", old._extra_words, new._extra_words),
    ("misspelt_type", old._misspelt_type, new._misspelt_type),
    ("joined_misspelt_type", old._joined_misspelt_type, new._joined_misspelt_type),
    (
        "names_close",
        lambda a, b: old._names_close(f"{a}.name", f"{b}.name"),
        lambda a, b: new._names_close(f"{a}.name", f"{b}.name"),
    ),
]


@pytest.mark.parametrize(("label", "before", "after"), PARTS, ids=[part[0] for part in PARTS])
@pytest.mark.parametrize("order", ["filed, requested", "requested, filed"])
def test_each_part_holds_where_the_old_one_does(
    con: duckdb.DuckDBPyConnection,
    label: str,
    before: Callable[[str, str], str],
    after: Callable[[str, str], str],
    order: str,
) -> None:
    a, b = ("a", "b") if order == "filed, requested" else ("b", "a")
    was, now = _truth(con, "places", before(a, b)), _truth(con, "places", after(a, b))
    assert was == now
    assert any(now) and not all(now)


def test_the_whole_address_comparison_gives_the_same_level(
    con: duckdb.DuckDBPyConnection,
) -> None:
    def gamma(levels: list[str]) -> str:
        whens = " ".join(f"WHEN {sql} THEN {n}" for n, sql in enumerate(levels))
        return f"CASE {whens} ELSE -1 END"

    after = [
        level["sql_condition"]
        for level in new.ADDRESS["comparison_levels"]
        if level["sql_condition"] != "ELSE"
    ]
    replaced = {new_sql: old_sql for _, old_sql, new_sql in LEVELS}
    before = [replaced.get(sql, sql) for sql in after]
    rows = con.execute(f"SELECT {gamma(before)}, {gamma(after)} FROM pairs").fetchall()
    assert [x for x, _ in rows] == [y for _, y in rows]
    assert len({x for x, _ in rows}) >= 6  # most levels are reached
