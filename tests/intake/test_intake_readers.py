"""Each reader: encodings, delimiters, quoted newlines, XLSX sheets, Parquet, JSONL, TIN bulk."""

from __future__ import annotations

import codecs
import csv
import io
import json
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import matchgate.intake as intake
from matchgate.errors import IntakeError
from matchgate.intake import RequestRecord, read_requests


def csv_text(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


HEADER = ["Request ID", "First Name", "Last Name", "DOB", "Street", "City", "State", "ZIP"]
ROW = ["R1", "José", "Peña", "1980-04-12", "12 Main St", "Austin", "TX", "78701"]


def _records(path: Path, **kwargs: object) -> list[RequestRecord]:
    return list(read_requests(path, **kwargs).records)  # type: ignore[arg-type]


def test_exported_names_are_exactly_these() -> None:
    assert intake.__all__ == sorted(intake.__all__)
    assert set(intake.__all__) == {
        "FORMATS",
        "REQUEST_FIELDS",
        "REQUIRED_FIELDS",
        "RequestFile",
        "RequestRecord",
        "load_mapping",
        "normalize_header",
        "read_requests",
    }
    assert intake.REQUEST_FIELDS[0] == "request_id" and len(intake.REQUEST_FIELDS) == 15


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [
        ("utf-8", b""),
        ("utf-8", codecs.BOM_UTF8),
        ("utf-16-le", codecs.BOM_UTF16_LE),
        ("utf-16-be", codecs.BOM_UTF16_BE),
        ("utf-16-le", b""),
        ("utf-16-be", b""),
        ("cp1252", b""),
        ("latin-1", b""),
    ],
)
def test_csv_encodings_are_detected(tmp_path: Path, encoding: str, bom: bytes) -> None:
    path = tmp_path / "requests.csv"
    path.write_bytes(bom + csv_text([HEADER, ROW]).encode(encoding))
    request_file = read_requests(path)
    [record] = list(request_file.records)
    assert (record.first_name, record.last_name) == ("José", "Peña")
    assert record.request_id == "R1" and not record.problems


def test_cp1252_punctuation_survives(write_csv) -> None:  # type: ignore[no-untyped-def]
    path = write_csv([HEADER, ["R1", "Ann", "O’Brien", "", "", "", "", ""]], encoding="cp1252")
    [record] = _records(path)
    assert record.last_name == "O’Brien"


@pytest.mark.parametrize("delimiter", [",", ";", "|", "\t"])
def test_csv_delimiters_are_sniffed(write_csv, delimiter: str) -> None:  # type: ignore[no-untyped-def]
    path = write_csv([HEADER, ROW, ROW], delimiter=delimiter)
    request_file = read_requests(path)
    assert request_file.delimiter == delimiter
    records = list(request_file.records)
    assert [r.row_number for r in records] == [1, 2]
    assert records[0].street == "12 Main St"


def test_quoted_newlines_stay_in_one_cell(write_csv) -> None:  # type: ignore[no-untyped-def]
    row = ["R1", "Ana", "Diaz", "", "12 Main St\nApt 4", "Austin", "TX", "78701"]
    [record] = _records(
        write_csv(
            [
                HEADER,
                row,
            ]
        )
    )
    assert record.street == "12 Main St Apt 4"


def test_short_rows_are_padded_and_long_rows_invalid(write_csv) -> None:  # type: ignore[no-untyped-def]
    path = write_csv([HEADER, ROW[:3], [*ROW, "surplus"]])
    short, long = _records(path)
    assert short.last_name == "Peña" and short.street == "" and not short.problems
    assert [p.code for p in long.problems] == ["row_extra_cells"]


def _workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return path


def test_xlsx_reads_every_sheet_and_restores_leading_zeros(tmp_path: Path) -> None:
    path = _workbook(
        tmp_path / "requests.xlsx",
        {
            "First": [
                ["Last Name", "First Name", "Zip Code", "DOB"],
                ["Diaz", "Ana", 2134, date(1980, 1, 2)],
            ],
            "Empty": [],
            "Second": [[None], ["SURNAME", "Given Name", "SSN"], ["Ruiz", "Luis", 12345678]],
        },
    )
    request_file = read_requests(path)
    assert request_file.format == "xlsx" and request_file.sheets == ["First", "Second"]
    first, second = list(request_file.records)
    assert (first.zip, first.dob, first.row_number) == ("02134", "1980-01-02", 1)
    assert (second.last_name, second.tin, second.row_number) == ("Ruiz", "012345678", 2)


def test_xlsx_named_sheet(tmp_path: Path) -> None:
    path = _workbook(
        tmp_path / "r.xlsx",
        {
            "A": [["Last Name", "First Name"], ["A", "a"]],
            "B": [["Last Name", "First Name"], ["B", "b"]],
        },
    )
    assert [r.last_name for r in _records(path, sheet="B")] == ["B"]
    with pytest.raises(IntakeError, match="no sheet 'C'"):
        read_requests(path, sheet="C")


def test_xlsx_zip_bomb_is_refused_before_opening(tmp_path: Path) -> None:
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (8 << 20))
    with pytest.raises(IntakeError, match="zip bomb"):
        read_requests(path)


def test_damaged_xlsx_is_an_intake_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"garbage" * 50)
    with pytest.raises(IntakeError, match="xlsx"):
        read_requests(path)


def test_parquet_streams_batches(tmp_path: Path) -> None:
    path = tmp_path / "r.parquet"
    table = pa.table(
        {
            "last_name": [f"N{i}" for i in range(40_000)],
            "first_name": ["A"] * 40_000,
            "dob": [date(1980, 1, 1)] * 40_000,
            "zip": [2134] * 40_000,
        }
    )
    pq.write_table(table, path, row_group_size=10_000)
    records = _records(path)
    assert len(records) == 40_000 and records[-1].last_name == "N39999"
    assert (records[0].dob, records[0].zip) == ("1980-01-01", "02134")


def test_json_lines_keep_malformed_lines_as_invalid_rows(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    lines = [
        json.dumps({"first_name": "Ana", "last_name": "Diaz", "zip": "78701", "note": "x"}),
        "{not json",
        json.dumps([1, 2]),
        json.dumps({"first_name": "Luis", "last_name": {"nested": 1}, "surprise": "y"}),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    request_file = read_requests(path)
    records = list(request_file.records)
    assert [r.row_number for r in records] == [1, 2, 3, 4]
    assert records[0].last_name == "Diaz" and not records[0].problems
    assert [p.code for p in records[1].problems] == ["row_malformed"]
    assert [p.code for p in records[2].problems] == ["row_malformed"]
    assert [p.code for p in records[3].problems] == ["cell_not_text"]
    assert request_file.unknown_columns == ["note", "surprise"]


def test_tin_bulk_format(tmp_path: Path) -> None:
    path = tmp_path / "bulk.txt"
    path.write_text(
        "2;123-45-6789;Garcia, Maria Elena;ACCT-1\n"
        "1;987654321;ACME HOLDINGS LLC;ACCT-2\n"
        "3;123456780;Jose de la Cruz Jr;ACCT-3\n",
        encoding="utf-8",
    )
    request_file = read_requests(path)
    assert request_file.format == "tin_bulk"
    first, business, third = list(request_file.records)
    assert (first.first_name, first.middle_name, first.last_name) == ("Maria", "Elena", "Garcia")
    assert (first.tin, first.request_id) == ("123456789", "ACCT-1")
    assert [p.code for p in business.problems] == ["tin_type_business"]
    assert (third.first_name, third.last_name, third.suffix) == ("Jose", "de la Cruz", "Jr")


def test_tin_bulk_file_in_the_layout_of_publication_2108a(tmp_path: Path) -> None:
    """``type;TIN;name;account``, 1 = EIN, 2 = SSN (ITIN, ATIN), 3 = unknown; names as the
    publication asks (up to 40 characters, no commas or apostrophes, hyphen and ampersand
    allowed), the account optional."""
    path = tmp_path / "tin_matching_request.txt"
    path.write_bytes(
        b"2;183421111;Matthew Mulberry;89765\r\n"  # an SSN
        b"1;562611111;Acme Incorporated;VENDOR-001\r\n"  # an EIN: a business
        b"2;912781234;Rosa Lee-Ortiz;\r\n"  # an ITIN is type 2 too; the account left off
        b"3;234567890;Sean OMalley\r\n"  # unknown type, no account field at all
        b"4;345678901;Ann Chu;X-4\r\n"  # not a type of the publication
        b"1;456789012;Smith & Sons;X-5\r\n"
    )
    request_file = read_requests(path)
    assert request_file.format == "tin_bulk"
    ssn, ein, itin, unknown, bad, ein2 = list(request_file.records)
    assert (ssn.first_name, ssn.last_name, ssn.tin, ssn.request_id) == (
        "Matthew",
        "Mulberry",
        "183421111",
        "89765",
    )
    assert not ssn.problems
    assert (itin.first_name, itin.last_name, itin.tin) == ("Rosa", "Lee-Ortiz", "912781234")
    assert not itin.problems and itin.request_id == ""
    # Unknown type: looked up as an individual, like an SSN row.
    assert (unknown.first_name, unknown.last_name, unknown.tin) == ("Sean", "OMalley", "234567890")
    assert not unknown.problems
    for row_number, business in ((2, ein), (6, ein2)):
        [reason] = business.problems
        assert reason.code == "tin_type_business" and reason.field == "type"
        assert "EIN" in reason.message and "only individuals" in reason.message
        assert f"{path.name}, row {row_number}, field 'type'" in reason.message
    [reason] = bad.problems
    assert reason.code == "tin_type_invalid" and reason.field == "type"
    assert f"{path.name}, row 5, field 'type'" in reason.message
    assert "1 (EIN), 2 (SSN, ITIN or ATIN) or 3 (unknown)" in reason.message


def test_tin_bulk_over_100000_rows_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bulk.txt"
    path.write_text("2;123456789;Ann Lee;A\n" * 100_001, encoding="utf-8")
    with pytest.raises(IntakeError, match="at most 100,000 rows"):
        read_requests(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"\n\n  \n", "empty"),
        (bytes(range(256)) * 40, "binary"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, r"\.xls"),
        (b"PAR1 not really parquet", "Parquet"),
        (b"Street,City\n1 Main St,Austin\n", "no column for first_name"),
    ],
)
def test_unreadable_files_raise_intake_error(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "requests.csv"
    path.write_bytes(content)
    with pytest.raises(IntakeError, match=message) as caught:
        read_requests(path)
    assert str(path) in str(caught.value)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(IntakeError, match="no such file"):
        read_requests(tmp_path / "absent.csv")
    with pytest.raises(IntakeError, match="not a regular file"):
        read_requests(tmp_path)


def test_huge_cell_is_an_invalid_row_not_a_crash(write_csv) -> None:  # type: ignore[no-untyped-def]
    path = write_csv([HEADER, ["R1", "Ana", "D" * 100_000, "", "", "", "", ""], ROW])
    big, normal = _records(path)
    assert [(p.code, p.field) for p in big.problems] == [("cell_too_long", "last_name")]
    assert not normal.problems


def test_records_stream_once_and_report_progress(write_csv) -> None:  # type: ignore[no-untyped-def]
    path = write_csv([HEADER] + [ROW] * 25_000)
    seen: list[int] = []
    request_file = read_requests(path, progress=seen.append)
    assert sum(1 for _ in request_file.records) == 25_000
    assert list(request_file.records) == []
    assert seen == [10_000, 20_000, 25_000]


def test_a_line_too_long_to_hold_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("Last Name,First Name\n" + "A" * 5_000_000 + ",B\n", encoding="utf-8")
    with pytest.raises(IntakeError, match="line 2 is longer"):
        list(read_requests(path).records)


def test_a_field_too_long_for_the_csv_module_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text('Last Name,First Name\n"' + "A\n" * 600_000 + '",B\n', encoding="utf-8")
    with pytest.raises(IntakeError, match="not readable as delimited text"):
        list(read_requests(path).records)


def test_reading_only_some_fields(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text(
        "Last Name,First Name,DOB,Reason\n" + "Diaz,Ana,1980-02-30,Because\n" * 2,
        encoding="utf-8",
    )
    light = list(read_requests(path, fields=("reason",)).records)
    assert [(r.reason, r.last_name, r.problems, r.duplicate_of) for r in light] == [
        ("Because", "", (), None),
        ("Because", "", (), None),
    ]
    with pytest.raises(ValueError, match="shoe_size"):
        read_requests(path, fields=("shoe_size",))
