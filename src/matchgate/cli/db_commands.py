"""``matchgate db upgrade|status``: the schema revision of the ledger's and the accounts'
tables (a thin shell over :mod:`matchgate.store.migrate`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from matchgate.cli.agency_commands import WorkspaceOption

__all__ = ["register"]

db_app = typer.Typer(
    help="The database's schema: bring it to this matchgate's revision (upgrade) or show"
    " where it stands (status).",
    no_args_is_help=True,
)

DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        envvar="MATCHGATE_LEDGER_URL",
        show_envvar=True,
        help="SQLAlchemy URL of the server's PostgreSQL database (ledger, users, sessions),"
        " as matchgate serve --database-url. Default: the workspace's SQLite files.",
    ),
]


def _where(workspace: Path | None, database_url: str | None) -> Path | None:
    """The workspace, when no database URL is given (then its SQLite files are meant)."""
    from matchgate.cli.agency_commands import _workspace

    return None if database_url is not None else _workspace(workspace)


@db_app.command("upgrade")
def upgrade(workspace: WorkspaceOption = None, database_url: DatabaseOption = None) -> None:
    """Create or upgrade the tables to this matchgate's revision (running it again changes
    nothing). Tables made by a matchgate from before migrations are checked, stamped and
    upgraded. Run it after installing a new matchgate, before matchgate serve."""
    from matchgate.store.migrate import upgrade_database

    done = upgrade_database(workspace=_where(workspace, database_url), url=database_url)
    if not done:
        typer.echo("no database in this workspace yet: each is made at its head on first use")
    for before, after in done:
        was = before.current or ("none" if before.state == "empty" else "before migrations")
        change = "unchanged" if before.current == after.current else f"{was} -> {after.current}"
        typer.echo(f"{after.store}: {after.location}: {change} (head {after.head})")


@db_app.command("status")
def status(workspace: WorkspaceOption = None, database_url: DatabaseOption = None) -> None:
    """Each store's revision and this matchgate's head; exit code 4 when one needs
    matchgate db upgrade."""
    from matchgate.store.migrate import database_status

    found = database_status(workspace=_where(workspace, database_url), url=database_url)
    behind = False
    for item in found:
        typer.echo(
            f"{item.store}: {item.location}: {item.current or '-'} (head {item.head}): {item.state}"
        )
        behind = behind or item.state in ("behind", "unversioned", "ahead")
    if behind:
        typer.echo(
            "run matchgate db upgrade to bring the tables to this matchgate's head", err=True
        )
        raise typer.Exit(4)


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
