"""Repeat requests: a taxpayer the same agency was given within the policy's window.

Sending the same requests again, in another file or another format, used to disclose each
person again without a word. Before the final rows are built, every row the matcher would
disclose is checked against the ledger (across batches and file formats): a taxpayer
disclosed to the same agency within ``repeat_window_days`` gets the internal reason
``repeat_request``, which the ledger records and the oversight report counts; with
``repeat_requests = "review"`` in the policy the row goes to a person instead.

The step runs once per batch and is marked done, so a resumed batch sees what the first run
saw; disclosures of the batch itself never count.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa

from matchgate import sql
from matchgate.batch.state import BatchStages
from matchgate.batch.workspace import Workspace
from matchgate.decisions import Outcome, Reason
from matchgate.ledger import Ledger
from matchgate.ledger._entries import format_timestamp
from matchgate.ledger._files import LEDGER_FILE, PUBLIC_KEY_FILE
from matchgate.review import Policy

__all__ = ["REPEAT_REQUEST", "flag_repeat_requests"]

REPEAT_REQUEST = "repeat_request"

# Rows whose decision has the given outcome, with the TIN of the best candidate.
_WOULD_DISCLOSE = (
    "SELECT row_number, json_extract_string(decision_json, '$.best.tin') FROM match_decisions "
    "WHERE json_extract_string(decision_json, '$.outcome') = ?"
)
_DECISIONS_OF_ROWS = (
    "SELECT row_number, decision_json FROM match_decisions WHERE list_contains(?, row_number)"
)
_UPDATE_DECISIONS = (
    "UPDATE match_decisions SET decision_json = r.decision_json FROM _repeat_rows r "
    "WHERE match_decisions.row_number = r.row_number"
)


def _reason(window_days: int) -> Reason:
    return Reason(
        REPEAT_REQUEST,
        f"The agency was given this taxpayer's address within the last {window_days} days.",
    )


def _would_disclose(con: duckdb.DuckDBPyConnection) -> dict[int, str]:
    rows = sql.fetch_all(
        con, _WOULD_DISCLOSE, [Outcome.DISCLOSED.value], label="repeats.would_disclose"
    )
    return {int(row): str(tin) for row, tin in rows if tin}


def _earlier(
    space: Workspace,
    *,
    ledger_url: str | None,
    ledger_key: Path | None,
    agency_code: str,
    tins: set[str],
    since: datetime,
    batch_id: str,
) -> set[str]:
    # A local ledger that was never signed (no public key yet: the access log made its
    # database before any batch was recorded) holds no disclosure. One whose key went
    # missing is refused by the ledger stage, before anything is released.
    local_ledger = (space.root / LEDGER_FILE).exists() and (space.root / PUBLIC_KEY_FILE).exists()
    if not tins or (ledger_url is None and not local_ledger):
        return set()
    # A server's ledger (a database URL) is opened as the batch's ledger stage will open it.
    read_only = ledger_url is None
    with Ledger.open(
        space.root, url=ledger_url, key_path=None if read_only else ledger_key, read_only=read_only
    ) as ledger:
        return ledger.tins_disclosed_to(
            agency_code, tins, since=format_timestamp(since), excluding_batch=batch_id
        )


def _mark(
    con: duckdb.DuckDBPyConnection, rows: list[int], *, reason: Reason, to_review: bool
) -> None:
    decisions = sql.fetch_all(con, _DECISIONS_OF_ROWS, [rows], label="repeats.decisions")
    updated: dict[str, list[object]] = {"row_number": [], "decision_json": []}
    for row_number, text in decisions:
        data = json.loads(text)
        if any(r["code"] == REPEAT_REQUEST for r in data["reasons"]):
            continue
        data["reasons"] = [reason.as_dict(), *data["reasons"]]
        if to_review:
            data["outcome"] = Outcome.NEEDS_REVIEW.value
        updated["row_number"].append(int(row_number))
        updated["decision_json"].append(json.dumps(data, sort_keys=True))
    if not updated["row_number"]:
        return
    table = pa.table(
        updated, schema=pa.schema([("row_number", pa.int64()), ("decision_json", pa.string())])
    )
    with sql.registered(con, "_repeat_rows", table):
        sql.run(con, _UPDATE_DECISIONS, label="repeats.mark")


def flag_repeat_requests(
    con: duckdb.DuckDBPyConnection,
    state: BatchStages,
    space: Workspace,
    *,
    batch_id: str,
    agency_code: str,
    policy: Policy,
    ledger_url: str | None = None,
    ledger_key: Path | None = None,
    now: datetime | None = None,
) -> int:
    """Flag the rows about taxpayers disclosed to the agency within the window; returns how
    many rows were flagged (the count recorded when the step first ran)."""
    done = state.info("repeats")
    if done is not None:
        return int(done["flagged"])
    since = (now or datetime.now(UTC)) - timedelta(days=policy.repeat_window_days)
    candidates = _would_disclose(con)
    earlier = _earlier(
        space,
        ledger_url=ledger_url,
        ledger_key=ledger_key,
        agency_code=agency_code,
        tins=set(candidates.values()),
        since=since,
        batch_id=batch_id,
    )
    rows = sorted(row for row, tin in candidates.items() if tin in earlier)
    if rows:
        _mark(
            con,
            rows,
            reason=_reason(policy.repeat_window_days),
            to_review=policy.repeat_requests == "review",
        )
    state.mark("repeats", {"flagged": len(rows), "since": format_timestamp(since)})
    return len(rows)
