"""``matchgate ledger access``: who read which taxpayer data (the access log), and the access
log's part of ``matchgate ledger verify``.

The command line reads the workspace's files directly (whoever runs it can read the ledger
database and the TIN key already), so its own searches are not recorded; the server's are.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from matchgate.ledger import AccessLog, AccessQuery, AccessRecord, AccessVerifyReport
from matchgate.ledger._access import is_tin_key

__all__ = ["access_command", "print_access_report", "verify_access_log"]


def _moment(text: str | None, option: str) -> datetime | None:
    if text is None or not text.strip():
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is not a date (2026-01-31) or a UTC time (2026-01-31T12:00:00Z)",
            param_hint=option,
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _tins(record: AccessRecord) -> str:
    subject = record.content_dict()["subject"]
    return " ".join(
        f"{key}={str(value)[:12]}" for key, value in subject.items() if is_tin_key(key) and value
    )


def _other(record: AccessRecord) -> str:
    subject = record.content_dict()["subject"]
    shown = {
        key: value
        for key, value in subject.items()
        if not is_tin_key(key) and key not in {"batch_id", "row_number"} and value is not None
    }
    return ", ".join(f"{key}={value}" for key, value in shown.items())


def access_command(
    workspace: Annotated[
        Path | None,
        typer.Option("--workspace", help="Workspace folder holding the ledger."),
    ] = None,
    tin: Annotated[
        str | None, typer.Option("--tin", help="Reads about this taxpayer (TIN).")
    ] = None,
    user: Annotated[str | None, typer.Option("--user", help="Reads by this user (name).")] = None,
    batch: Annotated[str | None, typer.Option("--batch", help="Reads of this batch.")] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="From this UTC date or time.")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Before this UTC date or time.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many, newest first.")] = 100,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            envvar="MATCHGATE_LEDGER_URL",
            show_envvar=True,
            help="SQLAlchemy URL of a PostgreSQL ledger (default: WORKSPACE/ledger.sqlite).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Who read which taxpayer data, when, and whether it was shown (the access log).

    --tin finds the reads of one taxpayer: TINs are kept only as keyed hashes, so the
    workspace's access-log.key (or $MATCHGATE_ACCESS_KEY) is needed for it.
    """
    from matchgate.cli.ledger_commands import _workspace

    if not 1 <= limit <= 1_000:
        raise typer.BadParameter("--limit is 1 to 1000", param_hint="--limit")
    query = AccessQuery(
        user=user,
        tin=tin,
        batch_id=batch,
        since=_moment(since, "--since"),
        until=_moment(until, "--until"),
        limit=limit,
    )
    with AccessLog.open(_workspace(workspace), url=database_url, read_only=True) as log:
        records, total = log.search(query)
    if as_json:
        typer.echo(
            json.dumps({"total": total, "records": [r.as_dict() for r in records]}, indent=2)
        )
        return
    console = Console()
    # The TIN itself is not echoed.
    console.print(f"[bold]Reads recorded: {total}[/] (newest first, {len(records)} shown)")
    table = Table()
    for header in ("#", "recorded (UTC)", "user", "read", "batch / row", "TIN hashes", "other"):
        table.add_column(header, overflow="fold")
    table.add_column("outcome")
    for record in records:
        content = record.content_dict()
        where = record.batch_id or ""
        if record.row_number is not None:
            where += f" / {record.row_number}"
        table.add_row(
            str(record.sequence),
            record.recorded_at,
            f"{record.user_name} ({record.role})",
            record.what,
            where,
            _tins(record),
            _other(record),
            f"{record.outcome} ({content['status']})",
        )
    console.print(table)


def verify_access_log(workspace: Path, database_url: str | None) -> AccessVerifyReport:
    """The access log's check for ``matchgate ledger verify``."""
    with AccessLog.open(workspace, url=database_url, read_only=True) as log:
        return log.verify()


def print_access_report(report: AccessVerifyReport, console: Console) -> None:
    table = Table(show_header=False, title=f"Access log check: {report.source}")
    table.add_row("result", "[green]ok[/]" if report.ok else "[bold red]FAILED[/]")
    table.add_row("records checked", f"{report.records_checked:,}")
    if report.first_bad_sequence is not None:
        table.add_row("first bad record", str(report.first_bad_sequence))
    if report.problem:
        table.add_row("problem", report.problem)
    console.print(table)
