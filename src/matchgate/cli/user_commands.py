"""``matchgate user add|list|revoke|token``: the server's users (a thin shell over
:mod:`matchgate.accounts`)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from matchgate.cli.agency_commands import ActorOption, WorkspaceOption, _actor, _workspace

__all__ = ["register"]

console = Console()

user_app = typer.Typer(
    help="The server's users: requesters (one agency each), reviewers, supervisors,"
    " auditors and admins, each with their own API token.",
    no_args_is_help=True,
)

DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        envvar=["MATCHGATE_ACCOUNTS_URL", "MATCHGATE_LEDGER_URL"],
        show_envvar=True,
        help="SQLAlchemy URL of the account store: the server's database, as matchgate serve"
        " --accounts-url or else --database-url names it (default: WORKSPACE/accounts.sqlite).",
    ),
]
ExpiresOption = Annotated[
    int | None,
    typer.Option("--expires", help="The token stops working after this many days."),
]


def _print_token(token: str, expires: str) -> None:
    """The token alone on the last line of standard output, so a script can take it with
    ``tail -n 1``; it is shown this once and stored only as a hash."""
    typer.echo(f"token expires: {expires}; it is shown only now (the store keeps a hash):")
    typer.echo(token)


@user_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="The person's name (unique; the ledger's actor).")],
    role: Annotated[
        str,
        typer.Option("--role", help="requester, reviewer, supervisor, auditor or admin."),
    ],
    agency: Annotated[
        str | None,
        typer.Option("--agency", help="A requester's agency code (from matchgate agency list)."),
    ] = None,
    expires: ExpiresOption = None,
    workspace: WorkspaceOption = None,
    database_url: DatabaseOption = None,
    actor: ActorOption = None,
) -> None:
    """Add a user and print its first API token (once, alone on the last line)."""
    from matchgate.accounts import AccountStore
    from matchgate.review.registry import AgencyRegistryStore

    space = _workspace(workspace)
    with AgencyRegistryStore.open(space, url=database_url) as registry:
        codes = {agency_entry.code.upper() for agency_entry in registry.registry()}
    with AccountStore.open(space, url=database_url) as store:
        issued = store.add_user(
            name,
            role=role,
            agency_code=agency,
            expires_days=expires,
            actor=_actor(actor),
            known_agencies=codes,
        )
    bound = f" for {issued.user.agency_code}" if issued.user.agency_code else ""
    typer.echo(f"added {issued.user.name} ({issued.user.role.value}{bound})")
    _print_token(issued.token, str(issued.expires_at or "never"))


@user_app.command("token")
def token(
    name: Annotated[str, typer.Argument(help="An active user's name.")],
    expires: ExpiresOption = None,
    workspace: WorkspaceOption = None,
    database_url: DatabaseOption = None,
    actor: ActorOption = None,
) -> None:
    """Issue another API token for a user (earlier tokens keep working until revoked)."""
    from matchgate.accounts import AccountStore

    with AccountStore.open(_workspace(workspace), url=database_url) as store:
        issued = store.issue_token(name, expires_days=expires, actor=_actor(actor))
    _print_token(issued.token, str(issued.expires_at or "never"))


@user_app.command("list")
def list_users(workspace: WorkspaceOption = None, database_url: DatabaseOption = None) -> None:
    """Every user: role, agency, who added it, token expiry, revoked or not."""
    from matchgate.accounts import AccountStore

    with AccountStore.open(_workspace(workspace), url=database_url) as store:
        users = store.users()
    if not users:
        typer.echo("no users yet: add one with matchgate user add NAME --role ROLE")
        return
    table = Table("name", "role", "agency", "added", "by", "token expires", "status")
    for user in users:
        table.add_row(
            escape(user.name),
            user.role.value,
            user.agency_code or "-",
            user.created_at.strftime("%Y-%m-%d %H:%M"),
            escape(user.created_by),
            user.token_expires_at.strftime("%Y-%m-%d %H:%M") if user.token_expires_at else "-",
            "active" if user.active else f"revoked {user.revoked_at:%Y-%m-%d %H:%M}",
        )
    console.print(table)


@user_app.command("revoke")
def revoke(
    name: Annotated[str, typer.Argument(help="The user to revoke.")],
    workspace: WorkspaceOption = None,
    database_url: DatabaseOption = None,
    actor: ActorOption = None,
) -> None:
    """Revoke a user: every token and every web session of it stops working at once."""
    from matchgate.accounts import AccountStore

    with AccountStore.open(_workspace(workspace), url=database_url) as store:
        user = store.revoke_user(name, actor=_actor(actor))
    typer.echo(f"revoked {user.name}: its tokens and sessions no longer work")


def register(app: typer.Typer) -> None:
    app.add_typer(user_app, name="user")
