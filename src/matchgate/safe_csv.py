"""CSV output that a spreadsheet cannot turn into a formula.

Every file matchgate writes for people (responses, internal decisions, reports, disposal
notices) goes through here, so a request cell such as ``=HYPERLINK(...)`` or ``@SUM(...)``
is written back as text, never as something Excel or LibreOffice would execute.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

__all__ = ["FORMULA_PREFIXES", "SafeCsvWriter", "neutralize_cell"]

# OWASP's list: a leading =, +, -, @, tab or carriage return starts a formula or DDE call.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralize_cell(value: Any) -> str:
    """The cell's text, prefixed with a single quote if a spreadsheet would evaluate it.

    Numbers matchgate itself writes (probabilities, counts) are passed as int/float and
    left alone: a negative number is data, not a formula.
    """
    if type(value) is str:  # the common cell: plain text (no subclass, no conversion)
        return "'" + value if value.startswith(FORMULA_PREFIXES) else value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


class SafeCsvWriter:
    """A ``csv.writer`` whose every cell passes through :func:`neutralize_cell`."""

    def __init__(self, stream: IO[str], header: Sequence[str]) -> None:
        self._writer = csv.writer(stream, lineterminator="\n")
        self.header = list(header)
        self._writer.writerow(self.header)

    def write_row(self, row: Mapping[str, Any]) -> None:
        self._writer.writerow([neutralize_cell(row.get(name)) for name in self.header])

    def write_rows(self, rows: Iterable[Mapping[str, Any]]) -> None:
        for row in rows:
            self.write_row(row)

    @classmethod
    def write_file(
        cls, path: Path, header: Sequence[str], rows: Iterable[Mapping[str, Any]]
    ) -> int:
        """Write a whole file; returns the number of data rows written."""
        path.parent.mkdir(parents=True, exist_ok=True)
        count = 0
        with path.open("w", encoding="utf-8", newline="") as stream:
            writer = cls(stream, header)
            for row in rows:
                writer.write_row(row)
                count += 1
        return count
