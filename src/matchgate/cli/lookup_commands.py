"""``matchgate lookup``: one request under a signed look-up letter, answered at once.

The answer is the requester's response row (the same columns as ``response.csv``), printed as
one JSON object on stdout once the ledger holds the look-up. Errors exit with the codes in
``matchgate.cli.exit_codes`` (2 for a bad row or letter, nothing recorded).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from matchgate.errors import InputError, WorkspaceError

__all__ = ["lookup", "register"]


def lookup(
    letter: Annotated[
        Path, typer.Option("--letter", help='The signed look-up letter (kind = "lookups").')
    ],
    workspace: Annotated[
        Path | None,
        typer.Option("--workspace", help="Workspace folder. Default: $MATCHGATE_WORKSPACE."),
    ] = None,
    master: Annotated[
        Path | None,
        typer.Option(
            "--master",
            envvar="MATCHGATE_MASTER",
            help="Taxpayer master file (until the workspace holds a prepared master).",
        ),
    ] = None,
    json_input: Annotated[
        str | None,
        typer.Option("--json", help="Read the request as one JSON object ('-' for stdin)."),
    ] = None,
    first_name: Annotated[str, typer.Option("--first-name")] = "",
    middle_name: Annotated[str, typer.Option("--middle-name")] = "",
    last_name: Annotated[str, typer.Option("--last-name")] = "",
    suffix: Annotated[str, typer.Option("--suffix")] = "",
    dob: Annotated[str, typer.Option("--dob", help="Date of birth (YYYY-MM-DD).")] = "",
    tin: Annotated[str, typer.Option("--tin")] = "",
    street: Annotated[str, typer.Option("--street")] = "",
    city: Annotated[str, typer.Option("--city")] = "",
    state: Annotated[str, typer.Option("--state")] = "",
    zip_code: Annotated[str, typer.Option("--zip")] = "",
    tax_periods: Annotated[
        str, typer.Option("--tax-periods", help="Tax years asked about, e.g. 2023;2024.")
    ] = "",
    statute: Annotated[str, typer.Option("--statute", help="The statute of the offense.")] = "",
    case_number: Annotated[str, typer.Option("--case-number")] = "",
    reason: Annotated[
        str, typer.Option("--reason", help="Why the address is needed for this case.")
    ] = "",
    request_id: Annotated[str, typer.Option("--request-id")] = "",
    policy: Annotated[Path | None, typer.Option("--policy", help="Policy TOML file.")] = None,
    actor: Annotated[str, typer.Option("--actor", help="Who asks.")] = "matchgate",
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            envvar="MATCHGATE_LEDGER_URL",
            help="The server's database URL (PostgreSQL): its ledger, agency registry and"
            " look-up records; default the workspace's SQLite files.",
        ),
    ] = None,
    key_file: Annotated[
        Path | None,
        typer.Option(
            "--key-file", envvar="MATCHGATE_LEDGER_KEY", help="The ledger's private signing key."
        ),
    ] = None,
) -> None:
    """Look up one person under a look-up letter; prints the response row as JSON."""
    from matchgate.disclose import RESPONSE_COLUMNS
    from matchgate.lookups import checked_fields, lookup_fields_from_json, run_lookup

    if workspace is None:
        configured = os.environ.get("MATCHGATE_WORKSPACE")
        if not configured:
            raise WorkspaceError("no workspace: pass --workspace or set MATCHGATE_WORKSPACE")
        workspace = Path(configured)
    given = {
        "request_id": request_id,
        "first_name": first_name,
        "middle_name": middle_name,
        "last_name": last_name,
        "suffix": suffix,
        "dob": dob,
        "tin": tin,
        "street": street,
        "city": city,
        "state": state,
        "zip": zip_code,
        "tax_periods": tax_periods,
        "statute": statute,
        "case_number": case_number,
        "reason": reason,
    }
    if json_input is not None:
        if any(given.values()):
            raise InputError("give the request either as --json or as options, not both")
        if json_input == "-":
            fields = lookup_fields_from_json(sys.stdin.read(), source="stdin")
        else:
            path = Path(json_input)
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise InputError(f"cannot read the request: {exc}", path=path) from exc
            fields = lookup_fields_from_json(text, source=str(path))
    else:
        fields = checked_fields(given, source="options")
    answer = run_lookup(
        workspace=workspace,
        fields=fields,
        actor=actor,
        letter=letter,
        master=master,
        policy_path=policy,
        ledger_url=database_url,
        ledger_key=key_file,
    )
    row = {name: answer.response.get(name, "") for name in RESPONSE_COLUMNS}
    typer.echo(json.dumps({"batch_id": answer.batch_id, **row}, ensure_ascii=False))


def register(app: typer.Typer) -> None:
    app.command("lookup")(lookup)
