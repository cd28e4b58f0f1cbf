"""Reading Parquet request files in record batches (bounded memory whatever the file size)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from matchgate.errors import IntakeError

__all__ = ["BATCH_ROWS", "parquet_header", "iter_parquet_rows"]

BATCH_ROWS = 16_384


def _open(path: Path) -> Any:
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError, ... on a damaged file
        raise IntakeError(f"not a readable Parquet file ({exc})", path=path) from exc


def parquet_header(path: Path) -> list[str]:
    parquet_file = _open(path)
    try:
        return list(parquet_file.schema_arrow.names)
    finally:
        parquet_file.close()


def iter_parquet_rows(path: Path) -> Iterator[tuple[Any, ...]]:
    parquet_file = _open(path)
    try:
        for batch in parquet_file.iter_batches(batch_size=BATCH_ROWS):
            columns = [column.to_pylist() for column in batch.columns]
            if not columns:
                yield from [()] * batch.num_rows
                continue
            yield from zip(*columns, strict=True)
    except IntakeError:
        raise
    except Exception as exc:
        raise IntakeError(f"Parquet data is damaged ({exc})", path=path) from exc
    finally:
        parquet_file.close()
