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
    con.execute("DROP TABLE IF EXISTS request_rows")
    con.execute(
        "CREATE TABLE request_rows ("
        "row_number BIGINT PRIMARY KEY, "
        + ", ".join(f'"{name}" VARCHAR' for name in REQUEST_FIELDS)
        + ", problems VARCHAR, duplicate_of BIGINT)"
    )
    count = 0
    chunk: list[RequestRecord] = []

    def flush() -> None:
        con.register("_staging_chunk", pa.Table.from_batches([_batch(chunk)], schema=_SCHEMA))
        con.execute("INSERT INTO request_rows SELECT * FROM _staging_chunk")
        con.unregister("_staging_chunk")
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


def read_staged_rows(con: duckdb.DuckDBPyConnection) -> Iterator[StagedRow]:
    """Staged rows in input order, a chunk at a time."""
    cursor = con.cursor()
    cursor.execute(
        "SELECT row_number, "
        + ", ".join(f'"{name}"' for name in REQUEST_FIELDS)
        + ", problems, duplicate_of FROM request_rows ORDER BY row_number"
    )
    while True:
        rows = cursor.fetchmany(_CHUNK)
        if not rows:
            break
        for row in rows:
            values = dict(zip(REQUEST_FIELDS, row[1 : 1 + len(REQUEST_FIELDS)], strict=True))
            problems = tuple(Reason(**p) for p in json.loads(row[-2] or "[]"))
            record = RequestRecord(
                row_number=int(row[0]),
                **{k: v or "" for k, v in values.items()},
                problems=problems,
                duplicate_of=row[-1],
            )
            yield StagedRow(row_number=record.row_number, record=record)
    cursor.close()
