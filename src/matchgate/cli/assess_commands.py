"""``matchgate assess``: the deployed model measured on a world shaped like the master file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from matchgate.cli.ledger_commands import FormatOption, check_report_format

__all__ = ["register"]


def assess_command(
    master: Annotated[
        Path,
        typer.Option("--master", help="The master file (Parquet or CSV) whose shape to copy."),
    ],
    workspace: Annotated[
        Path,
        typer.Option(
            "--workspace",
            help="The deployed workspace: its model.json (and policy.toml) are used when"
            " present; nothing in it is changed.",
        ),
    ],
    out: Annotated[
        Path,
        typer.Option("--out", help="Folder for index.html, the CSV and PNG files (and work/)."),
    ],
    people: Annotated[
        int | None,
        typer.Option(
            "--people",
            help="People in the synthetic world. Default: the master file's taxpayers, up to"
            " 100,000.",
        ),
    ] = None,
    requests: Annotated[
        int | None,
        typer.Option(
            "--requests", help="Request rows run. Default: a tenth of the people, 100 to 10,000."
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the synthetic world.")] = 1,
    policy: Annotated[
        Path | None,
        typer.Option("--policy", help="Policy file. Default: WORKSPACE/policy.toml if present."),
    ] = None,
    output_format: FormatOption = "html",
) -> None:
    """Precision, recall and wrong-person disclosures of the deployed model and policy on a
    synthetic world shaped like the master file (Computer Matching Act style).

    Reads only the master file's aggregate statistics; the world is synthetic and runs in a
    throwaway workspace under OUT/work.
    """
    from matchgate.report import print_pdf
    from matchgate.report.assess import assess

    check_report_format(output_format)
    console = Console()
    console.print(f"assessing on a world shaped like {master} ...", highlight=False)
    result = assess(
        master=master,
        workspace=workspace,
        out=out,
        people=people,
        requests=requests,
        seed=seed,
        policy=policy,
    )
    table = Table(title="Accuracy of the deployed model on the synthetic world")
    accuracy = next(t for t in result.tables if t.name == "accuracy")
    for header in accuracy.columns[:2]:
        table.add_column(header, justify="right" if header == "value" else "left")
    for row in accuracy.rows:
        table.add_row(*row[:2])
    console.print(table)
    console.print(
        f"wrote {result.folder / 'index.html'} and {len(result.files) - 1} more files",
        highlight=False,
    )
    if output_format == "pdf":
        console.print(f"wrote {print_pdf(result.folder / 'index.html')}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("assess")(assess_command)
