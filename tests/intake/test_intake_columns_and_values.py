"""Column recognition, mapping files, per-row validation, name splitting and duplicates."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from matchgate.errors import IntakeError, MappingError
from matchgate.intake import read_requests
from matchgate.intake.columns import plan_columns
from matchgate.intake.values import (
    check_dob,
    check_state,
    check_text,
    check_tin,
    split_full_name,
    unswap_city_state,
)


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Last Name", "last_name"),
        ("SURNAME", "last_name"),
        ("apellido", "last_name"),
        ("Apellidos", "last_name"),
        ("First Name", "first_name"),
        ("nombre", "first_name"),
        ("Middle Initial", "middle_name"),
        ("DOB", "dob"),
        ("Date of Birth", "dob"),
        ("fecha_de_nacimiento", "dob"),
        ("Zip Code", "zip"),
        ("ZIP", "zip"),
        ("Postal Code", "zip"),
        ("SSN", "tin"),
        ("TIN", "tin"),
        ("Social Security Number", "tin"),
        ("Street Address", "street"),
        ("Tax Years", "tax_periods"),
        ("Statutory Authority", "statute"),
        ("Case #", "case_number"),
        ("Case No.", "case_number"),
        ("Specific Reason", "reason"),
        ("Dirección", "street"),
    ],
)
def test_header_variants_are_recognised(header: str, field: str) -> None:
    plan = plan_columns(
        [header, "Last Name", "First Name"]
        if field not in {"last_name", "first_name"}
        else [header, "Nombre" if field == "last_name" else "Surname"]
    )
    assert plan.columns_mapped[header] == field


def test_unknown_columns_are_reported_never_used() -> None:
    plan = plan_columns(["Last Name", "First Name", "Favourite Colour", ""])
    assert plan.unknown_columns == ["Favourite Colour", "column_4"]
    assert "Favourite Colour" not in plan.columns_mapped


def test_two_columns_for_one_field_need_a_mapping() -> None:
    with pytest.raises(IntakeError, match="both look like last_name") as caught:
        plan_columns(["Last Name", "Surname", "First Name"], source="f.csv")
    assert caught.value.field == "last_name"


def test_composite_surname_and_address_lines(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text(
        "Nombre,Apellido Paterno,Apellido Materno,Address 1,Address 2\n"
        "Maria,Garcia,Lopez,12 Main St,Apt 4\n",
        encoding="utf-8",
    )
    [record] = list(read_requests(path).records)
    assert (record.last_name, record.street) == ("Garcia Lopez", "12 Main St Apt 4")


def test_full_name_column_is_split(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("Full Name,Zip\nMaria Elena de la Cruz,78701\n", encoding="utf-8")
    [record] = list(read_requests(path).records)
    assert (record.first_name, record.middle_name, record.last_name) == (
        "Maria",
        "Elena",
        "de la Cruz",
    )


def test_mapping_file_overrides_and_ignores(tmp_path: Path) -> None:
    mapping = tmp_path / "map.toml"
    mapping.write_text(
        '[columns]\n"Fam" = "last_name"\n"Giv" = "first_name"\n"Last Name" = "ignore"\n'
        '"Ref" = "request_id"\n',
        encoding="utf-8",
    )
    path = tmp_path / "r.csv"
    path.write_text("Fam,Giv,Last Name,Ref,Other\nDiaz,Ana,WRONG,X1,?\n", encoding="utf-8")
    request_file = read_requests(path, mapping=mapping)
    [record] = list(request_file.records)
    assert (record.last_name, record.first_name, record.request_id) == ("Diaz", "Ana", "X1")
    assert request_file.unknown_columns == ["Other"]
    assert request_file.columns_mapped == {
        "Fam": "last_name",
        "Giv": "first_name",
        "Ref": "request_id",
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[columns]\n"A" = "shoe_size"\n', "shoe_size"),
        ("[columns\n", "not valid TOML"),
        ('columns = "x"\n', r"\[columns\]"),
    ],
)
def test_bad_mapping_files(tmp_path: Path, text: str, message: str) -> None:
    mapping = tmp_path / "map.toml"
    mapping.write_text(text, encoding="utf-8")
    path = tmp_path / "r.csv"
    path.write_text("Last Name,First Name\nA,B\n", encoding="utf-8")
    with pytest.raises(MappingError, match=message):
        read_requests(path, mapping=mapping)


@pytest.mark.parametrize(
    ("text", "expected", "code"),
    [
        ("1980-04-12", "1980-04-12", None),
        ("04/12/1980", "1980-04-12", None),
        ("4/2/1980", "1980-04-02", None),
        ("19800412", "1980-04-12", None),
        ("12.04.1980", "1980-04-12", None),
        ("Apr 12, 1980", "1980-04-12", None),
        ("12 April 1980", "1980-04-12", None),
        ("1980-04-12T00:00:00", "1980-04-12", None),
        ("1980-02-30", "1980-02-30", "dob_invalid"),
        ("13/45/1980", "13/45/1980", "dob_invalid"),
        ("yesterday", "yesterday", "dob_invalid"),
        ("1850-01-01", "1850-01-01", "dob_invalid"),
        ("2999-01-01", "2999-01-01", "dob_invalid"),
        ("", "", None),
    ],
)
def test_dob(text: str, expected: str, code: str | None) -> None:
    value, problem = check_dob(text, today=date(2026, 11, 1))
    assert value == expected
    assert (problem.code if problem else None) == code


@pytest.mark.parametrize(
    ("text", "expected", "valid"),
    [
        ("123-45-6789", "123456789", True),
        ("123 45 6789", "123456789", True),
        ("923-70-1234", "923701234", True),  # ITIN
        ("923-45-1234", "923-45-1234", False),  # 9xx with a group no ITIN uses
        ("000-12-3456", "000-12-3456", False),
        ("666-12-3456", "666-12-3456", False),
        ("123-00-4567", "123-00-4567", False),
        ("12345", "12345", False),
        ("12345678X", "12345678X", False),
        ("١٢٣٤٥٦٧٨٩", "١٢٣٤٥٦٧٨٩", False),
    ],
)
def test_tin(text: str, expected: str, valid: bool) -> None:
    value, problem = check_tin(text)
    assert (value, problem is None) == (expected, valid)


@pytest.mark.parametrize(
    ("text", "expected", "valid"),
    [("tx", "TX", True), ("Texas", "TX", True), ("P.R.", "PR", True), ("ZZ", "ZZ", False)],
)
def test_state(text: str, expected: str, valid: bool) -> None:
    value, problem = check_state(text)
    assert (value, problem is None) == (expected, valid)


@pytest.mark.parametrize(
    ("city", "state", "expected"),
    [
        ("OK", "OKLAHOMA CITY", ("OKLAHOMA CITY", "OK")),  # swapped: put back
        ("c.o.", "Denver", ("Denver", "CO")),
        ("Denver", "CO", ("Denver", "CO")),  # as it should be
        ("NY", "XX", ("NY", "XX")),  # a mistyped state code: still refused
        ("WASHINGTON", "SEATTLEX", ("WASHINGTON", "SEATTLEX")),  # a state name is a town name
        ("NEY", "BROOKLYN", ("NEY", "BROOKLYN")),  # a mistyped code: not recognised
        ("NY", "TEXAS", ("NY", "TEXAS")),  # both states: nothing to put back
        ("ZZ", "AUSTIN", ("ZZ", "AUSTIN")),
    ],
)
def test_swapped_city_and_state_are_put_back(
    city: str, state: str, expected: tuple[str, str]
) -> None:
    assert unswap_city_state(city, state) == expected


def test_swapped_city_and_state_read_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "requests.csv"
    path.write_text(
        "Request ID,First Name,Last Name,Street,City,State,ZIP\r\n"
        "R1,ANA,PENA,12 MAIN ST,TX,AUSTIN,78701\r\n"
        "R2,ANA,PENA,12 MAIN ST,AUSTIN,XX,78701\r\n",
        encoding="utf-8",
    )
    first, second = read_requests(path).records
    assert (first.city, first.state, first.problems) == ("AUSTIN", "TX", ())
    assert [p.code for p in second.problems] == ["state_invalid"]


@pytest.mark.parametrize(
    ("text", "expected", "code"),
    [
        ("  Ana \t Maria\r\n ", "Ana Maria", None),
        ('=HYPERLINK("x")', '=HYPERLINK("x")', None),  # kept as data; safe_csv neutralizes
        ("A" * 1_000, "A" * 1_000, None),
        ("A" * 1_001, "", "cell_too_long"),
        ("Ana\x00", "", "cell_control_character"),
        ("Ana\u202eeilat", "", "cell_control_character"),
        ("Ana\ufffd", "", "cell_control_character"),
    ],
)
def test_text_cells(text: str, expected: str, code: str | None) -> None:
    value, problem = check_text(text, "first_name")
    assert value == expected
    assert (problem.code if problem else None) == code
    if problem:
        assert problem.field == "first_name"


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("Maria Garcia", ("Maria", "", "Garcia", "")),
        ("Garcia, Maria Elena", ("Maria", "Elena", "Garcia", "")),
        ("Garcia Jr, Jose", ("Jose", "", "Garcia", "Jr")),
        ("Jose de la Cruz", ("Jose", "", "de la Cruz", "")),
        ("John Q Public III", ("John", "Q", "Public", "III")),
        ("Ludwig van Beethoven", ("Ludwig", "", "van Beethoven", "")),
        ("Cher", ("", "", "Cher", "")),
        ("", ("", "", "", "")),
    ],
)
def test_split_full_name(text: str, parts: tuple[str, str, str, str]) -> None:
    assert split_full_name(text) == parts


def test_duplicates_are_flagged_not_invalid(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text(
        "id,Last Name,First Name\n1,Diaz,Ana\n2,Ruiz,Luis\n3,DIAZ,ana\n4,Diaz,Ana\n",
        encoding="utf-8",
    )
    records = list(read_requests(path).records)
    assert [r.duplicate_of for r in records] == [None, None, 1, 1]
    assert not any(r.problems for r in records)
    reason = records[3].duplicate_reason
    assert reason is not None and reason.code == "duplicate" and "row 1" in reason.message
