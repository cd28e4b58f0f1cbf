"""Rows a person must look at, and the evidence behind one row, read from a batch's files.

Read-only: the flagged rows and the evidence come from ``output/internal/decisions.csv``
(queried with DuckDB, so a page of a million-row batch does not stream the whole file
through Python); the request's own fields come from the batch database. Every TIN leaves
this module masked: pages never see one in full.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import duckdb

from matchgate import sql
from matchgate.decisions import Reason
from matchgate.errors import WorkspaceError
from matchgate.intake import REQUEST_FIELDS
from matchgate.server.batch_folders import batch_lock
from matchgate.server.errors import NotFoundError
from matchgate.server.masking import mask_tin

__all__ = [
    "FLAGGED_OUTCOMES",
    "FieldEvidence",
    "FlaggedRow",
    "RowEvidence",
    "flagged_rows",
    "request_fields",
    "row_evidence",
]

FLAGGED_OUTCOMES = ("needs_review", "ambiguous")

_COLUMNS = (
    "row_number, request_id, outcome, reason_codes, explanation, review_outcome, tin, "
    "best_probability, runner_up_tin, runner_up_probability, competitor_tins, evidence, "
    "reasons_json"
)
# The decisions file as a table; its path is the first ``?`` of every query below.
_SOURCE = "read_csv(?, header = true, all_varchar = true, delim = ',', quote = '\"')"
_FLAGGED = "WHERE outcome IN ('needs_review', 'ambiguous')"


def flagged_page_sql() -> str:
    """One page of the flagged rows (parameters: path, limit, offset), each row with the
    number of flagged rows in its last column."""
    return (
        f"SELECT row_number, request_id, outcome, reason_codes, explanation, "
        f"count(*) OVER () FROM {_SOURCE} {_FLAGGED} "
        f"ORDER BY CAST(row_number AS BIGINT) LIMIT ? OFFSET ?"
    )


def flagged_count_sql() -> str:
    """How many rows are flagged (parameter: path)."""
    return f"SELECT count(*) FROM {_SOURCE} {_FLAGGED}"


def row_evidence_sql() -> str:
    """The decisions file's columns for one row (parameters: path, row number)."""
    return f"SELECT {_COLUMNS} FROM {_SOURCE} WHERE CAST(row_number AS BIGINT) = ?"


def request_fields_sql() -> str:
    """The request fields of one staged row (parameter: row number)."""
    columns = ", ".join(f'"{name}"' for name in REQUEST_FIELDS)
    return f"SELECT {columns} FROM request_rows WHERE row_number = ?"


@dataclass(frozen=True, slots=True)
class FlaggedRow:
    row_number: int
    request_id: str
    outcome: str
    reason_codes: str
    explanation: str


@dataclass(frozen=True, slots=True)
class FieldEvidence:
    """One comparison of the best candidate: its level and its match weight (log2 odds)."""

    name: str
    level: str
    weight: float


@dataclass(frozen=True, slots=True)
class RowEvidence:
    row_number: int
    request_id: str
    outcome: str
    review_outcome: str
    reason_codes: str
    explanation: str
    reasons: tuple[Reason, ...]
    best_tin_masked: str
    best_probability: str
    runner_up_tin_masked: str
    runner_up_probability: str
    competitors_masked: tuple[str, ...]
    fields: tuple[FieldEvidence, ...]

    @property
    def total_weight(self) -> float:
        return round(sum(item.weight for item in self.fields), 3)

    @property
    def largest_weight(self) -> float:
        return max((abs(item.weight) for item in self.fields), default=0.0) or 1.0


def _query(
    path: Path, text: str, parameters: list[object], *, label: str
) -> list[tuple[object, ...]]:
    try:
        with duckdb.connect() as con:
            return sql.fetch_all(con, text, [str(path), *parameters], label=label)
    except duckdb.Error as exc:
        raise WorkspaceError(f"the decisions file cannot be read ({exc})", path=path) from exc


def flagged_rows(
    decisions: Path, *, limit: int = 200, offset: int = 0
) -> tuple[list[FlaggedRow], int]:
    """One page of the rows with outcome needs_review or ambiguous, and how many there are."""
    rows = _query(decisions, flagged_page_sql(), [limit, offset], label="review_queue.flagged_page")
    total = int(rows[0][5]) if rows else 0  # type: ignore[call-overload]
    if not rows and offset:
        counted = _query(decisions, flagged_count_sql(), [], label="review_queue.flagged_count")
        total = int(counted[0][0])  # type: ignore[call-overload]
    flagged = [
        FlaggedRow(
            row_number=int(str(row[0])),
            request_id=str(row[1] or ""),
            outcome=str(row[2] or ""),
            reason_codes=str(row[3] or ""),
            explanation=str(row[4] or ""),
        )
        for row in rows
    ]
    return flagged, total


def _fields(evidence: str) -> tuple[FieldEvidence, ...]:
    try:
        data = json.loads(evidence or "{}")
    except ValueError:
        return ()
    fields = [
        FieldEvidence(name=name, level=str(item.get("level", "")), weight=float(item["weight"]))
        for name, item in data.items()
        if isinstance(item, dict) and isinstance(item.get("weight"), int | float)
    ]
    # The waterfall reads from the strongest evidence for to the strongest against.
    return tuple(sorted(fields, key=lambda item: -item.weight))


def _reasons(text: str) -> tuple[Reason, ...]:
    try:
        return tuple(Reason(**item) for item in json.loads(text or "[]"))
    except (ValueError, TypeError):
        return ()


def row_evidence(decisions: Path, row_number: int) -> RowEvidence:
    rows = _query(decisions, row_evidence_sql(), [row_number], label="review_queue.row_evidence")
    if not rows:
        raise NotFoundError(f"the batch has no row {row_number}", row=row_number)
    values = dict(zip([c.strip() for c in _COLUMNS.split(",")], rows[0], strict=True))
    text = {key: str(value or "") for key, value in values.items()}
    return RowEvidence(
        row_number=row_number,
        request_id=text["request_id"],
        outcome=text["outcome"],
        review_outcome=text["review_outcome"],
        reason_codes=text["reason_codes"],
        explanation=text["explanation"],
        reasons=_reasons(text["reasons_json"]),
        best_tin_masked=mask_tin(text["tin"]),
        best_probability=text["best_probability"],
        runner_up_tin_masked=mask_tin(text["runner_up_tin"]),
        runner_up_probability=text["runner_up_probability"],
        competitors_masked=tuple(
            mask_tin(tin) for tin in text["competitor_tins"].split(";") if tin
        ),
        fields=_fields(text["evidence"]),
    )


def request_fields(database: Path, batch_id: str, row_number: int) -> dict[str, str] | None:
    """The request row as the requester sent it (TIN masked); None while the batch runs."""
    lock = batch_lock(batch_id)
    if not database.is_file() or not lock.acquire(blocking=False):
        return None
    try:
        with duckdb.connect(str(database), read_only=True) as con:
            row = sql.fetch_one(
                con, request_fields_sql(), [row_number], label="review_queue.request_fields"
            )
    except duckdb.Error:
        return None  # another process holds the batch database; the page says so
    finally:
        lock.release()
    if row is None:
        return None
    values = {name: str(value or "") for name, value in zip(REQUEST_FIELDS, row, strict=True)}
    values["tin"] = mask_tin(values["tin"])
    return values
