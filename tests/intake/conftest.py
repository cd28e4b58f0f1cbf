"""Helpers for writing small request files in every supported format."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

import pytest

HEADER = ["Request ID", "First Name", "Last Name", "DOB", "Street", "City", "State", "ZIP"]
ROW = ["R1", "José", "Peña", "1980-04-12", "12 Main St", "Austin", "TX", "78701"]


def csv_text(rows: Sequence[Sequence[str]], *, delimiter: str = ",") -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


@pytest.fixture
def write_csv(tmp_path: Path):  # type: ignore[no-untyped-def]
    def write(
        rows: Sequence[Sequence[str]],
        *,
        name: str = "requests.csv",
        encoding: str = "utf-8",
        delimiter: str = ",",
    ) -> Path:
        path = tmp_path / name
        path.write_bytes(csv_text(rows, delimiter=delimiter).encode(encoding))
        return path

    return write
