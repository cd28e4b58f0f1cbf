"""``matchgate master prepare | status | add-year``: the prepared master of a workspace."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from matchgate.cli.pipeline_commands import _progress, _workspace

__all__ = ["register"]

console = Console()

master_app = typer.Typer(
    name="master",
    help="Prepare the master file once for every batch and look-up of a workspace.",
    no_args_is_help=True,
)

WorkspaceOption = Annotated[
    Path | None,
    typer.Option("--workspace", help="Workspace folder. Default: $MATCHGATE_WORKSPACE."),
]


def _required_workspace(workspace: Path | None) -> Path:
    found = _workspace(workspace)
    if found is None:
        raise typer.BadParameter(
            "give --workspace or set MATCHGATE_WORKSPACE", param_hint="--workspace"
        )
    return found


def _size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:,.1f} {unit}" if unit != "B" else f"{size} B"
        value /= 1024
    return f"{size} B"


@master_app.command("prepare")
def prepare_command(
    master: Annotated[Path, typer.Option("--master", help="Taxpayer master file (Parquet/CSV).")],
    workspace: WorkspaceOption = None,
    force: Annotated[
        bool, typer.Option("--force", help="Prepare again even if it is prepared.")
    ] = False,
) -> None:
    """Standardize the master file once and store it in the workspace."""
    from matchgate.master import prepare

    root = _required_workspace(workspace)
    started = time.perf_counter()
    with _progress() as report:
        prepared = prepare(master, root, progress=report, force=force)  # type: ignore[arg-type]
    m = prepared.manifest
    console.print(
        f"prepared master [bold]{prepared.key}[/]: {m['rows']:,} rows, {m['taxpayers']:,} "
        f"taxpayers, {m['distinct_names']:,} distinct names, {m['distinct_addresses']:,} "
        f"distinct addresses, in {time.perf_counter() - started:.1f}s -> {prepared.folder}"
    )


@master_app.command("add-year")
def add_year_command(
    master: Annotated[
        Path, typer.Option("--master", help="The filings of the new tax year (Parquet/CSV).")
    ],
    workspace: WorkspaceOption = None,
    base: Annotated[
        Path | None,
        typer.Option("--base", help="Prepared master folder to extend (default: current)."),
    ] = None,
) -> None:
    """Extend the prepared master with a new tax year's filings (as a new prepared master;
    the old one stays for the batches run against it)."""
    from matchgate.master import add_year

    root = _required_workspace(workspace)
    started = time.perf_counter()
    with _progress() as report:
        prepared = add_year(master, root, base=base, progress=report)  # type: ignore[arg-type]
    m = prepared.manifest
    console.print(
        f"prepared master [bold]{prepared.key}[/] (from {m['parent']}): tax years "
        f"{', '.join(map(str, m['tax_years']))}; {m['taxpayers']:,} taxpayers, in "
        f"{time.perf_counter() - started:.1f}s -> {prepared.folder}\n"
        f"batches use it with --master {prepared.folder}"
    )


@master_app.command("status")
def status_command(
    workspace: WorkspaceOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """What is prepared in the workspace."""
    from matchgate.master import master_status

    entries = master_status(_required_workspace(workspace))
    if as_json:
        typer.echo(json.dumps(entries, indent=2, sort_keys=True))
        return
    if not entries:
        console.print("no master is prepared in this workspace")
        return
    for entry in entries:
        if not entry["usable"]:
            console.print(f"[bold red]unusable[/] {entry['folder']}: {entry['problem']}")
            continue
        current = " (current)" if entry["current"] else ""
        table = Table(title=f"prepared master {entry['key']}{current}", show_header=False)
        table.add_column("what")
        table.add_column("value")
        sources = entry["sources"]
        assert isinstance(sources, list)
        for source in sources:
            table.add_row("file", f"{source['path']}\nsha256 {source['sha256']}")
        for label, name in (
            ("rows", "rows"),
            ("taxpayers", "taxpayers"),
            ("distinct names", "distinct_names"),
            ("distinct addresses", "distinct_addresses"),
        ):
            table.add_row(label, f"{entry[name]:,}")
        years = entry["tax_years"]
        assert isinstance(years, list)
        table.add_row("tax years", ", ".join(map(str, years)))
        table.add_row("standardizer version", str(entry["standardizer_version"]))
        table.add_row("created", str(entry["created_at"]))
        size = entry["size_bytes"]
        assert isinstance(size, int)
        table.add_row("size on disk", _size(size))
        table.add_row("model trained", "yes" if entry["model_trained"] else "not yet")
        table.add_row("folder", str(entry["folder"]))
        console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(master_app)
