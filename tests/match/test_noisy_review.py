# ruff: noqa: E501  (tables of people read best one row per line)
"""Adversarial review of branch ``noisy`` (issue 11), through the real matcher (features,
blocking, Splink, decision; the documented priors, so tiny data does not depend on EM).
Each request names an address that is another flat, building or street than the one a
taxpayer filed, and the readings of STANDARDIZER_VERSION 6 turn it into the filed one:

- an ordinal with a letter among its digits that is as well the one-typo spelling of a
  shorter ordinal (``4STH``, ``1STH``, ``4OTH``): the standardizer before read them 4TH,
  1ST and 4TH; the OCR reading makes them 45TH, 15TH and 40TH, another street;
- a care-of name before the unit (``C/O ... APT 4``): everything after ``C/O`` is left
  out, the flat with it, so the request no longer names a flat (and a master line written
  so no longer names its flat, so a request for another flat there is read as the filed
  building);
- a building or wing written after the unit (``APT 12 TOWER A`` against ``APT 12 TOWER B``,
  ``APT 4 EAST WING`` against ``APT 4 WEST WING``, ``UNIT 3 EAST SIDE`` against ``UNIT 3 WEST
  SIDE``): both are left out, on the request and on the master line, so two flats of one
  number in two buildings become one.

A request that could be another person's address must not disclose; these expect no
disclosure to the taxpayer at the other address. Standardizer version 5 (main at fd7d663)
decides every one of them without disclosing to that taxpayer."""

from __future__ import annotations

import pytest

from matcher_runs import decide_requests, write_master

# tin, first, middle, last, suffix, dob, street, city, state, zip
# fmt: off
PEOPLE = [
    ("412300001", "CHIDI", "", "NWANKWO", "", "1970-03-14", "210 45TH ST", "DAYTON", "OH", "45402"),
    ("412300002", "MAGNUS", "", "HOLLOWAY", "", "1964-07-21", "330 15TH AVE", "DAYTON", "OH", "45402"),
    ("412300003", "THEODORA", "", "VASQUEZ", "", "1988-01-09", "77 40TH ST", "DAYTON", "OH", "45402"),
    # a namesake of CHIDI NWANKWO (another date of birth) on 4TH ST, the same house number
    ("412300004", "CHIDI", "", "NWANKWO", "", "1993-11-02", "210 4TH ST", "DAYTON", "OH", "45402"),
    ("412300005", "PRIYA", "", "RAMASWAMY", "", "1979-05-30", "1400 CANAL ST APT 9", "DAYTON", "OH", "45402"),
    ("412300006", "ANSELM", "", "FAIRCLOUGH", "", "1955-12-12", "900 RIVER RD APT 12 TOWER B", "DAYTON", "OH", "45402"),
    ("412300007", "LUCINDA", "", "ABERCROMBIE", "", "1968-08-18", "55 LAKE DR APT 4 WEST WING", "DAYTON", "OH", "45402"),
    ("412300008", "ROSALIND", "", "ASHCROFT", "", "1981-11-30", "2750 PINE AVE UNIT 3 WEST SIDE", "DAYTON", "OH", "45402"),
    # a master line with a care-of name before its flat
    ("412300009", "BARNABY", "", "OYELOWO", "", "1972-04-04", "1500 CANAL ST C/O JOHN SMITH APT 9", "DAYTON", "OH", "45402"),
    # (noisyfix) a taxpayer on 510TH ST: SI0TH is S 10TH or 510TH, a joined S is no digit
    ("412300010", "OSWALD", "", "KIRKPATRICK", "", "1966-06-16", "88 510TH ST", "DAYTON", "OH", "45402"),
]
# request_id, first, middle, last, suffix, dob, street, city, state, zip, the tin it must not
# be disclosed to
REQUESTS = [
    # 4STH: 4TH with an S typed in (how it was read before) or 45TH read by OCR
    ("ordinal_4sth_is_also_4th", "CHIDI", "", "NWANKWO", "", "1970-03-14", "210 4STH ST", "DAYTON", "OH", "45402", "412300001"),
    ("ordinal_4sth_no_dob_namesake_on_4th", "CHIDI", "", "NWANKWO", "", "", "210 4STH ST", "DAYTON", "OH", "45402", "412300001"),
    # 1STH: 1ST with an H typed on, or 15TH
    ("ordinal_1sth_is_also_1st", "MAGNUS", "", "HOLLOWAY", "", "", "330 1STH AVE", "DAYTON", "OH", "45402", "412300002"),
    # 4OTH: 4TH with an O typed in, or 40TH
    ("ordinal_4oth_is_also_4th", "THEODORA", "", "VASQUEZ", "", "", "77 4OTH ST", "DAYTON", "OH", "45402", "412300003"),
    # a care-of name before the flat: APT 4 is another flat than the filed APT 9
    ("care_of_before_another_unit", "PRIYA", "", "RAMASWAMY", "", "1979-05-30", "1400 CANAL ST C/O JOHN SMITH APT 4", "DAYTON", "OH", "45402", "412300005"),
    ("care_of_before_another_unit_no_dob", "PRIYA", "", "RAMASWAMY", "", "", "1400 CANAL ST C/O JOHN SMITH APT 4", "DAYTON", "OH", "45402", "412300005"),
    # flat 12 of tower A is not flat 12 of tower B; the east wing's flat 4 not the west wing's
    ("unit_in_another_tower", "ANSELM", "", "FAIRCLOUGH", "", "", "900 RIVER RD APT 12 TOWER A", "DAYTON", "OH", "45402", "412300006"),
    ("unit_on_another_side", "ROSALIND", "", "ASHCROFT", "", "", "2750 PINE AVE UNIT 3 EAST SIDE", "DAYTON", "OH", "45402", "412300008"),
    ("filed_care_of_before_unit_another_unit", "BARNABY", "", "OYELOWO", "", "", "1500 CANAL ST APT 4", "DAYTON", "OH", "45402", "412300009"),
    ("ordinal_si0th_joined_direction", "OSWALD", "", "KIRKPATRICK", "", "1966-06-16", "88 SI0TH ST", "DAYTON", "OH", "45402", "412300010"),
    ("unit_in_another_wing", "LUCINDA", "", "ABERCROMBIE", "", "", "55 LAKE DR APT 4 EAST WING", "DAYTON", "OH", "45402", "412300007"),
]
# fmt: on
FILLER_FIRST = ["LINDA", "PAUL", "SARAH", "MARK", "EMMA", "CARLOS", "ROSA", "DAVID"]
FILLER_LAST = ["MILLER", "DAVIS", "WILSON", "MOORE", "TAYLOR", "THOMAS", "WHITE", "HARRIS"]


def _people() -> list[tuple[str, ...]]:
    filler = [
        (
            f"3{i:08d}",
            FILLER_FIRST[i % 8],
            "",
            FILLER_LAST[(i // 8) % 8],
            "",
            f"19{50 + i % 40}-0{1 + i % 9}-1{i % 10}",
            f"{100 + i} {('4TH ST', '45TH ST', 'CANAL ST', 'RIVER RD')[i % 4]}",
            "DAYTON",
            "OH",
            f"45{400 + i % 40:03d}",
        )
        for i in range(200)
    ]
    return [*PEOPLE, *filler]


@pytest.fixture(scope="module")
def decisions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    folder = tmp_path_factory.mktemp("noisy_review")
    write_master(folder / "master.parquet", _people())
    tail = ("", "2024", "18 U.S.C. 1343", "C-1", "specific reason")
    return decide_requests(folder, [(*request[:10], *tail) for request in REQUESTS])


@pytest.mark.parametrize("request_row", REQUESTS, ids=[r[0] for r in REQUESTS])
def test_not_disclosed_to_another_address(
    decisions: dict[str, dict[str, str]], request_row: tuple[str, ...]
) -> None:
    row = decisions[request_row[0]]
    context = (row["outcome"], row["tin"], row["reason_codes"], row["evidence"])
    assert not (row["outcome"] == "disclosed" and row["tin"] == request_row[10]), context
