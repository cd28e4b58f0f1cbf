"""``matchgate serve``: the HTTP API and the reviewer's pages (a thin shell over the server)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from matchgate.errors import InputError

__all__ = ["register", "serve"]


def serve(
    master: Annotated[
        Path, typer.Option("--master", help="Taxpayer master file (Parquet or CSV).")
    ],
    workspace: Annotated[
        Path | None,
        typer.Option(
            "--workspace",
            help="Workspace folder (ledger, model, batches). Default: $MATCHGATE_WORKSPACE.",
        ),
    ] = None,
    policy: Annotated[Path | None, typer.Option("--policy", help="Policy TOML file.")] = None,
    host: Annotated[
        str, typer.Option("--host", help="Interface to listen on (off loopback: Secure cookies).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            envvar="MATCHGATE_LEDGER_URL",
            show_envvar=True,
            help="SQLAlchemy URL of the PostgreSQL database of the ledger, users and sessions"
            " (default: WORKSPACE/ledger.sqlite and WORKSPACE/accounts.sqlite). Bring it to"
            " the current schema with matchgate db upgrade.",
        ),
    ] = None,
    accounts_url: Annotated[
        str | None,
        typer.Option(
            "--accounts-url",
            envvar="MATCHGATE_ACCOUNTS_URL",
            show_envvar=True,
            help="SQLAlchemy URL of the account store, when not the --database-url's"
            " (default: that one, else WORKSPACE/accounts.sqlite).",
        ),
    ] = None,
    key_file: Annotated[
        Path | None,
        typer.Option(
            "--key-file",
            envvar="MATCHGATE_LEDGER_KEY",
            show_envvar=True,
            help="The ledger's private signing key, outside the workspace (a key inside it is"
            " refused). Default: the ledger's per-user key in ~/.config/matchgate/keys.",
        ),
    ] = None,
) -> None:
    """Serve the HTTP API and the reviewer's web pages over one workspace.

    Every route but /sign-in and /healthz needs a user of the workspace's account store
    (add them with matchgate user add); off loopback the session cookie is Secure only.
    """
    import uvicorn
    from pydantic import ValidationError

    from matchgate.server import ServerSettings, create_app

    given: dict[str, Any] = {"master": master, "host": host, "port": port}
    for name, value in (
        ("workspace", workspace),
        ("policy", policy),
        ("ledger_url", database_url),
        ("ledger_key", key_file),
        ("accounts_url", accounts_url),
    ):
        if value is not None:
            given[name] = value
    try:
        settings = ServerSettings(**given)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or 'settings'}: {error['msg']}"
            for error in exc.errors()
        )
        raise InputError(f"cannot start the server: {problems}") from exc
    if not settings.master.is_file():
        raise InputError("file not found", path=settings.master, field="--master")
    from matchgate.accounts import AccountStore
    from matchgate.store.migrate import check_database

    # A database behind this matchgate's schema stops the server here, naming the command.
    check_database(workspace=settings.workspace, url=settings.ledger_url)
    with AccountStore.open(settings.workspace, url=settings.store_url) as accounts:
        if accounts.count_active() == 0:
            typer.echo(
                "warning: this workspace has no users, so nobody can sign in; add one with"
                f" matchgate user add NAME --role ROLE --workspace {settings.workspace}",
                err=True,
            )
    typer.echo(f"matchgate serving {settings.workspace} on http://{host}:{port}/", err=True)
    # No access log: an accounting query carries a TIN in its URL, and logs are not the
    # place for return information. The ledger is the record of what was done.
    uvicorn.run(create_app(settings), host=host, port=port, access_log=False)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


if __name__ == "__main__":  # python -m matchgate.cli.serve_commands serve --master ...
    standalone = typer.Typer(add_completion=False)
    register(standalone)

    @standalone.callback()
    def _group() -> None:
        """matchgate serve (standalone)."""

    standalone()
