"""Every row's final outcome, assembled from the stage tables, and the files written from it.

``final_rows`` is built once per batch from ``request_rows`` (intake), ``review_results``
(review), ``match_decisions`` (match) and the disclosed addresses; the response, the
internal decisions file and the ledger entries are all written from it, so they agree
with each other and a resumed batch writes exactly what an uninterrupted one would.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from matchgate import sql
from matchgate.batch.faults import kill_point
from matchgate.batch.memo import BoundedMemo
from matchgate.decisions import Outcome, Reason, join_codes
from matchgate.disclose import RESPONSE_COLUMNS, DisclosedAddress, RequestShape, ResponseRow
from matchgate.match import MatchDecision, evidence_json
from matchgate.safe_csv import SafeCsvWriter

__all__ = [
    "DECISION_COLUMNS",
    "FinalRow",
    "build_final_rows",
    "final_outcome",
    "read_final_rows",
    "reasons_from_json",
    "reasons_to_json",
    "write_outputs",
]

_CHUNK = 20_000

DECISION_COLUMNS: tuple[str, ...] = (
    *RESPONSE_COLUMNS,
    "review_outcome",
    "tin",
    "best_probability",
    "runner_up_tin",
    "runner_up_probability",
    "competitor_tins",
    "evidence",
    "reasons_json",
)

_FINAL_SCHEMA = pa.schema(
    [
        ("row_number", pa.int64()),
        ("request_id", pa.string()),
        ("outcome", pa.string()),
        ("reasons_json", pa.string()),
        ("review_outcome", pa.string()),
        ("decision_json", pa.string()),
        ("street", pa.string()),
        ("city", pa.string()),
        ("state", pa.string()),
        ("zip", pa.string()),
        ("tax_year", pa.int32()),
        ("duplicate_of", pa.int64()),
    ]
)

_DROP_FINAL_ROWS = "DROP TABLE IF EXISTS final_rows"
_CREATE_FINAL_ROWS = (
    "CREATE TABLE final_rows (row_number BIGINT PRIMARY KEY, request_id VARCHAR, "
    "outcome VARCHAR, reasons_json VARCHAR, review_outcome VARCHAR, decision_json VARCHAR, "
    "street VARCHAR, city VARCHAR, state VARCHAR, zip VARCHAR, tax_year INTEGER, "
    "duplicate_of BIGINT)"
)
_DUPLICATED_ROWS = "SELECT DISTINCT duplicate_of FROM request_rows WHERE duplicate_of IS NOT NULL"
# Every input row with what review and matching stored for it, in input order.
_STAGE_RESULTS = """
        SELECT q.row_number, q.request_id, q.problems, q.duplicate_of,
               r.outcome, r.reasons_json, m.decision_json,
               json_extract_string(m.decision_json, '$.outcome'),
               json_extract(m.decision_json, '$.reasons')::VARCHAR
        FROM request_rows q
        LEFT JOIN review_results r ON r.row_number = q.row_number
        LEFT JOIN match_decisions m ON m.row_number = q.row_number
        ORDER BY q.row_number
        """
_INSERT_FINAL_CHUNK = "INSERT INTO final_rows SELECT * FROM _final_chunk"
_READ_FINAL_ROWS = (
    "SELECT f.row_number, f.request_id, f.outcome, f.reasons_json, f.review_outcome, "
    "f.decision_json, f.street, f.city, f.state, f.zip, f.tax_year, f.duplicate_of, "
    "q.dob, q.tin, q.middle_name, q.zip FROM final_rows f "
    "LEFT JOIN request_rows q ON q.row_number = f.row_number"
)
_ORDERED = " ORDER BY f.row_number"
_ONE_ROW = " WHERE f.row_number = ?"

_NO_MATCH_IN_PERIODS = Reason(
    "no_filing_in_periods",
    "The taxpayer filed no return in the requested tax periods, so there is no address "
    "from those periods to disclose.",
    field="tax_periods",
)


@dataclass(frozen=True, slots=True)
class FinalRow:
    row_number: int
    request_id: str
    outcome: Outcome
    reasons: tuple[Reason, ...]
    review_outcome: str
    decision: MatchDecision | None
    address: DisclosedAddress | None
    duplicate_of: int | None
    request: RequestShape = RequestShape()

    @property
    def disclosed_tin(self) -> str:
        if self.outcome is Outcome.DISCLOSED and self.decision and self.decision.best:
            return self.decision.best.tin
        return ""

    def response(self) -> ResponseRow:
        """The requester's line: see :func:`matchgate.disclose.requester_view`."""
        best = self.decision.best if self.decision else None
        return ResponseRow.of(
            row_number=self.row_number,
            request_id=self.request_id,
            outcome=self.outcome,
            reasons=self.reasons,
            request=self.request,
            match_probability=best.match_probability if best else None,
            address=self.address if self.outcome is Outcome.DISCLOSED else None,
        )

    def internal(self) -> dict[str, object]:
        """The detailed outcome, every reason code and the explanation, for decisions.csv."""
        return {
            "outcome": self.outcome.value,
            "reason_codes": join_codes(self.reasons),
            "explanation": _explanation(self.outcome, self.reasons),
        }


def _explanation(outcome: Outcome, reasons: tuple[Reason, ...]) -> str:
    if not reasons:
        if outcome is Outcome.DISCLOSED:
            return "Identity confirmed; latest address in the requested periods."
        return outcome.value
    return " ".join(dict.fromkeys(r.message for r in reasons))


def _reasons(text: str | None) -> list[Reason]:
    return [Reason(**item) for item in json.loads(text or "[]")]


def reasons_from_json(text: str | None) -> list[Reason]:
    """The reasons a stage table stores as JSON (``reasons_json``)."""
    return _reasons(text)


def reasons_to_json(reasons: Sequence[Reason]) -> str:
    """The JSON a stage table stores for ``reasons`` (``reasons_json``)."""
    return json.dumps([r.as_dict() for r in reasons])


def _reasons_tuple(text: str | None) -> tuple[Reason, ...]:
    return tuple(_reasons(text))


def _final(
    *,
    row_number: int,
    request_id: str,
    problems: str | None,
    duplicate_of: int | None,
    review_outcome: str | None,
    review_reasons: str | None,
    decision_json: str | None,
    decision: tuple[Outcome, Sequence[Reason]] | None,
    addresses: dict[int, DisclosedAddress],
    originals: dict[int, tuple[Outcome, str | None, DisclosedAddress | None]],
) -> tuple[Outcome, list[Reason], str | None, DisclosedAddress | None]:
    """``decision``: the stored decision's (outcome, reasons), None where it has none."""
    invalid = _reasons(problems)
    if invalid:
        return Outcome.INVALID, invalid, None, None
    reasons = _reasons(review_reasons)
    if review_outcome == "legally_deficient":
        return Outcome.LEGALLY_DEFICIENT, reasons, decision_json, None
    if review_outcome == "needs_review":
        extra = list(decision[1]) if decision else []
        return Outcome.NEEDS_REVIEW, reasons + extra, decision_json, None
    if duplicate_of is not None and duplicate_of in originals:
        outcome, original_json, address = originals[duplicate_of]
        return outcome, reasons, original_json, address
    if decision is None:
        return Outcome.NO_MATCH, reasons, None, None
    decided, decision_reasons = decision
    reasons = reasons + list(decision_reasons)
    if decided is Outcome.DISCLOSED:
        address = addresses.get(row_number)
        if address is None:
            return Outcome.NO_MATCH, [_NO_MATCH_IN_PERIODS, *reasons], decision_json, None
        return Outcome.DISCLOSED, reasons, decision_json, address
    return decided, reasons, decision_json, None


def build_final_rows(
    con: duckdb.DuckDBPyConnection, *, addresses: dict[int, DisclosedAddress]
) -> dict[str, int]:
    """Create ``final_rows`` (one row per input row); returns counts per outcome."""
    sql.run(con, _DROP_FINAL_ROWS, label="rows.drop_final_rows")
    sql.run(con, _CREATE_FINAL_ROWS, label="rows.create_final_rows")
    wanted_originals = {
        int(row) for (row,) in sql.fetch_all(con, _DUPLICATED_ROWS, label="rows.duplicated")
    }
    originals: dict[int, tuple[Outcome, str | None, DisclosedAddress | None]] = {}
    counts: dict[str, int] = {}
    # Many rows share their reasons (none, or one rule's): each text is parsed and each
    # final list written once.
    reasons_of = BoundedMemo(_reasons_tuple)
    reasons_text = BoundedMemo(reasons_to_json)
    cursor = con.cursor()
    sql.run(cursor, _STAGE_RESULTS, label="rows.stage_results")
    while True:
        rows = cursor.fetchmany(_CHUNK)
        if not rows:
            break
        columns: dict[str, list[object]] = {name: [] for name in _FINAL_SCHEMA.names}
        for row in rows:
            row_number, request_id, problems, duplicate_of, review, reasons, decision = row[:7]
            decided, decided_reasons = row[7:]
            decision_facts = None
            if decision:
                decision_facts = (Outcome(decided), reasons_of(decided_reasons))
            outcome, final_reasons, decision_json, address = _final(
                row_number=int(row_number),
                request_id=request_id,
                problems=problems,
                duplicate_of=duplicate_of,
                review_outcome=review,
                review_reasons=reasons,
                decision_json=decision,
                decision=decision_facts,
                addresses=addresses,
                originals=originals,
            )
            if row_number in wanted_originals:
                originals[int(row_number)] = (outcome, decision_json, address)
            counts[outcome.value] = counts.get(outcome.value, 0) + 1
            final_text = reasons_text(tuple(final_reasons))
            values = {
                "row_number": row_number,
                "request_id": request_id,
                "outcome": outcome.value,
                "reasons_json": final_text,
                "review_outcome": review or "",
                "decision_json": decision_json,
                "street": address.street if address else None,
                "city": address.city if address else None,
                "state": address.state if address else None,
                "zip": address.zip if address else None,
                "tax_year": address.tax_year if address else None,
                "duplicate_of": duplicate_of,
            }
            for name, value in values.items():
                columns[name].append(value)
        with sql.registered(con, "_final_chunk", pa.table(columns, schema=_FINAL_SCHEMA)):
            sql.run(con, _INSERT_FINAL_CHUNK, label="rows.insert_final_chunk")
    cursor.close()
    return counts


def read_final_rows(
    con: duckdb.DuckDBPyConnection, *, row_number: int | None = None
) -> Iterator[FinalRow]:
    """Every final row in row order, or (``row_number``) that one row only."""
    # Many rows carry the same reasons (none, or one rule's): each text is parsed once.
    reasons_of = BoundedMemo(_reasons_tuple)
    cursor = con.cursor()
    if row_number is None:
        sql.run(cursor, _READ_FINAL_ROWS + _ORDERED, label="rows.final_rows")
    else:
        sql.run(cursor, _READ_FINAL_ROWS + _ONE_ROW, [row_number], label="rows.final_row")
    while True:
        rows = cursor.fetchmany(_CHUNK)
        if not rows:
            break
        for row in rows:
            (
                row_number,
                request_id,
                outcome,
                reasons,
                review,
                decision,
                street,
                city,
                state,
                zip_code,
                tax_year,
                duplicate_of,
                *asked,
            ) = row
            dob, tin, middle_name, asked_zip = (value or "" for value in asked)
            parsed = reasons_of(reasons)
            yield FinalRow(
                row_number=int(row_number),
                request_id=request_id or "",
                outcome=Outcome(outcome),
                reasons=parsed,
                review_outcome=review or "",
                decision=MatchDecision.from_json(decision) if decision else None,
                address=DisclosedAddress(street, city, state, zip_code, int(tax_year))
                if tax_year is not None
                else None,
                duplicate_of=duplicate_of,
                request=RequestShape.of(
                    dob=dob, tin=tin, middle_name=middle_name, zip_code=asked_zip
                ),
            )
    cursor.close()


def write_outputs(
    con: duckdb.DuckDBPyConnection,
    *,
    out_dir: Path,
    with_response: bool = True,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write ``response.csv`` and ``internal/decisions.csv``; returns rows written.

    Files are written under a temporary name and renamed, so a reader (or a crash) never
    sees half a response.
    """
    (out_dir / "internal").mkdir(parents=True, exist_ok=True)
    response_path = out_dir / "response.csv"
    decisions_path = out_dir / "internal" / "decisions.csv"
    response_tmp = response_path.with_suffix(".csv.tmp")
    decisions_tmp = decisions_path.with_suffix(".csv.tmp")
    written = 0
    with (
        response_tmp.open("w", encoding="utf-8", newline="") as response_stream,
        decisions_tmp.open("w", encoding="utf-8", newline="") as decisions_stream,
    ):
        response = SafeCsvWriter(response_stream, RESPONSE_COLUMNS)
        decisions = SafeCsvWriter(decisions_stream, DECISION_COLUMNS)
        for row in read_final_rows(con):
            csv_row = row.response().as_csv_row()
            response.write_row(csv_row)
            decision = row.decision
            best = decision.best if decision else None
            runner = decision.runner_up if decision else None
            decisions.write_row(
                {
                    **csv_row,
                    **row.internal(),
                    "review_outcome": row.review_outcome,
                    "tin": best.tin if best else "",
                    "best_probability": round(best.match_probability, 6) if best else "",
                    "runner_up_tin": runner.tin if runner else "",
                    "runner_up_probability": round(runner.match_probability, 6) if runner else "",
                    "competitor_tins": ";".join(decision.competitors) if decision else "",
                    "evidence": evidence_json(decision) if decision else "{}",
                    "reasons_json": reasons_to_json(row.reasons),
                }
            )
            written += 1
            if progress and written % 50_000 == 0:
                progress(written)
    kill_point("before_output_rename")
    decisions_tmp.replace(decisions_path)
    if with_response:
        response_tmp.replace(response_path)
    else:
        response_tmp.unlink()
    return written


def final_outcome(
    *,
    row_number: int,
    problems: Sequence[Reason],
    review_outcome: str | None,
    review_reasons: Sequence[Reason],
    decision: MatchDecision | None,
    address: DisclosedAddress | None,
) -> tuple[Outcome, list[Reason], DisclosedAddress | None]:
    """One row's outcome, reasons and disclosed address, by the rules ``build_final_rows``
    applies to a batch's rows (a look-up is one such row, never a duplicate)."""
    outcome, reasons, _, disclosed = _final(
        row_number=row_number,
        request_id="",
        problems=reasons_to_json(problems),
        duplicate_of=None,
        review_outcome=review_outcome,
        review_reasons=reasons_to_json(review_reasons),
        decision_json=decision.to_json() if decision is not None else None,
        decision=(decision.outcome, decision.reasons) if decision is not None else None,
        addresses={row_number: address} if address is not None else {},
        originals={},
    )
    return outcome, reasons, disclosed
