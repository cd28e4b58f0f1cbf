# ruff: noqa: E501  (tables of people read best one row per line)
"""Box addresses (rural route, highway contract, military and post-office boxes) through the
real matcher (features, blocking, Splink with the documented priors, decision): another route
or another box is another address, never the taxpayer's own read with a typo (issue 11). A
box name the standardizer writes one way (``RR 2 BOX``) cannot be misspelt, so it has no
``address:street_spelling`` reading; nor has a numbered road with another number (COUNTY RD 12
is not COUNTY RD 13). The same box written differently (RURAL ROUTE 2 BOX 15, RT 2 BOX 15)
is still the taxpayer's own."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from matcher_runs import decide_requests, write_master
from matchgate.match.comparisons import _BOX_NAME_RE
from matchgate.standardize.addresses import _BOX_NAME, AddressKind, standardize_address

# tin, first, middle, last, suffix, dob, street, city, state, zip: each filed 2023 and 2024
# fmt: off
PEOPLE = [
    # Filed only from route 3, box 15; a namesake (his son, not in the file) has box 15 on route 2.
    ("500000001", "EARL", "WAYNE", "HOLLIS", "", "1948-05-02", "RR 3 BOX 15", "LAMPASAS", "TX", "76550"),
    ("500000002", "VERNA", "", "PRUITT", "", "1952-09-14", "HC 1 BOX 2", "ALPINE", "TX", "79830"),
    ("500000003", "DWAYNE", "", "KOLB", "", "1990-03-03", "PSC 2 BOX 15", "APO", "AE", "09012"),
    ("500000004", "LORETTA", "", "BEASLEY", "", "1961-11-21", "RR 2A BOX 40", "HICO", "TX", "76457"),
    ("500000005", "HOMER", "", "TATUM", "", "1955-07-07", "RR 2 BOX 15", "MERIDIAN", "TX", "76665"),
    ("500000006", "IRMA", "", "FOWLKES", "", "1970-02-02", "PO BOX 15", "MARFA", "TX", "79843"),
    ("500000007", "CLETUS", "", "MABRY", "", "1966-04-04", "15 COUNTY RD 12", "HAMILTON", "TX", "76531"),
    ("500000009", "BUFORD", "", "LANGSTON", "", "1949-06-30", "BOX 22 RR 3", "GOLDTHWAITE", "TX", "76844"),
    # Namesakes on two routes of one town: the one on the other route still counts.
    ("500000010", "JESSE", "", "COATS", "", "1950-01-01", "RR 2 BOX 15", "EVANT", "TX", "76525"),
    ("500000011", "JESSE", "", "COATS", "", "1978-03-03", "RR 3 BOX 15", "EVANT", "TX", "76525"),
    ("500000008", "OPAL", "", "STROUD", "", "1958-12-12", "880 STATE HIGHWAY 6", "HAMILTON", "TX", "76531"),
]
FILLER_FIRST = ["LINDA", "PAUL", "SARAH", "MARK", "EMMA", "CARLOS", "ROSA", "DAVID"]
FILLER_LAST = ["MILLER", "DAVIS", "WILSON", "MOORE", "TAYLOR", "THOMAS", "WHITE", "HARRIS"]

# request_id, first, middle, last, suffix, dob, street, city, state, zip, tin, expected outcome,
# the TIN disclosed, and the reason code expected among the decision's reasons (or "")
REQUESTS = [
    # Another route, the same box number: another address. Without a ZIP the box is compared by
    # city and state; before the fix it read RR 2 / RR 3 as a typo and disclosed (with the date
    # of birth: the right person at a box he never filed from; without it: EARL HOLLIS the son).
    ("route_off_no_zip_with_dob", "EARL", "", "HOLLIS", "", "1948-05-02", "RR 2 BOX 15", "LAMPASAS", "TX", "", "", "no_match", "", "address_not_in_history"),
    ("route_off_no_zip_namesake", "EARL", "", "HOLLIS", "", "", "RR 2 BOX 15", "LAMPASAS", "TX", "", "", "no_match", "", "address_not_in_history"),
    ("route_off_with_zip", "EARL", "", "HOLLIS", "", "1948-05-02", "RR 2 BOX 15", "LAMPASAS", "TX", "76550", "", "no_match", "", ""),
    ("route_number_longer", "EARL", "", "HOLLIS", "", "1948-05-02", "RR 13 BOX 15", "LAMPASAS", "TX", "", "", "no_match", "", "address_not_in_history"),
    ("highway_contract_off", "VERNA", "", "PRUITT", "", "1952-09-14", "HC 2 BOX 2", "ALPINE", "TX", "", "", "no_match", "", "address_not_in_history"),
    ("military_unit_off", "DWAYNE", "", "KOLB", "", "1990-03-03", "PSC 3 BOX 15", "APO", "AE", "", "", "no_match", "", "address_not_in_history"),
    ("route_letter_off", "LORETTA", "", "BEASLEY", "", "1961-11-21", "RR 2B BOX 40", "HICO", "TX", "", "", "no_match", "", "address_not_in_history"),
    ("route_kind_off", "HOMER", "", "TATUM", "", "1955-07-07", "HC 2 BOX 15", "MERIDIAN", "TX", "", "", "no_match", "", "address_not_in_history"),
    ("box_number_off", "HOMER", "", "TATUM", "", "1955-07-07", "RR 2 BOX 16", "MERIDIAN", "TX", "", "", "no_match", "", "address_not_in_history"),
    ("po_box_transposed", "IRMA", "", "FOWLKES", "", "1970-02-02", "PO BOX 51", "MARFA", "TX", "", "", "no_match", "", "address_not_in_history"),
    ("po_box_one_digit_off", "IRMA", "", "FOWLKES", "", "1970-02-02", "PO BOX 16", "MARFA", "TX", "", "", "no_match", "", "address_not_in_history"),
    # A numbered road with another number is another road, with the ZIP or without it.
    ("county_road_off", "CLETUS", "", "MABRY", "", "1966-04-04", "15 COUNTY RD 13", "HAMILTON", "TX", "76531", "", "no_match", "", "address_not_in_history"),
    ("county_road_off_no_zip", "CLETUS", "", "MABRY", "", "1966-04-04", "15 COUNTY ROAD 13", "HAMILTON", "TX", "", "", "no_match", "", "address_not_in_history"),
    ("state_highway_off", "OPAL", "", "STROUD", "", "1958-12-12", "880 STATE HIGHWAY 9", "HAMILTON", "TX", "76531", "", "no_match", "", "address_not_in_history"),
    # Another route is not the taxpayer's own address, but a namesake filing from it is still a
    # namesake who could be the person asked about (without a DOB): no disclosure.
    ("namesake_on_the_next_route", "JESSE", "", "COATS", "", "", "RR 2 BOX 15", "EVANT", "TX", "", "", "ambiguous", "", "namesake_linked"),
    ("namesake_on_the_next_route_dob", "JESSE", "", "COATS", "", "1950-01-01", "RR 2 BOX 15", "EVANT", "TX", "", "", "disclosed", "500000010", ""),
    # The same box or road written differently is still the taxpayer's own.
    ("route_written_out", "EARL", "", "HOLLIS", "", "1948-05-02", "RURAL ROUTE 3 BOX 15", "LAMPASAS", "TX", "", "", "disclosed", "500000001", ""),
    ("route_abbreviated", "EARL", "", "HOLLIS", "", "1948-05-02", "RT 3 BOX 15", "LAMPASAS", "TX", "", "", "disclosed", "500000001", ""),
    ("route_spaced", "EARL", "", "HOLLIS", "", "1948-05-02", "R R 3 BOX 15", "LAMPASAS", "TX", "", "", "disclosed", "500000001", ""),
    ("star_route", "VERNA", "", "PRUITT", "", "1952-09-14", "STAR ROUTE 1 BOX 2", "ALPINE", "TX", "", "", "disclosed", "500000002", ""),
    ("route_box_bx", "EARL", "", "HOLLIS", "", "1948-05-02", "RR3 BX 15", "LAMPASAS", "TX", "", "", "disclosed", "500000001", ""),
    ("route_after_box", "EARL", "", "HOLLIS", "", "1948-05-02", "BOX 15, RURAL ROUTE 3", "LAMPASAS", "TX", "", "", "disclosed", "500000001", ""),
    # ... but the box before another route is another box (it was read as PO BOX 15, route lost)
    ("route_after_box_off", "EARL", "", "HOLLIS", "", "1948-05-02", "BOX 15 RR 2", "LAMPASAS", "TX", "", "", "no_match", "", "address_not_in_history"),
    ("box_before_route_off", "BUFORD", "", "LANGSTON", "", "1949-06-30", "BOX 22 RR 2", "GOLDTHWAITE", "TX", "", "", "no_match", "", "address_not_in_history"),
    ("box_before_route_same", "BUFORD", "", "LANGSTON", "", "1949-06-30", "RR 3 BOX 22", "GOLDTHWAITE", "TX", "", "", "disclosed", "500000009", ""),
    ("po_box_dotted", "IRMA", "", "FOWLKES", "", "1970-02-02", "P.O. BOX 15", "MARFA", "TX", "", "", "disclosed", "500000006", ""),
    ("county_road_written_out", "CLETUS", "", "MABRY", "", "1966-04-04", "15 COUNTY ROAD 12", "HAMILTON", "TX", "76531", "", "disclosed", "500000007", ""),
    ("county_road_typo", "CLETUS", "", "MABRY", "", "1966-04-04", "15 COUNTRY RD 12", "HAMILTON", "TX", "76531", "", "disclosed", "500000007", "address_street_spelling"),
]
# fmt: on


def _write_master(path: Path) -> None:
    people = list(PEOPLE)
    for i in range(400):
        people.append(
            (
                f"6{i:08d}",
                FILLER_FIRST[i % 8],
                "",
                FILLER_LAST[(i // 8) % 8],
                "",
                f"19{50 + i % 40}-0{1 + i % 9}-1{i % 10}",
                f"{100 + i} MAIN ST",
                "SPRINGFIELD",
                "IL",
                f"62{i % 1000:03d}",
            )
        )
    write_master(path, people)  # each person filing in 2023 and 2024


@pytest.fixture(scope="module")
def decisions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    folder = tmp_path_factory.mktemp("boxes")
    _write_master(folder / "master.parquet")
    tail = ("2024", "18 U.S.C. 1343", "C-1", "specific reason")
    return decide_requests(folder, [(*request[:11], *tail) for request in REQUESTS])


@pytest.mark.parametrize("request_row", REQUESTS, ids=[r[0] for r in REQUESTS])
def test_box_request(decisions: dict[str, dict[str, str]], request_row: tuple[str, ...]) -> None:
    request_id, expected, true_tin, reason = request_row[0], *request_row[11:]
    row = decisions[request_id]
    assert row["outcome"] == expected, (row["reason_codes"], row["evidence"])
    if expected == "disclosed":
        assert row["tin"] == true_tin
    if reason:
        assert reason in row["reason_codes"].split(";") + row["evidence"].split(";"), (
            row["reason_codes"],
            row["evidence"],
        )


@pytest.mark.parametrize(
    "street",
    ["RR 2 BOX 15", "RURAL ROUTE 12A BOX 3", "HCR 1 BOX 2", "PSC 2 BOX 15", "CMR 450 BOX 7",
     "UNIT 2050 BOX 4190", "PO BOX 15", "POB 9", "PMB 44", "15 COUNTY RD 12", "12 BOX ELDER ST",
     "9 POST OFFICE RD", "1 PO BOX RD"],
)  # fmt: skip
def test_the_sql_knows_the_box_names_the_standardizer_writes(street: str) -> None:
    """``address:street_spelling`` tells a box's name as ``standardize_address`` does (a
    street named PO BOX RD is read as a box's name too: no typo reading, the safe side)."""
    address = standardize_address(street, "LAMPASAS", "TX", "76550")
    is_box = bool(_BOX_NAME.match(address.street_name))
    if address.kind is AddressKind.PO_BOX:
        assert is_box
    con = duckdb.connect()
    row = con.execute(f"SELECT regexp_matches(?, {_BOX_NAME_RE})", [address.street_name]).fetchone()
    con.close()
    assert row is not None and row[0] is is_box
