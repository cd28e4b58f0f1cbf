"""Reading Excel workbooks: every sheet (or one named sheet), streamed with openpyxl read-only.

An .xlsx file is a zip archive; before openpyxl touches it the members' declared sizes are
checked, so a zip bomb (a tiny file that inflates to gigabytes) is refused up front.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from matchgate.errors import IntakeError

__all__ = ["MAX_COMPRESSION_RATIO", "MAX_UNCOMPRESSED_BYTES", "check_zip", "iter_sheets"]

MAX_UNCOMPRESSED_BYTES = 4 * (1 << 30)
# Worksheet XML compresses about 10-30x; 200x is far beyond what real data produces.
MAX_COMPRESSION_RATIO = 200
_RATIO_FLOOR_BYTES = 1 << 20  # tiny members compress oddly and cannot hurt anyone


def check_zip(path: Path) -> None:
    """Refuse archives that are corrupt or would inflate beyond the limits."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise IntakeError(f"not a readable .xlsx workbook ({exc})", path=path) from exc
    total = 0
    for member in members:
        total += member.file_size
        if member.file_size > _RATIO_FLOOR_BYTES and member.file_size > MAX_COMPRESSION_RATIO * max(
            member.compress_size, 1
        ):
            raise IntakeError(
                f"workbook member {member.filename!r} inflates {member.file_size:,} bytes from "
                f"{member.compress_size:,} (over {MAX_COMPRESSION_RATIO}x): refused as a zip bomb",
                path=path,
            )
    if total > MAX_UNCOMPRESSED_BYTES:
        raise IntakeError(
            f"workbook inflates to {total:,} bytes, over the {MAX_UNCOMPRESSED_BYTES:,} limit",
            path=path,
        )


def _open(path: Path) -> Any:
    import openpyxl

    check_zip(path)
    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a damaged workbook
        raise IntakeError(f"not a readable .xlsx workbook ({exc})", path=path) from exc


def _non_empty_rows(sheet: Any, path: Path) -> Iterator[tuple[Any, ...]]:
    try:
        for row in sheet.iter_rows(values_only=True):
            if any(cell is not None and cell != "" for cell in row):
                yield row
    except IntakeError:
        raise
    except Exception as exc:
        raise IntakeError(f"sheet {sheet.title!r} is damaged ({exc})", path=path) from exc


def sheet_headers(path: Path, sheet: str | None) -> list[tuple[str, tuple[Any, ...]]]:
    """``(sheet name, header row)`` for every sheet with data (or the one named)."""
    workbook = _open(path)
    try:
        names = list(workbook.sheetnames)
        if sheet is not None and sheet not in names:
            raise IntakeError(
                f"has no sheet {sheet!r} (sheets: {', '.join(names)})", path=path, field="sheet"
            )
        headers = []
        for name in [sheet] if sheet is not None else names:
            first = next(_non_empty_rows(workbook[name], path), None)
            if first is not None:
                headers.append((name, first))
        return headers
    finally:
        workbook.close()


def iter_sheets(path: Path, names: list[str]) -> Iterator[tuple[str, Iterator[tuple[Any, ...]]]]:
    """For each named sheet, its data rows after the header row, streamed."""
    workbook = _open(path)
    try:
        for name in names:
            rows = _non_empty_rows(workbook[name], path)
            next(rows, None)  # header
            yield name, rows
    finally:
        workbook.close()
