"""Hypothesis: rows in == records out, in order; and no input crashes a reader.

Row conservation is the invariant the response relies on: every request row gets exactly one
answer. Fuzzing feeds arbitrary bytes (and mutated real files) to every reader; the only
exception allowed out is ``IntakeError`` (or ``MatchgateError`` subclasses).

The default example counts keep the suite fast; a longer fuzzing campaign multiplies them:
``MATCHGATE_FUZZ_SCALE=25 pytest tests/intake/test_intake_properties.py``.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matchgate.errors import MatchgateError
from matchgate.intake import read_requests

HEADER = ["request_id", "first_name", "last_name", "street", "zip", "reason"]
# Any text, including quotes, delimiters, newlines, control characters and non-ASCII; a cell
# may be long. Surrogates cannot be encoded and are excluded.
cells = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40
) | st.sampled_from(["", '"', ",", ";", "\n", "\r\n", "=SUM(A1)", "  ", "\x00", "NA NA"])
rows = st.lists(st.lists(cells, min_size=len(HEADER), max_size=len(HEADER)), max_size=30)
SCALE = max(1, int(os.environ.get("MATCHGATE_FUZZ_SCALE", "1")))


def examples(count: int) -> settings:
    return settings(
        max_examples=count * SCALE,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


SETTINGS = examples(60)


def _read_all(path: Path) -> list:  # type: ignore[type-arg]
    return list(read_requests(path).records)


@SETTINGS
@given(
    rows=rows,
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    quoting=st.sampled_from([csv.QUOTE_ALL, csv.QUOTE_MINIMAL]),
)
def test_csv_rows_in_equal_records_out(
    rows: list[list[str]], encoding: str, delimiter: str, quoting: int
) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, quoting=quoting, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "requests.csv"
        path.write_bytes(buffer.getvalue().encode(encoding))
        records = _read_all(path)
    assert len(records) == len(rows)
    assert [r.row_number for r in records] == list(range(1, len(rows) + 1))
    for record, row in zip(records, rows, strict=True):
        if not record.problems:
            assert record.request_id == " ".join(row[0].split())


@SETTINGS
@given(rows=rows)
def test_jsonl_rows_in_equal_records_out(rows: list[list[str]]) -> None:
    text = "".join(json.dumps(dict(zip(HEADER, row, strict=True))) + "\n" for row in rows)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "requests.jsonl"
        path.write_text(text or "\n", encoding="utf-8")
        try:
            records = _read_all(path)
        except MatchgateError:
            assert not rows  # an empty file is refused as a whole
            return
    assert [r.row_number for r in records] == list(range(1, len(rows) + 1))


SEED = (
    b"Last Name,First Name,DOB,Street,Zip\n"
    b'Diaz,Ana,1980-01-02,"12 Main St\nApt 4",78701\nRuiz,Luis,13/13/13,x,1\n'
)


@examples(200)
@given(
    data=st.binary(max_size=2_000)
    | st.builds(
        lambda cut, noise: SEED[:cut] + noise + SEED[cut:],
        st.integers(0, len(SEED)),
        st.binary(max_size=40),
    ),
    suffix=st.sampled_from([".csv", ".txt", ".jsonl", ".xlsx", ".parquet", ".tsv", ""]),
)
def test_readers_never_crash(data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"fuzz{suffix}"
        path.write_bytes(data)
        try:
            _read_all(path)
        except MatchgateError:
            pass


def _valid_binaries() -> dict[str, bytes]:
    import openpyxl
    import pyarrow as pa
    import pyarrow.parquet as pq

    with tempfile.TemporaryDirectory() as folder:
        xlsx_path, parquet_path = Path(folder) / "r.xlsx", Path(folder) / "r.parquet"
        workbook = openpyxl.Workbook()
        sheet = workbook.active
        for row in (["Last Name", "First Name", "Zip"], ["Diaz", "Ana", 2134], ["Ruiz", "L", 1]):
            sheet.append(row)
        workbook.save(xlsx_path)
        pq.write_table(
            pa.table({"last_name": ["Diaz"] * 3, "first_name": ["Ana"] * 3}), parquet_path
        )
        return {".xlsx": xlsx_path.read_bytes(), ".parquet": parquet_path.read_bytes()}


BINARIES = _valid_binaries()


@examples(120)
@given(
    suffix=st.sampled_from(sorted(BINARIES)),
    cut=st.floats(0, 1),
    length=st.integers(0, 64),
    noise=st.binary(min_size=1, max_size=64),
    truncate=st.booleans(),
)
def test_damaged_workbooks_and_parquet_never_crash(
    suffix: str, cut: float, length: int, noise: bytes, truncate: bool
) -> None:
    original = BINARIES[suffix]
    at = int(cut * len(original))
    data = original[:at] if truncate else original[:at] + noise + original[at + length :]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"fuzz{suffix}"
        path.write_bytes(data)
        try:
            _read_all(path)
        except MatchgateError:
            pass
