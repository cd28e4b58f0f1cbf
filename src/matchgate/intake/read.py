"""``read_requests``: any supported request file in, one :class:`RequestRecord` per row out.

Rows are never dropped: a row that cannot be used is still yielded, with its problems, so the
response accounts for it. Only a file that cannot be read at all raises :class:`IntakeError`.
Records stream; memory stays bounded apart from one 16-byte fingerprint per row, kept to flag
duplicate rows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from matchgate.decisions import Reason
from matchgate.errors import IntakeError
from matchgate.intake import json_lines, parquet, text_files, xlsx
from matchgate.intake.columns import ColumnPlan, load_mapping, plan_columns
from matchgate.intake.record import REQUEST_FIELDS, RequestRecord
from matchgate.intake.values import (
    cell_text,
    check_dob,
    check_state,
    check_text,
    check_tin,
    split_full_name,
    unswap_city_state,
)

__all__ = ["FORMATS", "RequestFile", "read_requests"]

FORMATS = ("csv", "xlsx", "parquet", "jsonl", "tin_bulk")
PROGRESS_EVERY = 10_000

# TIN types of the IRS TIN Matching bulk format (Publication 2108-A).
TIN_BULK_EIN = "1"
TIN_BULK_SSN = "2"  # SSN, ITIN or ATIN
TIN_BULK_UNKNOWN = "3"
_TIN_BULK_MAPPING = {"type": "ignore", "tin": "tin", "name": "full_name", "account": "request_id"}
_NAME_PARTS = ("first_name", "middle_name", "last_name", "suffix")
_FINGERPRINT_FIELDS = tuple(name for name in REQUEST_FIELDS if name != "request_id")


@dataclass(slots=True)
class RequestFile:
    """A request file opened for reading. ``records`` streams and can be consumed once."""

    path: Path
    format: str
    columns_mapped: dict[str, str]
    unknown_columns: list[str]
    records: Iterator[RequestRecord]
    absent_fields: list[str] = field(default_factory=list)
    encoding: str | None = None
    delimiter: str | None = None
    sheets: list[str] = field(default_factory=list)


class _RecordBuilder:
    """Builds records for one column plan; the per-row hot path of intake."""

    def __init__(self, plan: ColumnPlan, fields: Collection[str] | None = None) -> None:
        self.plan = plan
        self.width = len(plan.header)
        wanted = set(REQUEST_FIELDS if fields is None else fields)
        self.sources = [(name, cols) for name, cols in plan.sources.items() if name in wanted]
        self.full_name = plan.full_name if wanted & set(_NAME_PARTS) else None

    def build(
        self, row_number: int, cells: Sequence[Any], problems: list[Reason] | None = None
    ) -> RequestRecord:
        problems = problems if problems is not None else []
        values: dict[str, Any] = {}
        count = len(cells)
        for name, positions in self.sources:
            parts = []
            for position in positions:
                raw = cells[position] if position < count else None
                text, problem = (raw, None) if type(raw) is str else cell_text(raw, name)
                if problem is None:
                    text, problem = check_text(text, name)
                if problem is not None:
                    problems.append(problem)
                elif text:
                    parts.append(text)
            values[name] = " ".join(parts)
        if self.full_name is not None:
            position = self.full_name
            raw = cells[position] if position < count else None
            text, problem = (raw, None) if type(raw) is str else cell_text(raw, "name")
            if problem is None:
                text, problem = check_text(text, "name")
            if problem is not None:
                problems.append(problem)
            else:
                values.update(zip(_NAME_PARTS, split_full_name(text), strict=True))
        if count > self.width and any(cell not in (None, "") for cell in cells[self.width :]):
            problems.append(
                Reason(
                    code="row_extra_cells",
                    message=f"Row has {count} cells but the header has {self.width} columns; "
                    "its values may be shifted.",
                )
            )
        if values.get("state") and values.get("city"):
            values["city"], values["state"] = unswap_city_state(values["city"], values["state"])
        for name, check in (("dob", check_dob), ("tin", check_tin), ("state", check_state)):
            value = values.get(name)
            if value:
                values[name], problem = check(value)
                if problem is not None:
                    problems.append(problem)
        return RequestRecord(row_number=row_number, problems=tuple(problems), **values)

    def malformed(self, row_number: int, message: str) -> RequestRecord:
        return RequestRecord(
            row_number=row_number,
            problems=(Reason(code="row_malformed", message=f"Row {message}."),),
        )


def _fingerprint(record: RequestRecord) -> bytes:
    text = "\x1f".join(getattr(record, name) for name in _FINGERPRINT_FIELDS).casefold()
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _finish(
    records: Iterable[RequestRecord],
    progress: Callable[[int], None] | None,
    *,
    flag_duplicates: bool = True,
) -> Iterator[RequestRecord]:
    """Flag duplicates and report progress; the last stage of every reader."""
    first_seen: dict[bytes, int] = {}
    count = 0
    for record in records:
        count += 1
        if not flag_duplicates:
            if progress is not None and count % PROGRESS_EVERY == 0:
                progress(count)
            yield record
            continue
        key = _fingerprint(record)
        first = first_seen.setdefault(key, record.row_number)
        if first != record.row_number:
            record = RequestRecord(
                **{name: getattr(record, name) for name in RequestRecord.__slots__}
                | {"duplicate_of": first}
            )
        if progress is not None and count % PROGRESS_EVERY == 0:
            progress(count)
        yield record
    if progress is not None:
        progress(count)


def _detect_format(path: Path) -> str:
    if not path.exists():
        raise IntakeError("no such file", path=path)
    if not path.is_file():
        raise IntakeError("not a regular file", path=path)
    try:
        with path.open("rb") as stream:
            head = stream.read(512)
    except OSError as exc:
        raise IntakeError(f"cannot read the file: {exc.strerror or exc}", path=path) from exc
    if not head.strip():
        raise IntakeError("the file is empty", path=path)
    suffix = path.suffix.casefold()
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise IntakeError("old binary Excel (.xls) is not supported; save it as .xlsx", path=path)
    if suffix in {".xlsx", ".xlsm", ".parquet", ".pq"}:
        raise IntakeError(f"the extension says {suffix} but the content is not", path=path)
    if suffix in {".jsonl", ".ndjson", ".json"} or head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{":
        return "jsonl"
    return "csv"


def _rows_text(
    path: Path, mapping: dict[str, str] | None, fields: Collection[str] | None
) -> tuple[RequestFile, _RecordBuilder]:
    layout = text_files.detect_layout(path)
    if layout.tin_bulk:
        lines = text_files.count_nonblank_lines(
            path, layout.encoding, stop_after=text_files.TIN_BULK_MAX_ROWS
        )
        if lines > text_files.TIN_BULK_MAX_ROWS:
            raise IntakeError(
                f"a TIN Matching bulk file holds at most {text_files.TIN_BULK_MAX_ROWS:,} rows; "
                "split it",
                path=path,
            )
        plan = plan_columns(text_files.TIN_BULK_HEADER, mapping=_TIN_BULK_MAPPING, source=path)
        builder = _RecordBuilder(plan, fields)
        records = _tin_bulk_records(path, layout.encoding, builder)
        fmt = "tin_bulk"
    else:
        rows = text_files.iter_csv_rows(path, layout)
        header = next(rows, None)
        if header is None:
            raise IntakeError("the file is empty", path=path)
        plan = plan_columns(header, mapping=mapping, source=path)
        builder = _RecordBuilder(plan, fields)
        records = (builder.build(n, row) for n, row in enumerate(rows, start=1))
        fmt = "csv"
    request_file = RequestFile(
        path=path,
        format=fmt,
        columns_mapped=dict(plan.columns_mapped),
        unknown_columns=list(plan.unknown_columns),
        records=records,
        absent_fields=plan.absent_fields,
        encoding=layout.encoding,
        delimiter=layout.delimiter,
    )
    return request_file, builder


def _tin_bulk_records(
    path: Path, encoding: str, builder: _RecordBuilder
) -> Iterator[RequestRecord]:
    """Rows of an IRS TIN Matching bulk file (Publication 2108-A): ``type;TIN;name;account``.

    The publication's TIN types: 1 = EIN, 2 = SSN (ITINs and ATINs included), 3 = unknown.
    Only individuals are looked up, so an EIN row is refused; an unknown type is looked up
    as an individual (the master file holds individuals only, so a business's EIN finds no
    one, and the usual name, date-of-birth and TIN rules decide as for any other row).
    """
    lines = text_files.iter_text_lines(path, encoding, max_chars=text_files.MAX_FIELD_CHARS)
    for number, line in enumerate(lines, start=1):
        cells = [cell.strip() for cell in line.split(";")]
        problems: list[Reason] = []
        tin_type = cells[0]
        if tin_type == TIN_BULK_EIN:
            problems.append(
                Reason(
                    code="tin_type_business",
                    message=f"{path.name}, row {number}, field 'type': TIN type 1 is an EIN"
                    " (a business, IRS Publication 2108-A); only individuals are looked up.",
                    field="type",
                )
            )
        elif tin_type not in {TIN_BULK_SSN, TIN_BULK_UNKNOWN}:
            problems.append(
                Reason(
                    code="tin_type_invalid",
                    message=f"{path.name}, row {number}, field 'type': TIN type {tin_type!r} is"
                    " not 1 (EIN), 2 (SSN, ITIN or ATIN) or 3 (unknown), the codes of IRS"
                    " Publication 2108-A.",
                    field="type",
                )
            )
        yield builder.build(number, cells, problems)


def _read_xlsx(
    path: Path,
    sheet: str | None,
    mapping: dict[str, str] | None,
    fields: Collection[str] | None,
) -> RequestFile:
    headers = xlsx.sheet_headers(path, sheet)
    if not headers:
        raise IntakeError("the workbook has no data", path=path)
    builders: dict[str, _RecordBuilder] = {}
    columns_mapped: dict[str, str] = {}
    unknown: list[str] = []
    for name, header in headers:
        texts = [cell_text(cell, "header")[0] for cell in header]
        plan = plan_columns(texts, mapping=mapping, source=f"{path} (sheet {name!r})")
        builders[name] = _RecordBuilder(plan, fields)
        columns_mapped.update(plan.columns_mapped)
        unknown.extend(column for column in plan.unknown_columns if column not in unknown)

    def records() -> Iterator[RequestRecord]:
        number = 0
        for name, rows in xlsx.iter_sheets(path, list(builders)):
            builder = builders[name]
            for row in rows:
                number += 1
                yield builder.build(number, row)

    first = next(iter(builders.values())).plan
    return RequestFile(
        path=path,
        format="xlsx",
        columns_mapped=columns_mapped,
        unknown_columns=unknown,
        records=records(),
        absent_fields=first.absent_fields,
        sheets=list(builders),
    )


def _read_parquet(
    path: Path, mapping: dict[str, str] | None, fields: Collection[str] | None
) -> RequestFile:
    plan = plan_columns(parquet.parquet_header(path), mapping=mapping, source=path)
    builder = _RecordBuilder(plan, fields)
    rows = parquet.iter_parquet_rows(path)
    return RequestFile(
        path=path,
        format="parquet",
        columns_mapped=dict(plan.columns_mapped),
        unknown_columns=list(plan.unknown_columns),
        records=(builder.build(n, row) for n, row in enumerate(rows, start=1)),
        absent_fields=plan.absent_fields,
    )


def _read_jsonl(
    path: Path, mapping: dict[str, str] | None, fields: Collection[str] | None
) -> RequestFile:
    layout = text_files.detect_layout(path)
    keys = json_lines.first_object_keys(path, layout.encoding)
    plan = plan_columns(keys, mapping=mapping, source=path)
    builder = _RecordBuilder(plan, fields)
    known = set(keys)
    unknown = list(plan.unknown_columns)

    def records() -> Iterator[RequestRecord]:
        items = json_lines.iter_json_objects(path, layout.encoding)
        for number, item in enumerate(items, start=1):
            if isinstance(item, json_lines.MalformedLine):
                yield builder.malformed(number, item.message)
                continue
            for key, value in item.items():
                if key not in known and value not in (None, ""):
                    known.add(key)
                    unknown.append(key)  # only the first object's keys are ever read
            yield builder.build(number, [item.get(key) for key in keys])

    return RequestFile(
        path=path,
        format="jsonl",
        columns_mapped=dict(plan.columns_mapped),
        unknown_columns=unknown,
        records=records(),
        absent_fields=plan.absent_fields,
        encoding=layout.encoding,
    )


def read_requests(
    path: Path,
    *,
    mapping: Path | None = None,
    sheet: str | None = None,
    progress: Callable[[int], None] | None = None,
    fields: Collection[str] | None = None,
) -> RequestFile:
    """Open a request file (CSV, XLSX, Parquet, JSON Lines or TIN-Matching bulk).

    The format comes from the content (and the extension where content cannot tell).
    ``mapping`` is a TOML file of ``[columns]``; ``sheet`` restricts an XLSX file to one sheet;
    ``progress`` is called with the number of rows read so far (every 10,000 and at the end).
    ``fields`` reads only those fields (the rest stay ``""``, no duplicates are flagged): a
    cheap pass for batch-wide counts, e.g. ``fields=("reason", "case_number")``. Records read
    that way must not be reviewed or matched.
    Raises :class:`IntakeError` when the file cannot be read at all or lacks name columns.
    """
    if fields is not None and not set(fields) <= set(REQUEST_FIELDS):
        raise ValueError(f"unknown fields: {sorted(set(fields) - set(REQUEST_FIELDS))}")
    path = Path(path)
    columns = load_mapping(mapping) if mapping is not None else None
    fmt = _detect_format(path)
    if fmt == "xlsx":
        request_file = _read_xlsx(path, sheet, columns, fields)
    elif fmt == "parquet":
        request_file = _read_parquet(path, columns, fields)
    elif fmt == "jsonl":
        request_file = _read_jsonl(path, columns, fields)
    else:
        request_file, _ = _rows_text(path, columns, fields)
    request_file.records = _finish(request_file.records, progress, flag_duplicates=fields is None)
    return request_file


def record_from_fields(row_number: int, values: dict[str, Any]) -> RequestRecord:
    """One request given as field values (a look-up), checked as intake checks a file's row:
    the same cell, date, TIN and state checks, the same problems."""
    unknown = sorted(set(values) - set(REQUEST_FIELDS))
    if unknown:
        raise ValueError(f"unknown fields: {unknown}")
    builder = _RecordBuilder(plan_columns(list(REQUEST_FIELDS), source="look-up"))
    return builder.build(row_number, [values.get(name) for name in REQUEST_FIELDS])
