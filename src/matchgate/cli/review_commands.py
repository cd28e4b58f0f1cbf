"""``matchgate review`` and ``matchgate policy show``: thin shells over the review API.

Errors are not caught here: ``matchgate.cli`` maps every ``MatchgateError`` to its exit code in
one place.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from matchgate.review import Policy, ReviewReport, review_batch

__all__ = ["register", "render_report"]

RequestsOption = Annotated[
    Path, typer.Option("--requests", help="Request file: CSV, XLSX, Parquet, JSONL or TIN bulk.")
]
LetterOption = Annotated[Path, typer.Option("--letter", help="The signed request letter (TOML).")]
PolicyOption = Annotated[
    Path | None, typer.Option("--policy", help="Policy TOML; the defaults when omitted.")
]
MappingOption = Annotated[
    Path | None, typer.Option("--mapping", help="Column mapping TOML ([columns] table).")
]
SheetOption = Annotated[
    str | None, typer.Option("--sheet", help="Only this sheet of an XLSX workbook.")
]


def render_report(report: ReviewReport, console: Console) -> None:
    """Print the letter's decision, the outcome counts and one line per reason code."""
    letter = report.letter_decision
    console.print(
        f"[bold]{report.requests_path}[/] ({report.format}): {report.row_count:,} rows, "
        f"{report.invalid_rows:,} invalid, {report.duplicate_rows:,} duplicates"
    )
    if report.unknown_columns:
        console.print(f"Columns not used: {', '.join(report.unknown_columns)}")
    console.print(f"Letter {report.letter_path}: [bold]{letter.outcome.value}[/]")
    for reason in letter.reasons:
        console.print(f"  - {reason.code}: {reason.message} [{reason.citation}]", markup=False)
    outcomes = Table(title="Rows by outcome")
    outcomes.add_column("outcome")
    outcomes.add_column("rows", justify="right")
    for outcome, count in report.outcome_counts.items():
        outcomes.add_row(outcome.value, f"{count:,}")
    console.print(outcomes)
    reasons = Table(title="Rows by reason")
    for name in ("reason", "from", "rows", "citation", "example"):
        reasons.add_column(name, justify="right" if name == "rows" else "left")
    for item in report.reasons:
        reasons.add_row(item.code, item.source, f"{item.rows:,}", item.citation, item.example)
    console.print(reasons)


def register(app: typer.Typer) -> None:
    """Add ``review`` and ``policy show`` to the matchgate CLI."""

    @app.command("review")
    def review_command(
        requests: RequestsOption,
        letter: LetterOption,
        policy: PolicyOption = None,
        mapping: MappingOption = None,
        sheet: SheetOption = None,
    ) -> None:
        """Run intake and legal review alone and print counts per outcome and reason."""
        console = Console()
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=console, transient=True) as bar:
            tasks: dict[str, TaskID] = {}

            def progress(stage: str, done: int, total: int | None) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(stage, total=total)
                bar.update(tasks[stage], completed=done, total=total)

            report = review_batch(
                requests,
                letter_path=letter,
                policy_path=policy,
                mapping=mapping,
                sheet=sheet,
                progress=progress,
            )
        render_report(report, console)

    policy_app = typer.Typer(help="The review policy.", no_args_is_help=True)

    @policy_app.command("show")
    def policy_show(policy: PolicyOption = None) -> None:
        """Print the policy in force (the defaults, or FILE) as TOML."""
        from matchgate.match.policy import load_match_policy, match_policy_toml

        typer.echo(Policy.load(policy).to_toml(), nl=False)
        typer.echo()
        typer.echo(match_policy_toml(load_match_policy(policy)), nl=False)

    app.add_typer(policy_app, name="policy")
