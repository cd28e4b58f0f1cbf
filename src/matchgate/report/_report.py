"""Write the yearly report to a folder, and check a written one against the ledger.

DIR holds ``index.html`` (self-contained), one CSV per table, one PNG per chart, and
``report.json``: the year, the ledger's last entry read (sequence and hash) and when the
report was made. ``verify_report`` reads the ledger up to that entry again, recomputes
every table and chart, and names the first cell that differs.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from matchgate.errors import LedgerError
from matchgate.ledger._entries import format_timestamp
from matchgate.report._charts import Chart, draw_charts
from matchgate.report._html import read_html_tables, render_html
from matchgate.report._source import Entry, LedgerSource
from matchgate.report._tables import ReportTables, Table, build_tables
from matchgate.safe_csv import SafeCsvWriter, neutralize_cell

__all__ = ["ReportCheck", "WrittenReport", "compute_report", "verify_report", "write_report"]

MANIFEST = "report.json"
FORMAT = "matchgate-yearly-report/1"


@dataclass(frozen=True, slots=True)
class WrittenReport:
    folder: Path
    tables: ReportTables
    files: tuple[str, ...]
    last_sequence: int


@dataclass(frozen=True, slots=True)
class ReportCheck:
    ok: bool
    problem: str = ""
    cells_checked: int = 0
    last_sequence: int = 0


def compute_report(
    source: LedgerSource, *, year: int, up_to: int | None = None
) -> tuple[ReportTables, Entry | None]:
    """The report's tables from a verified ledger, up to sequence ``up_to`` (default: all),
    and the last entry read."""
    last_sequence = source.verify()
    limit = last_sequence if up_to is None else min(up_to, last_sequence)
    last: Entry | None = None

    def tracked() -> Iterator[Entry]:
        nonlocal last
        for entry in source.entries(up_to=limit):
            last = entry
            yield entry

    tables = build_tables(tracked(), year=year)
    return tables, last


def table_csv_text(table: Table) -> str:
    buffer = io.StringIO()
    writer = SafeCsvWriter(buffer, table.columns)
    writer.write_rows(dict(zip(table.columns, row, strict=True)) for row in table.rows)
    return buffer.getvalue()


def write_page_folder(
    out: Path,
    *,
    tables: Sequence[Table],
    charts: Sequence[Chart],
    page: str,
    manifest: tuple[str, dict[str, Any]],
) -> list[str]:
    """Write one CSV per table, one PNG per chart, ``index.html`` and the manifest (JSON)
    into ``out``; the names written, in that order. OSError is the caller's to translate."""
    files: list[str] = []
    out.mkdir(parents=True, exist_ok=True)
    for table in tables:
        (out / f"{table.name}.csv").write_text(table_csv_text(table), encoding="utf-8", newline="")
        files.append(f"{table.name}.csv")
    for chart in charts:
        (out / f"{chart.name}.png").write_bytes(chart.png)
        files.append(f"{chart.name}.png")
    (out / "index.html").write_text(page, encoding="utf-8")
    files.append("index.html")
    name, content = manifest
    (out / name).write_text(json.dumps(content, indent=2) + "\n", encoding="utf-8")
    files.append(name)
    return files


def write_report(
    source: LedgerSource, *, year: int, out: Path, now: datetime | None = None
) -> WrittenReport:
    if out.exists() and not out.is_dir():
        raise LedgerError("the report folder is a file", path=out)
    tables, last = compute_report(source, year=year)
    charts = draw_charts(tables)
    last_sequence = last.sequence if last else 0
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "year": year,
        "source": source.describe(),
        "last_sequence": last_sequence,
        "last_entry_hash": last.entry_hash if last else "",
        "as_of": last.recorded_at if last else "",
        "generated_at": format_timestamp(now or datetime.now(UTC)),
        "tables": [table.name for table in tables.tables],
        "charts": [chart.name for chart in charts],
    }
    try:
        files = write_page_folder(
            out,
            tables=tables.tables,
            charts=charts,
            page=render_html(tables, charts, _meta(manifest)),
            manifest=(MANIFEST, manifest),
        )
    except OSError as exc:
        raise LedgerError(f"cannot write the report: {exc}", path=out) from exc
    return WrittenReport(folder=out, tables=tables, files=tuple(files), last_sequence=last_sequence)


def _meta(manifest: dict[str, Any]) -> dict[str, str]:
    return {
        "year": str(manifest["year"]),
        "ledger": str(manifest["source"]),
        "entries read": f"1..{manifest['last_sequence']} (last entry hash"
        f" {str(manifest['last_entry_hash'])[:16]}...)",
        "as of": str(manifest["as_of"]),
        "generated": str(manifest["generated_at"]),
        "check it": "matchgate report verify DIR --workspace WS"
        " (or --file ledger.jsonl --public-key ledger.pub)",
    }


def _read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise LedgerError(f"not a matchgate report folder: {exc}", path=path) from exc
    except json.JSONDecodeError as exc:
        raise LedgerError(f"the report's manifest is not JSON: {exc}", path=path) from exc
    if not isinstance(value, dict) or value.get("format") != FORMAT:
        raise LedgerError(f"the manifest is not a {FORMAT} manifest", path=path)
    for key, kind in (("year", int), ("last_sequence", int), ("last_entry_hash", str)):
        if not isinstance(value.get(key), kind):
            raise LedgerError(f"the manifest's {key} is missing or malformed", path=path, field=key)
    return value


def _compare_rows(where: str, table: Table, found: list[list[str]]) -> tuple[str, int]:
    """('' or the first difference, cells compared); ``found`` has the header row first."""
    expected = [list(table.columns), *(list(row) for row in table.rows)]
    checked = 0
    for index in range(max(len(expected), len(found))):
        if index >= len(found):
            return f"{where}: row {index} is missing (the ledger gives {expected[index]})", checked
        if index >= len(expected):
            return f"{where}: row {index} is not in the ledger's figures: {found[index]}", checked
        want, have = expected[index], found[index]
        for column in range(max(len(want), len(have))):
            name = table.columns[column] if column < len(table.columns) else f"#{column + 1}"
            a = want[column] if column < len(want) else "(no cell)"
            b = have[column] if column < len(have) else "(no cell)"
            if a != b:
                label = "header" if index == 0 else f"row {index} ({table.columns[0]} {want[0]!r})"
                return (
                    f"{where}: {label}, column {name}: the report says {b!r},"
                    f" the ledger gives {a!r}",
                    checked,
                )
            checked += 1
    return "", checked


def verify_report(folder: Path, source: LedgerSource) -> ReportCheck:
    """Recompute the report in ``folder`` from the ledger; ok, or the first difference."""
    manifest = _read_manifest(folder)
    up_to = int(manifest["last_sequence"])
    tables, last = compute_report(source, year=int(manifest["year"]), up_to=up_to)
    if (last.sequence if last else 0) != up_to:
        return ReportCheck(False, f"the ledger has no entry {up_to}; the report read up to it")
    if last is not None and last.entry_hash != manifest["last_entry_hash"]:
        return ReportCheck(
            False,
            f"entry {up_to} of this ledger is not the one the report was made from"
            " (its hash differs)",
        )
    checked = 0
    names = [table.name for table in tables.tables]
    if list(manifest.get("tables", [])) != names:
        return ReportCheck(
            False, f"the manifest lists tables {manifest.get('tables')}, expected {names}"
        )
    html_path = folder / "index.html"
    try:
        html_tables = read_html_tables(html_path.read_text(encoding="utf-8"))
    except OSError as exc:
        return ReportCheck(False, f"index.html cannot be read: {exc}")
    for table in tables.tables:
        path = folder / f"{table.name}.csv"
        try:
            with path.open(encoding="utf-8", newline="") as stream:
                found = list(csv.reader(stream))
        except OSError as exc:
            return ReportCheck(False, f"{path.name} cannot be read: {exc}")
        problem, count = _compare_rows(path.name, _as_written(table), found)
        checked += count
        if problem:
            return ReportCheck(False, problem, checked, up_to)
        problem, count = _compare_rows(
            f"index.html table {table.name}", table, html_tables.get(table.name, [])
        )
        checked += count
        if problem:
            return ReportCheck(False, problem, checked, up_to)
    for chart in draw_charts(tables):
        path = folder / f"{chart.name}.png"
        if not path.is_file() or path.read_bytes() != chart.png:
            return ReportCheck(
                False, f"{path.name} is not the chart the ledger draws", checked, up_to
            )
    return ReportCheck(True, "", checked, up_to)


def _as_written(table: Table) -> Table:
    """The table's cells as the CSV holds them (a formula-like cell is quoted)."""
    rows = tuple(tuple(neutralize_cell(value) for value in row) for row in table.rows)
    return Table(table.name, table.title, table.source, table.columns, rows)
