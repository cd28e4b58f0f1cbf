"""Request rows staged in the batch's DuckDB file between stages.

Intake streams records in; later stages stream them back out in input order. Problems
are kept as JSON so an ``invalid`` row's reasons survive the round trip exactly.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from matchgate import sql
from matchgate.batch.faults import chunk_rows, kill_point
from matchgate.decisions import Reason
from matchgate.intake import REQUEST_FIELDS, RequestRecord

__all__ = ["StagedRow", "read_staged_rows", "stage_records"]

_CHUNK = 20_000
_SCHEMA = pa.schema(
    [
        ("row_number", pa.int64()),
        *[(name, pa.string()) for name in REQUEST_FIELDS],
        ("problems", pa.string()),
        ("duplicate_of", pa.int64()),
    ]
)


_DROP_REQUEST_ROWS = "DROP TABLE IF EXISTS request_rows"
_INSERT_CHUNK = "INSERT INTO request_rows SELECT * FROM _staging_chunk"


def create_request_rows_sql() -> str:
    """``request_rows``: the row number, every request field as text, problems, duplicate_of."""
    return (
        "CREATE TABLE request_rows ("
        "row_number BIGINT PRIMARY KEY, "
        + ", ".join(f'"{name}" VARCHAR' for name in REQUEST_FIELDS)
        + ", problems VARCHAR, duplicate_of BIGINT)"
    )


def read_request_rows_sql(*, after: int = 0, readable_only: bool = False) -> str:
    """Every staged row in input order, columns as ``create_request_rows_sql`` made them;
    only rows after row ``after``, and (``readable_only``) only rows intake found no
    problem in."""
    where = f"WHERE row_number > {int(after)}"
    if readable_only:
        where += " AND problems = '[]'"
    return (
        "SELECT row_number, "
        + ", ".join(f'"{name}"' for name in REQUEST_FIELDS)
        + f", problems, duplicate_of FROM request_rows {where} ORDER BY row_number"
    )


@dataclass(frozen=True, slots=True)
class StagedRow:
    row_number: int
    record: RequestRecord


def _batch(records: list[RequestRecord]) -> pa.RecordBatch:
    columns: dict[str, list[object]] = {name: [] for name in _SCHEMA.names}
    for record in records:
        columns["row_number"].append(record.row_number)
        for name in REQUEST_FIELDS:
            columns[name].append(getattr(record, name))
        columns["problems"].append(json.dumps([p.as_dict() for p in record.problems]))
        columns["duplicate_of"].append(record.duplicate_of)
    return pa.RecordBatch.from_pydict(columns, schema=_SCHEMA)


def stage_records(
    con: duckdb.DuckDBPyConnection,
    records: Iterable[RequestRecord],
    *,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write every record into ``request_rows``; returns the number of rows."""
    sql.run(con, _DROP_REQUEST_ROWS, label="staging.drop_request_rows")
    sql.run(con, create_request_rows_sql(), label="staging.create_request_rows")
    count = 0
    chunk: list[RequestRecord] = []

    def flush() -> None:
        table = pa.Table.from_batches([_batch(chunk)], schema=_SCHEMA)
        with sql.registered(con, "_staging_chunk", table):
            sql.run(con, _INSERT_CHUNK, label="staging.insert_chunk")
        kill_point("intake_chunk")

    for record in records:
        chunk.append(record)
        count += 1
        if len(chunk) >= chunk_rows(_CHUNK):
            flush()
            chunk = []
            if progress:
                progress(count)
    if chunk:
        flush()
    if progress:
        progress(count)
    return count


def read_staged_rows(
    con: duckdb.DuckDBPyConnection, *, after: int = 0, readable_only: bool = False
) -> Iterator[StagedRow]:
    """Staged rows in input order, a chunk at a time (see :func:`read_request_rows_sql`)."""
    cursor = con.cursor()
    sql.run(
        cursor,
        read_request_rows_sql(after=after, readable_only=readable_only),
        label="staging.read_request_rows",
    )
    last = 1 + len(REQUEST_FIELDS)
    while True:
        rows = cursor.fetchmany(_CHUNK)
        if not rows:
            break
        for row in rows:
            problems_text = row[-2]
            problems = (
                tuple(Reason(**p) for p in json.loads(problems_text))
                if problems_text and problems_text != "[]"
                else ()
            )
            record = RequestRecord(
                row_number=int(row[0]),
                **{
                    name: value or ""
                    for name, value in zip(REQUEST_FIELDS, row[1:last], strict=True)
                },
                problems=problems,
                duplicate_of=row[-1],
            )
            yield StagedRow(row_number=record.row_number, record=record)
    cursor.close()
