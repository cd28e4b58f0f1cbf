"""``matchgate agency add|list|show|revoke`` (the office's registry) and ``matchgate letter
sign`` (the agency's act): thin shells over :mod:`matchgate.review.registry` and
:mod:`matchgate.review.signing`."""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from matchgate.errors import InputError
from matchgate.review.agencies import Agency

if TYPE_CHECKING:
    from matchgate.review.registry import AgencyRegistryStore

__all__ = ["register"]

console = Console()

agency_app = typer.Typer(
    help="The office's agency registry (the workspace's, or the server's database): who may"
    " ask, who may sign, the safeguards report on file and the keys letters must be signed"
    " with.",
    no_args_is_help=True,
)
letter_app = typer.Typer(
    help="Request letters: sign one for its request file.", no_args_is_help=True
)

WorkspaceOption = Annotated[
    Path | None,
    typer.Option("--workspace", help="Workspace folder (default: $MATCHGATE_WORKSPACE)."),
]
DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        envvar="MATCHGATE_LEDGER_URL",
        show_envvar=True,
        help="SQLAlchemy URL of the server's database, as matchgate serve --database-url names"
        " it (default: WORKSPACE/agencies.sqlite).",
    ),
]
ActorOption = Annotated[
    str | None,
    typer.Option("--actor", help="Who makes the change (default: the login name)."),
]


def _workspace(workspace: Path | None) -> Path:
    if workspace is not None:
        return workspace
    configured = os.environ.get("MATCHGATE_WORKSPACE", "").strip()
    if not configured:
        raise InputError("give --workspace (or set MATCHGATE_WORKSPACE)", field="workspace")
    return Path(configured)


def _open_registry(workspace: Path | None, database_url: str | None) -> AgencyRegistryStore:
    """The registry in the server's database when a URL is given (the workspace is then
    not needed), else the workspace's file."""
    from matchgate.review.registry import AgencyRegistryStore

    if database_url is not None:
        return AgencyRegistryStore.open(workspace or Path("."), url=database_url)
    return AgencyRegistryStore.open(_workspace(workspace))


def _actor(actor: str | None) -> str:
    if actor is not None:
        return actor
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""


def _keys_summary(agency: Agency) -> str:
    active = [k for k in agency.keys if not k.revoked]
    revoked = len(agency.keys) - len(active)
    text = ", ".join(k.public_key_sha256[:16] for k in active) or "none"
    return text + (f" ({revoked} revoked)" if revoked else "")


@agency_app.command("add")
def add(
    agency_file: Annotated[
        Path, typer.Argument(help="Agency TOML: [agency] (or [[agency]]) with public_key.")
    ],
    workspace: WorkspaceOption = None,
    database_url: DatabaseOption = None,
    actor: ActorOption = None,
) -> None:
    """Register or update agencies (and their public keys) from an agency file."""
    with _open_registry(workspace, database_url) as store:
        agencies = store.add_file(agency_file, actor=_actor(actor))
    for agency in agencies:
        console.print(
            f"registered [bold]{escape(agency.code)}[/] ({escape(agency.name)}); "
            f"active keys: {_keys_summary(agency)}"
        )


@agency_app.command("list")
def list_agencies(workspace: WorkspaceOption = None, database_url: DatabaseOption = None) -> None:
    """Every agency in the registry with its safeguards report and keys."""
    with _open_registry(workspace, database_url) as store:
        registry = store.registry()
    table = Table()
    for column in ("code", "name", "safeguards report", "caseload", "active keys"):
        table.add_column(column)
    for agency in registry:
        report = agency.safeguards_report
        table.add_row(
            agency.code,
            agency.name,
            f"{report.report_id} ({report.report_date.isoformat()})" if report else "none",
            f"{agency.plausible_caseload:,}" if agency.plausible_caseload else "",
            _keys_summary(agency),
        )
    console.print(table)


@agency_app.command("show")
def show(
    code: Annotated[str, typer.Argument(help="Agency code, e.g. DHS.")],
    workspace: WorkspaceOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """One agency: who may sign, its safeguards report, its keys and its history."""
    with _open_registry(workspace, database_url) as store:
        agency = store.registry().by_code(code)
        if agency is None:
            raise InputError(f"no agency {code!r} in the registry", field="code")
        events = store.events(agency.code)
    report = agency.safeguards_report
    lines = [
        f"[bold]{escape(agency.code)}[/]: {escape(agency.name)}",
        f"aliases: {escape('; '.join(agency.aliases)) or '-'}",
        "may sign: "
        + escape(
            "; ".join(
                [*agency.authorized_titles, *(f"{p} ..." for p in agency.authorized_title_prefixes)]
            )
        ),
        "safeguards report: "
        + (f"{report.report_id} of {report.report_date.isoformat()}" if report else "none on file"),
        f"plausible caseload: {agency.plausible_caseload or 'not given'}",
        "keys:" if agency.keys else "keys: none registered (its letters cannot pass review)",
    ]
    for key in agency.keys:
        state = (
            f"revoked {key.revoked_at} by {key.revoked_by}: {key.revoked_reason}"
            if key.revoked
            else "active"
        )
        lines.append(
            f"  {key.public_key_sha256}  registered {key.registered_at} by "
            f"{escape(key.registered_by)}; {escape(state)}"
        )
    lines.append("history:")
    lines += [f"  {e.at}  {escape(e.actor)}  {e.action}" for e in events]
    console.print("\n".join(lines), highlight=False)


@agency_app.command("revoke")
def revoke(
    code: Annotated[str, typer.Argument(help="Agency code, e.g. DHS.")],
    reason: Annotated[str, typer.Option("--reason", help="Why the key is revoked.")],
    workspace: WorkspaceOption = None,
    database_url: DatabaseOption = None,
    key: Annotated[
        str | None,
        typer.Option("--key", help="Revoke only the key with this SHA-256 fingerprint."),
    ] = None,
    actor: ActorOption = None,
) -> None:
    """Revoke an agency's keys: letters signed with them no longer pass review."""
    with _open_registry(workspace, database_url) as store:
        revoked = store.revoke(code, actor=_actor(actor), reason=reason, public_key_sha256=key)
    for fingerprint in revoked:
        console.print(f"revoked {code.upper()} key {fingerprint}")


@letter_app.command("sign")
def sign(
    key: Annotated[Path, typer.Option("--key", help="The agency's Ed25519 private key (PEM).")],
    letter: Annotated[Path, typer.Option("--letter", help="The letter TOML to sign.")],
    requests: Annotated[
        Path | None,
        typer.Option(
            "--requests",
            help="The request file a bulk letter covers; none for a look-up letter"
            ' (kind = "lookups"), whose signature covers its declared scope.',
        ),
    ] = None,
) -> None:
    """Sign a letter for its request file (or a look-up letter for its scope); the signature
    is written into the letter."""
    from matchgate.review.signing import load_private_key, sign_letter_file

    signature = sign_letter_file(key=load_private_key(key), letter=letter, requests=requests)
    covers = (
        f"for {requests} (SHA-256 {signature.requests_sha256[:16]}...)"
        if requests is not None
        else "as a look-up letter (its scope: validity window and maximum look-ups)"
    )
    console.print(f"signed {letter} {covers} with key {signature.public_key_sha256[:16]}...")


def register(app: typer.Typer) -> None:
    app.add_typer(agency_app, name="agency")
    app.add_typer(letter_app, name="letter")
