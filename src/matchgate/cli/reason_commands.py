"""``matchgate reasons``: the registry of every reason code, as a table, JSON or CSV."""

from __future__ import annotations

import csv
import json
import sys
from enum import StrEnum
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from matchgate.reasons import registry

__all__ = ["register"]

_COLUMNS = ("code", "stage", "audience", "meaning", "citation")


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


def register(app: typer.Typer) -> None:
    @app.command("reasons")
    def reasons(
        output: Annotated[
            Format, typer.Option("--format", help="table, json or csv.", case_sensitive=False)
        ] = Format.TABLE,
    ) -> None:
        """Every reason code any stage emits: stage, meaning, citation, and its audience
        (requester: may appear in response.csv; internal: decisions, review and ledger only)."""
        entries = [info.as_dict() for info in registry().values()]
        if output is Format.JSON:
            sys.stdout.write(json.dumps(entries, indent=2) + "\n")
        elif output is Format.CSV:
            writer = csv.DictWriter(sys.stdout, fieldnames=_COLUMNS, lineterminator="\n")
            writer.writeheader()
            writer.writerows(entries)
        else:
            table = Table(title=f"{len(entries)} reason codes")
            for column in _COLUMNS:
                short = column in {"code", "stage", "audience"}
                table.add_column(column, no_wrap=short, overflow="fold")
            for entry in entries:
                table.add_row(*(entry[column] for column in _COLUMNS))
            Console(soft_wrap=False).print(table)
