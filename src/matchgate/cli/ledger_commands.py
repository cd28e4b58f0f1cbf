"""``matchgate ledger verify|export|checkpoint``, ``accounting``, ``retract``, ``report oversight``.

Thin shells over :mod:`matchgate.ledger`. Errors are not caught here: ``matchgate.cli``
maps every ``MatchgateError`` to its exit code in one place (an integrity failure is 3).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from matchgate.cli.access_commands import access_command, print_access_report, verify_access_log
from matchgate.errors import LedgerError, LedgerIntegrityError, WorkspaceError
from matchgate.ledger import (
    DisclosureRecord,
    Ledger,
    SignedCheckpoint,
    VerifyReport,
    verify_export,
)

if TYPE_CHECKING:
    from matchgate.report import LedgerSource, ReportTables

__all__ = ["register"]


def _console() -> Console:
    # Made per command so the terminal width (or $COLUMNS) is read when the command runs.
    return Console()


WorkspaceOption = Annotated[
    Path | None,
    typer.Option(
        "--workspace",
        help="Workspace folder holding the ledger. Default: $MATCHGATE_WORKSPACE.",
    ),
]
DatabaseUrlOption = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        envvar="MATCHGATE_LEDGER_URL",
        help="SQLAlchemy URL of a PostgreSQL ledger (default: WORKSPACE/ledger.sqlite).",
        show_envvar=True,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
KeyFileOption = Annotated[
    Path | None,
    typer.Option(
        "--key-file",
        envvar="MATCHGATE_LEDGER_KEY",
        show_envvar=True,
        help="The ledger's private signing key. Default: the per-user key of this ledger in"
        " $XDG_CONFIG_HOME/matchgate/keys (~/.config/matchgate/keys), outside the workspace.",
    ),
]
CheckpointOption = Annotated[
    Path | None,
    typer.Option(
        "--checkpoint",
        help="A signed checkpoint kept by the auditor (matchgate ledger checkpoint): fail if"
        " the ledger or file is shorter than it or differs at its position.",
    ),
]


def _workspace(workspace: Path | None) -> Path:
    if workspace is not None:
        return workspace
    configured = os.environ.get("MATCHGATE_WORKSPACE", "").strip()
    if configured:
        return Path(configured)
    raise WorkspaceError("no workspace given: pass --workspace DIR or set MATCHGATE_WORKSPACE")


def _existing_ledger(workspace: Path | None, database_url: str | None) -> Path:
    """The workspace, refusing one with no ledger (a typo must not create a new ledger)."""
    space = _workspace(workspace)
    if database_url is None and not (space / "ledger.sqlite").is_file():
        raise LedgerError("there is no ledger in this workspace", path=space / "ledger.sqlite")
    return space


def _print_report(report: VerifyReport, console: Console) -> None:
    table = Table(show_header=False, title=f"Ledger check: {report.source}")
    table.add_row("result", "[green]ok[/]" if report.ok else "[bold red]FAILED[/]")
    table.add_row("entries checked", f"{report.entries_checked:,}")
    table.add_row("signed checkpoints", f"{report.checkpoints_checked:,}")
    table.add_row("unsigned entries at the end", f"{report.unsigned_tail:,}")
    if report.first_bad_line is not None:
        table.add_row("first bad line", str(report.first_bad_line))
    if report.first_bad_sequence is not None:
        table.add_row("first bad entry (sequence)", str(report.first_bad_sequence))
    if report.problem:
        table.add_row("problem", report.problem)
    table.add_row("seconds", f"{report.seconds:.2f}")
    console.print(table)


def verify_command(
    workspace: WorkspaceOption = None,
    file: Annotated[
        Path | None,
        typer.Option("--file", help="Check this export (JSON Lines) instead of a workspace."),
    ] = None,
    public_key: Annotated[
        Path | None,
        typer.Option("--public-key", help="The ledger's public key (ledger.pub) for --file."),
    ] = None,
    database_url: DatabaseUrlOption = None,
    checkpoint: CheckpointOption = None,
) -> None:
    """Check the hash chain, every checkpoint signature, the disclosure index and the access
    log (its own chain, its TIN index and its head file; not for --file).

    Without --checkpoint, entries cut from the end together with ledger.head.json can't be
    seen: a shorter chain is valid in itself. Keep checkpoints outside the workspace.
    """
    held = SignedCheckpoint.read(checkpoint) if checkpoint is not None else None
    if file is not None:
        if public_key is None:
            raise typer.BadParameter("--file needs --public-key ledger.pub", param_hint="--file")
        report = verify_export(file, public_key=public_key, checkpoint=held)
        access = None
    else:
        with Ledger.open(_workspace(workspace), url=database_url, read_only=True) as ledger:
            report = ledger.verify(held)
        access = verify_access_log(_workspace(workspace), database_url)
    console = _console()
    _print_report(report, console)
    if access is not None:
        print_access_report(access, console)
    if held is not None and report.ok:
        console.print(f"reaches and agrees with the checkpoint: {held.describe()}", highlight=False)
    if not report.ok:
        raise LedgerIntegrityError(report.summary(), path=report.source or None)
    if access is not None:
        access.raise_for_problem()
    console.print(report.summary())
    if access is not None:
        console.print(access.summary())


def export_command(
    out: Annotated[Path, typer.Option("--out", help="JSON Lines file to write.")],
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """Write every entry and a signed trailer, for an auditor to check elsewhere."""
    space = _existing_ledger(workspace, database_url)
    with Ledger.open(space, url=database_url, key_path=key_file) as ledger:
        count = ledger.export(out)
        public_key = ledger.public_key_path
    console = _console()
    console.print(f"wrote {count:,} entries to {out}")
    console.print(
        f"check it with: matchgate ledger verify --file {out} --public-key {public_key}",
        highlight=False,
    )


def checkpoint_command(
    out: Annotated[Path, typer.Option("--out", help="The checkpoint file to write (JSON).")],
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """Sign a checkpoint (entry count, head hash, time) for an auditor to keep elsewhere.

    The ledger is verified first and its end sealed; a ledger that fails is not vouched for.
    """
    space = _existing_ledger(workspace, database_url)
    with Ledger.open(space, url=database_url, key_path=key_file) as ledger:
        signed = ledger.signed_checkpoint()
    written = signed.write(out)
    console = _console()
    console.print(f"wrote a signed checkpoint of {signed.describe()} to {written}", highlight=False)
    console.print(
        "keep it outside the workspace; check the ledger against it later with:"
        f" matchgate ledger verify --workspace {space} --checkpoint {written}",
        highlight=False,
    )


_ACCOUNTING_COLUMNS = (
    ("disclosed at", "disclosed_at"),
    ("disclosure", "disclosure_id"),
    ("agency", "agency"),
    ("recipients", "recipients"),
    ("statute", "statute"),
    ("case", "case_number"),
    ("reason", "reason"),
    ("batch / row", "batch_row"),
    ("retracted", "retracted_at"),
)


def _accounting_row(record: DisclosureRecord) -> list[str]:
    values = record.as_dict()
    values["recipients"] = ", ".join(record.recipients)
    values["batch_row"] = f"{record.batch_id} / {record.row_number}"
    values["retracted_at"] = record.retracted_at or ""
    return [str(values[key]) for _, key in _ACCOUNTING_COLUMNS]


def accounting_command(
    tin: Annotated[
        str | None, typer.Option("--tin", help="Every disclosure about this TIN.")
    ] = None,
    agency: Annotated[
        str | None, typer.Option("--agency", help="Every disclosure to this agency (name or code).")
    ] = None,
    year: Annotated[int | None, typer.Option("--year", help="Calendar year for --agency.")] = None,
    workspace: WorkspaceOption = None,
    database_url: DatabaseUrlOption = None,
    as_json: JsonOption = False,
) -> None:
    """The accounting of disclosures (26 U.S.C. 6103(p)(3)(A)) for one TIN or one agency."""
    if (tin is None) == (agency is None):
        raise typer.BadParameter("give either --tin TIN or --agency NAME --year YEAR")
    if agency is not None and year is None:
        raise typer.BadParameter("--agency needs --year", param_hint="--year")
    with Ledger.open(_workspace(workspace), url=database_url, read_only=True) as ledger:
        if tin is not None:
            records = ledger.disclosures_for_tin(tin)
            title = "Disclosures about the taxpayer"  # the TIN itself is not echoed
        else:
            assert agency is not None and year is not None
            records = ledger.disclosures_for_agency(agency, year)
            title = f"Disclosures to {agency} in {year}"
    if as_json:
        typer.echo(json.dumps([record.as_dict() for record in records], indent=2))
        return
    console = _console()
    console.print(f"[bold]{title}: {len(records)}[/]")
    # One field/value block per disclosure: nine columns side by side do not fit a
    # terminal, and an auditor reads one disclosure at a time.
    for record in records:
        table = Table(show_header=False, box=None, padding=(0, 2))
        table.add_column("field", style="bold", no_wrap=True)
        table.add_column("value", overflow="fold")
        for (header, _key), value in zip(_ACCOUNTING_COLUMNS, _accounting_row(record), strict=True):
            table.add_row(header, value)
        console.print(table)
        console.print()


def retract_command(
    disclosure: Annotated[str, typer.Option("--disclosure", help="The disclosure id.")],
    reason: Annotated[str, typer.Option("--reason", help="Why the disclosure was wrong.")] = "",
    workspace: WorkspaceOption = None,
    actor: Annotated[
        str | None, typer.Option("--actor", help="Who retracts (default: the login name).")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Folder for the disposal notice (default: WORKSPACE/notices)."),
    ] = None,
    rewrite_notice: Annotated[
        bool,
        typer.Option(
            "--rewrite-notice",
            help="Only write the disposal notice of a recorded retraction again.",
        ),
    ] = False,
    database_url: DatabaseUrlOption = None,
    key_file: KeyFileOption = None,
) -> None:
    """Record a retraction and write the disposal notice for the recipient agency."""
    space = _existing_ledger(workspace, database_url)
    who = actor or os.environ.get("USER") or os.environ.get("LOGNAME") or "unknown"
    folder = out or space / "notices"
    if not rewrite_notice and not reason.strip():
        raise typer.BadParameter("a retraction needs --reason TEXT", param_hint="--reason")
    with Ledger.open(space, url=database_url, key_path=key_file) as ledger:
        if rewrite_notice:
            notice = ledger.rewrite_disposal_notice(disclosure, out_dir=folder)
        else:
            notice = ledger.retract(disclosure, reason=reason, actor=who, out_dir=folder)
    console = _console()
    console.print(
        f"retracted {notice.disclosure_id} (ledger entry {notice.entry.sequence});"
        f" disposal notice for {notice.agency}:",
        highlight=False,
    )
    console.print(f"  {notice.letter_path}\n  {notice.csv_path}", highlight=False)


_SUMMARY_SUFFIXES = (".json", ".csv")


def _report_source(
    workspace: Path | None, database_url: str | None, file: Path | None, public_key: Path | None
) -> LedgerSource:
    from matchgate.report import LedgerSource

    if file is not None:
        if public_key is None:
            raise typer.BadParameter("--file needs --public-key ledger.pub", param_hint="--file")
        return LedgerSource(file=file, public_key=public_key)
    return LedgerSource(
        workspace=_existing_ledger(workspace, database_url), database_url=database_url
    )


ExportFileOption = Annotated[
    Path | None,
    typer.Option(
        "--file", help="Report on this ledger export (JSON Lines) instead of a workspace."
    ),
]
PublicKeyOption = Annotated[
    Path | None,
    typer.Option("--public-key", help="The ledger's public key (ledger.pub) for --file."),
]


FormatOption = Annotated[
    str,
    typer.Option(
        "--format",
        help="html: index.html with the CSV and PNG files; pdf: those and report.pdf, printed"
        " from index.html by headless Chromium (/usr/bin/chromium).",
    ),
]
REPORT_FORMATS = ("html", "pdf")


def check_report_format(output_format: str) -> None:
    if output_format not in REPORT_FORMATS:
        raise typer.BadParameter(
            f"{output_format!r} is not a report format (html or pdf)", param_hint="--format"
        )


def oversight_command(
    year: Annotated[int, typer.Option("--year", help="Calendar year (UTC).")],
    workspace: WorkspaceOption = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="A folder for the full report (index.html, one CSV per table, one PNG per"
            " chart, report.json); or a .json / .csv file for the one-line-per-agency summary"
            " (workspace only). Any other file suffix is refused.",
        ),
    ] = None,
    file: ExportFileOption = None,
    public_key: PublicKeyOption = None,
    database_url: DatabaseUrlOption = None,
    output_format: FormatOption = "html",
) -> None:
    """Per agency: requests, disclosures, taxpayers affected, purposes (6103(p)(3)(C)).

    Without --out, prints the summary table. With --out DIR, writes the yearly report,
    computed from the verified ledger alone (a workspace's, or --file/--public-key).
    """
    summary_file = out is not None and out.suffix.lower() in _SUMMARY_SUFFIXES
    if out is not None and out.suffix and not summary_file and not out.is_dir():
        raise typer.BadParameter(
            f"{out.name}: --out takes a folder for the full report, or a .json or .csv file"
            " for the summary; nothing is written under another suffix",
            param_hint="--out",
        )
    check_report_format(output_format)
    if output_format == "pdf" and (out is None or summary_file):
        raise typer.BadParameter(
            "--format pdf prints the full report: give --out DIR", param_hint="--format"
        )
    console = _console()
    if out is not None and not summary_file:
        from matchgate.report import print_pdf, write_report

        written = write_report(
            _report_source(workspace, database_url, file, public_key), year=year, out=out
        )
        _print_agencies(written.tables, year, console)
        console.print(
            f"wrote the report of {year} (ledger entries 1..{written.last_sequence}) to"
            f" {written.folder / 'index.html'} and {len(written.files) - 1} more files",
            highlight=False,
        )
        if output_format == "pdf":
            console.print(f"wrote {print_pdf(written.folder / 'index.html')}", highlight=False)
        return
    if file is not None:
        raise typer.BadParameter(
            "--file reports into a folder: give --out DIR", param_hint="--file"
        )
    with Ledger.open(_workspace(workspace), url=database_url, read_only=True) as ledger:
        report = ledger.oversight_report(year)
    table = Table(title=f"Disclosures under 26 U.S.C. 6103(i)(2) in {year}")
    headers = ("agency", "requests", "disclosures", "retracted", "taxpayers", "repeats", "purposes")
    for header in headers:
        table.add_column(header, justify="left" if header in ("agency", "purposes") else "right")
    for line in report.agencies:
        table.add_row(
            line.agency,
            f"{line.requests:,}",
            f"{line.disclosures:,}",
            f"{line.retracted:,}",
            f"{line.taxpayers_affected:,}",
            f"{line.repeat_requests:,}",
            "; ".join(f"{statute} ({count:,})" for statute, count in line.purposes),
        )
    console.print(table)
    if out is not None:
        console.print(f"wrote {report.write(out)}", highlight=False)


def _print_agencies(tables: ReportTables, year: int, console: Console) -> None:
    asked, answered = tables.table("agencies"), tables.table("agency_outcomes")
    shown = (
        (asked, "batches"),
        (asked, "request_rows"),
        (answered, "disclosures"),
        (answered, "distinct_taxpayers"),
        (answered, "retractions"),
    )
    table = Table(title=f"Disclosures under 26 U.S.C. 6103(i)(2) in {year}")
    table.add_column("agency")
    for _source, header in shown:
        table.add_column(header.replace("_", " "), justify="right")
    for request_row, answer_row in zip(asked.rows, answered.rows, strict=True):
        rows = {id(asked): request_row, id(answered): answer_row}
        table.add_row(
            request_row[0],
            *(rows[id(source)][source.columns.index(name)] for source, name in shown),
        )
    console.print(table)


def report_verify_command(
    folder: Annotated[Path, typer.Argument(help="The report folder (with report.json).")],
    workspace: WorkspaceOption = None,
    file: ExportFileOption = None,
    public_key: PublicKeyOption = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Recompute a written yearly report from the ledger and say whether it matches.

    Exit 0 when every CSV cell, every index.html table cell and every chart is what the
    ledger (up to the entry the report read) gives; exit 3 naming the first difference.
    """
    from matchgate.report import verify_report

    check = verify_report(folder, _report_source(workspace, database_url, file, public_key))
    console = _console()
    if not check.ok:
        raise LedgerIntegrityError(
            f"the report does not match the ledger: {check.problem}", path=folder
        )
    console.print(
        f"the report matches the ledger (entries 1..{check.last_sequence}):"
        f" {check.cells_checked:,} table cells and every chart checked",
        highlight=False,
    )


def register(app: typer.Typer, *, report_app: typer.Typer | None = None) -> None:
    """Add the ledger commands to ``app``.

    ``report oversight`` goes into ``report_app`` when the caller already has a ``report``
    group; otherwise a ``report`` group is added to ``app``.
    """
    ledger_app = typer.Typer(help="Check and export the tamper-evident ledger.")
    ledger_app.command("verify")(verify_command)
    ledger_app.command("export")(export_command)
    ledger_app.command("checkpoint")(checkpoint_command)
    ledger_app.command("access")(access_command)
    app.add_typer(ledger_app, name="ledger")
    app.command("accounting")(accounting_command)
    app.command("retract")(retract_command)
    if report_app is None:
        report_app = typer.Typer(help="Reports for oversight.")
        app.add_typer(report_app, name="report")
    report_app.command("oversight")(oversight_command)
    report_app.command("verify")(report_verify_command)
